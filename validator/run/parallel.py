"""Validating one JSONL file on several cores.

The file is cut into byte ranges that start right after a newline; worker processes scan the
ranges (``scan.scan_jsonl``) and the results are merged in file order, lines shifted by the
number of lines before each range. The file's first format is found first, by reading from
the start up to the first sample that has one, so every worker applies the format-mixing rule
against the same line a single pass would (for eval data, the first row's keys, likewise).
The merged report equals the single-worker one: same issues in the same order, same counts,
flags and statistics.

Workers open the file by its path, so the file's identity (device, inode, size and
modification time of the descriptor planned on) goes with each job: a worker that opens
another file (replaced, grown, rewritten) raises :class:`~validator.errors.InputChangedError`,
and once the workers are done the planned-on descriptor is checked again (a change while they
read). A changed input is that error, never a report (or a split) mixing two files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from validator.collect import Collector, Tally
from validator.config import Config
from validator.errors import FileAccessError, FtdataError, InputChangedError, OutputError
from validator.formats.detect import detect
from validator.read.json_errors import BOM, document_kind
from validator.read.lines import split_lines
from validator.read.source import BLOCK_SIZE, is_url, open_input, sniff
from validator.run import forkpool
from validator.run.cores import available_cores
from validator.run.route import FileRouter, close_parts, join_parts, open_parts
from validator.run.scan import model_check, scan_jsonl

if TYPE_CHECKING:
    from validator.stats.rows import Features

__all__ = ["PARALLEL_MIN_BYTES", "Identity", "Job", "available_cores", "changed",
           "file_identity", "merge_results", "open_range", "plan_jobs", "plan_ranges",
           "read_range", "scan_parallel", "scan_range"]

PARALLEL_MIN_BYTES = 64 * 2**20  # below this, starting workers costs more than it saves
CHUNKS_PER_WORKER = 4  # several ranges per worker even out uneven lines
MIN_CHUNK_BYTES = 4 * 2**20
# a range takes a quarter of a second or so: workers finish together on a file of any size,
# and progress (reported as ranges finish) moves often
MAX_CHUNK_BYTES = 64 * 2**20


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
    for lineno, rec in _objects(handle, end, max_line_bytes):
        fmt, _ = detect(rec)
        if fmt is not None:
            return fmt.name, lineno
    return None


def first_row(handle: BinaryIO, end: int,
              max_line_bytes: int) -> tuple[int, tuple[str, ...]] | None:
    """Eval: the line and keys of the first row that has keys, looking no further than ``end``
    (the row ``evaluation.check`` compares the others with)."""
    for lineno, rec in _objects(handle, end, max_line_bytes):
        if rec:
            return lineno, tuple(rec)
    return None


def _objects(handle: BinaryIO, end: int,
             max_line_bytes: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lines up to ``end`` that are JSON objects, with their line numbers."""
    handle.seek(0)
    first = True  # the first non-blank line: it may open a whole-file JSON document
    for lineno, line in enumerate(split_lines(_range_blocks(handle, end), max_line_bytes), 1):
        if not isinstance(line, bytes):
            continue
        raw = line[len(BOM):] if lineno == 1 and line.startswith(BOM) else line
        if first and not raw.strip():
            continue
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError:
            rec = None
        if type(rec) is dict:
            yield lineno, rec
        elif first and document_kind(raw):
            return  # nothing to split: one pass reports the document once
        first = False


def _range_blocks(handle: BinaryIO, length: int) -> Iterator[bytes]:
    while length > 0:
        block = handle.read(min(BLOCK_SIZE, length))
        if not block:
            return
        length -= len(block)
        yield block


@dataclass(frozen=True)
class Job:
    """One byte range for a worker, with what it must know of the file."""

    path: str
    start: int
    end: int
    purpose: str
    config: Config
    known_format: tuple[str, int] | None
    parts: str | None  # quarantine split: the folder for this range's outputs
    first_row: tuple[int, tuple[str, ...]] | None = None  # eval: see first_row
    identity: Identity | None = None  # the file planned on: the worker checks it opens that
    features: Features | None = None  # this range's feature rows (stats, report)


Identity = tuple[int, int, int, int]
"""What tells that a file is the one planned on: device, inode, size, mtime in ns."""


def file_identity(fd: int) -> Identity:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def changed(path: str, was: Identity, now: Identity) -> InputChangedError:
    if now[:2] != was[:2]:
        return InputChangedError(path, "was replaced by another file")
    if now[2] != was[2]:
        return InputChangedError(path, f"went from {was[2]:,} to {now[2]:,} bytes")
    return InputChangedError(path, "was rewritten")


