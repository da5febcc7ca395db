"""Validating one JSONL file on several cores.

The file is cut into byte ranges that start right after a newline; worker processes scan the
ranges (``scan.scan_jsonl``) and the results are merged in file order, lines shifted by the
number of lines before each range. The file's first format is found first, by reading from
the start up to the first sample that has one, so every worker applies the format-mixing rule
against the same line a single pass would. The merged report equals the single-worker one:
same issues in the same order, same counts, flags and statistics.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import pairwise
from typing import BinaryIO

import orjson

from validator.collect import Collector, Tally
from validator.config import Config
from validator.detect import detect
from validator.errors import FtdataError
from validator.lines import split_lines
from validator.parse import BOM
from validator.scan import scan_jsonl
from validator.source import BLOCK_SIZE

__all__ = ["PARALLEL_MIN_BYTES", "available_cores", "scan_parallel"]

PARALLEL_MIN_BYTES = 64 * 2**20  # below this, starting workers costs more than it saves
CHUNKS_PER_WORKER = 4  # several ranges per worker even out uneven lines
MIN_CHUNK_BYTES = 4 * 2**20


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan_ranges(handle: BinaryIO, size: int, chunks: int) -> list[tuple[int, int]]:
    """Byte ranges covering the file, each but the first starting right after a newline."""
    bounds = [0]
    for k in range(1, chunks):
        start = _next_line(handle, max(size * k // chunks, bounds[-1]))
        if start is None or start >= size:
            break
        if start > bounds[-1]:
            bounds.append(start)
    bounds.append(size)
    return list(pairwise(bounds))


def _next_line(handle: BinaryIO, pos: int) -> int | None:
    """The offset just after the first newline at or after ``pos - 1``; None at end of file."""
    pos = max(pos - 1, 0)
    handle.seek(pos)
    while True:
        block = handle.read(1 << 16)
        if not block:
            return None
        found = block.find(b"\n")
        if found >= 0:
            return pos + found + 1
        pos += len(block)


def first_format(handle: BinaryIO, end: int, max_line_bytes: int) -> tuple[str, int] | None:
    """The format and line of the first sample that has one, looking no further than ``end``."""
    handle.seek(0)
    for lineno, line in enumerate(split_lines(_range_blocks(handle, end), max_line_bytes), 1):
        if not isinstance(line, bytes):
            continue
        raw = line[len(BOM):] if lineno == 1 and line.startswith(BOM) else line
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if type(rec) is dict:
            fmt, _ = detect(rec)
            if fmt is not None:
                return fmt.name, lineno
    return None


def _range_blocks(handle: BinaryIO, length: int) -> Iterator[bytes]:
    while length > 0:
        block = handle.read(min(BLOCK_SIZE, length))
        if not block:
            return
        length -= len(block)
        yield block


@dataclass(frozen=True)
class _Job:
    """One byte range for a worker, with what it must know of the file."""

    path: str
    start: int
    end: int
    purpose: str
    config: Config
    known_format: tuple[str, int] | None


def _scan_range(job: _Job) -> tuple[Collector, Tally, int]:
    """Worker: scan one byte range; return its issues, tallies and line count."""
    out = Collector(job.config)
    tally = Tally()
    with open(job.path, "rb") as handle:
        handle.seek(job.start)
        limit = job.config.max_line_bytes
        lines = scan_jsonl(split_lines(_range_blocks(handle, job.end - job.start), limit),
                           job.purpose, limit, out, tally, offset=job.start,
                           known_format=job.known_format)
    return out, tally, lines


def scan_parallel(
    path: str,
    handle: BinaryIO,
    size: int,
    *,
    purpose: str,
    config: Config,
    workers: int,
    out: Collector,
    tally: Tally,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Scan ``path`` with ``workers`` processes into ``out`` and ``tally``.

    Returns False, having done nothing, when the file cannot be split usefully (one range, or
    no sample with a format in the first range): the caller then scans it in one pass.
    """
    if purpose == "batch-api":  # custom_id uniqueness spans the whole file
        return False
    chunks = max(1, min(workers * CHUNKS_PER_WORKER, size // MIN_CHUNK_BYTES))
    ranges = plan_ranges(handle, size, chunks)
    if len(ranges) < 2:
        return False
    known = None
    if purpose == "fine-tune":
        known = first_format(handle, ranges[0][1], config.max_line_bytes)
        if known is None:
            return False
    context = multiprocessing.get_context("forkserver")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: list[Future[tuple[Collector, Tally, int]]] = [
                pool.submit(_scan_range, _Job(path, start, end, purpose, config, known))
                for start, end in ranges
            ]
            done = 0
            shift = 0
            for (start, end), future in zip(ranges, futures, strict=True):
                part_out, part_tally, lines = future.result()
                out.merge(part_out, shift)
                tally.merge(part_tally, shift)
                shift += lines
                done += end - start
                if progress is not None:
                    progress(done)
    except BrokenProcessPool as exc:
        raise FtdataError(f"{path}: a worker process died ({exc}); retry with --workers 1 "
                          "or with more memory") from None
    return True