def open_range(job: Job) -> BinaryIO:
    """``job``'s file, checked to be the one planned on (when its identity is known)."""
    if job.identity is None or is_url(job.path):
        return open_input(job.path)
    try:  # never blocks: a FIFO renamed over the file would fail the identity check
        fd = os.open(job.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputChangedError(job.path, "was removed") from None
    except OSError as exc:
        raise FileAccessError(job.path, f"cannot open: {exc.strerror or exc}") from None
    try:
        now = file_identity(fd)
        if now != job.identity:
            raise changed(job.path, job.identity, now)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_range(handle: BinaryIO, job: Job) -> Iterator[bytes]:
    try:
        yield from _range_blocks(handle, job.end - job.start)
    except OSError as exc:  # a read error; a write error (split parts) is not raised here
        raise FileAccessError(job.path, f"cannot read: {exc.strerror or exc}") from None


def scan_range(job: Job) -> tuple[Collector, Tally, int]:
    """Worker: scan one byte range; return its issues, tallies and line count."""
    out = Collector(job.config)
    tally = Tally()
    limit = job.config.max_line_bytes
    first = dict.fromkeys(job.first_row[1], job.first_row[0]) if job.first_row else None
    model = model_check(job.config, job.purpose)
    rows = None
    if job.features is not None:
        from validator.stats.rows import Rows  # noqa: PLC0415 - only for stats and report

        rows = Rows(job.features, model)
    with open_range(job) as handle:
        router = open_parts(job.parts, job.start) if job.parts else None
        size = job.identity[2] if job.identity is not None else None  # the file's, on disk
        handle.seek(job.start)
        blocks = read_range(handle, job)
        read = (split_lines(blocks, limit) if router is None
                else router.route(split_lines(blocks, limit, spill=router.spill), out))
        lines = scan_jsonl(read, job.purpose, limit, out, tally, offset=job.start,
                           known_format=job.known_format, batch_ids=first, model=model,
                           rows=rows, size=size)
        if router is not None:
            close_parts(router, job.parts or "", job.start)
    if rows is not None:
        rows.close()
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
    router: FileRouter | None = None,
    scratch: str | None = None,
    features: Features | None = None,
) -> bool:
    """Scan ``path`` with ``workers`` processes into ``out`` and ``tally``.

    Returns False, having done nothing, when the file cannot be split usefully (one range, or
    no sample with a format in the first range): the caller then scans it in one pass. With a
    quarantine ``router``, each worker writes its range's outputs to a temporary folder (in
    ``scratch``, a folder beside the outputs, when given) and they are appended to the
    router's, in file order. Each worker writes the feature rows of its ranges (``features``)
    to a table of their own, joined into ``features.table`` in file order. Raises
    :class:`~validator.errors.InputChangedError` when the file is not the same from planning
    to the end.
    """
    identity = file_identity(handle.fileno())
    if identity[2] != size:
        raise changed(path, (*identity[:2], size, identity[3]), identity)
    with _parts_folder(router is not None, scratch) as parts:
        # a multiple of the workers: equal ranges then end together
        chunks = workers * max(CHUNKS_PER_WORKER, -(-size // (MAX_CHUNK_BYTES * workers)))
        jobs = plan_jobs(path, handle, size, purpose=purpose, config=config, chunks=chunks,
                         parts=parts, identity=identity, features=features)
        if jobs is None:
            return False
        try:
            shifts = _run(jobs, workers, out, tally, progress)
            now = file_identity(handle.fileno())
            if now != identity:  # changed in place while the workers read it
                raise changed(path, identity, now)
            if router is not None and parts is not None:
                join_parts(parts, (job.start for job in jobs), router)
            if features is not None:
                from validator.stats.table import join_tables  # noqa: PLC0415

                join_tables([job.features.table for job in jobs if job.features], shifts,
                            features.table)
        except OSError as exc:  # workers raise read errors as FileAccessError: a write error
            if parts is None and features is None:
                raise
            where = parts if features is None else os.path.dirname(features.table)
            folder = os.path.dirname(scratch) if scratch else where
            raise OutputError(folder or ".", exc.strerror or str(exc)) from None
        finally:
            for job in jobs:
                if job.features is not None and os.path.exists(job.features.table):
                    os.unlink(job.features.table)
    return True


def _parts_folder(wanted: bool, scratch: str | None) -> AbstractContextManager[str | None]:
    """A temporary folder (in ``scratch`` when given) for the workers' quarantine outputs;
    None (and no tempfile import) when there is no quarantine split."""
    if not wanted:
        return nullcontext(None)
    import tempfile  # noqa: PLC0415 - only a quarantine split needs it

    return tempfile.TemporaryDirectory(prefix=".ftdata-parts-", dir=scratch)


def plan_jobs(path: str, handle: BinaryIO, size: int, *, purpose: str, config: Config,
              chunks: int, parts: str | None = None, identity: Identity | None = None,
              features: Features | None = None) -> list[Job] | None:
    """Up to ``chunks`` byte-range jobs for the JSONL file ``path`` (open as ``handle``), or
    None when it cannot be split usefully: a batch file (custom_id uniqueness spans it), one
    range only, compressed bytes (whatever the name says: they are read as one stream), or no
    sample with a format (eval: no row with keys) in the first range. With the ``identity``
    of ``handle``, each worker checks that it opens that same file; with ``features``, each
    range writes its feature rows beside ``features.table``."""
    if purpose == "batch-api":
        return None
    handle.seek(0)
    if sniff(handle.read(8)) is not None:
        return None
    ranges = plan_ranges(handle, size, max(1, min(chunks, size // MIN_CHUNK_BYTES)))
    if len(ranges) < 2:
        return None
    known = first = None
    if purpose == "fine-tune":
        known = first_format(handle, ranges[0][1], config.max_line_bytes)
        if known is None:
            return None
    elif purpose == "eval":
        first = first_row(handle, ranges[0][1], config.max_line_bytes)
        if first is None:
            return None
    # the first range finds the first row itself, as a single pass does
    return [Job(path, start, end, purpose, config, known, parts, first if start else None,
                identity, None if features is None else features.part(start))
            for start, end in ranges]


Result = tuple[Collector, Tally, int]


def merge_results(jobs: list[Job], results: Iterable[Result], out: Collector, tally: Tally,
                  progress: Callable[[int], None] | None = None) -> list[int]:
    """Fold the results of ``jobs`` (in file order) into ``out`` and ``tally``; return the
    lines before each job's range."""
    done = 0
    shift = 0
    shifts = []
    for job, (part_out, part_tally, lines) in zip(jobs, results, strict=True):
        shifts.append(shift)
        out.merge(part_out, shift)
        tally.merge(part_tally, shift)
        shift += lines
        done += job.end - job.start
        if progress is not None:
            progress(done)
    return shifts


def _start_method() -> str:
    """How the process pool starts its workers. It serves where forkpool cannot: with other
    threads running (a fork could copy a lock one of them holds), or off Linux. So never fork:
    a forkserver where the platform has one, else spawn (Windows)."""
    import multiprocessing  # noqa: PLC0415

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _run(jobs: list[Job], workers: int, out: Collector, tally: Tally,
         progress: Callable[[int], None] | None) -> list[int]:
    """Scan ``jobs`` into ``out`` and ``tally``; the lines before each job's range."""
    if forkpool.available() and len(jobs) <= forkpool.MAX_JOBS:
        return _run_forked(jobs, workers, out, tally, progress)
    return _run_pool(jobs, workers, out, tally, progress)


def _run_forked(jobs: list[Job], workers: int, out: Collector, tally: Tally,
                progress: Callable[[int], None] | None) -> list[int]:
    """This process and forked children (``forkpool``); progress as ranges finish."""
    done = 0

    def finished(index: int) -> None:
        nonlocal done
        done += jobs[index].end - jobs[index].start
        if progress is not None:
            progress(done)

    try:
        results = forkpool.run_forked(scan_range, jobs, workers, finished)
    except forkpool.WorkerDied as exc:
        raise FtdataError(f"{jobs[0].path}: {exc}; retry with --workers 1 or with more "
                          "memory") from None
    return merge_results(jobs, results, out, tally)


def _run_pool(jobs: list[Job], workers: int, out: Collector, tally: Tally,
              progress: Callable[[int], None] | None) -> list[int]:
    """A process pool: where forkpool is not available (other threads, not Linux)."""
    # multiprocessing and concurrent.futures cost ~20 ms to import: only for a large file
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    context = multiprocessing.get_context(_start_method())
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(scan_range, job) for job in jobs]
            return merge_results(jobs, (f.result() for f in futures), out, tally, progress)
    except BrokenProcessPool as exc:
        raise FtdataError(f"{jobs[0].path}: a worker process died ({exc}); retry with --workers 1 "
                          "or with more memory") from None
