"""``ftdata stats`` of one large JSONL file on several cores.

The file is cut into byte ranges that start right after a newline, as validation cuts it
(:func:`validator.run.parallel.plan_ranges`); each worker process describes its ranges into a
profile and a feature table of its own, numbering lines from its range's start. The profiles
are merged in file order, and the tables are joined into one, each range's lines shifted by
the lines before it, batch by batch (never held whole). The statistics over the joined table
are the ones a single pass gives. A file that changes while it is read is
:class:`~validator.errors.InputChangedError`, as for validation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from validator.config import Config
from validator.read.lines import split_lines
from validator.run import forkpool
from validator.run.parallel import (
    PARALLEL_MIN_BYTES,
    Job,
    changed,
    file_identity,
    open_range,
    plan_ranges,
    read_range,
)
from validator.stats.dataset import Kept, Profile, Tokenizer, analysed, read_lines
from validator.stats.table import FeatureWriter, temporary_table

__all__ = ["PARALLEL_MIN_BYTES", "described", "profile_parallel"]

CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class _Range:
    job: Job
    table: str  # where this range's feature rows go
    template: Profile  # an empty profile of the file (its reading and settings)


def profile_parallel(path: str, handle: BinaryIO, size: int, template: Profile, *,
                     config: Config, tokenizer: Tokenizer | None, workers: int,
                     table: str) -> Profile | None:
    """The profile of ``path`` described by ``workers`` processes, its feature table joined
    at ``table``; None, having done nothing, when the file has one range only."""
    identity = file_identity(handle.fileno())
    chunks = workers * CHUNKS_PER_WORKER
    ranges = plan_ranges(handle, size, chunks)
    if len(ranges) < 2:
        return None
    folder = os.path.dirname(table) or "."
    jobs = [_Range(Job(path, start, end, template.purpose, config, None, None,
                       identity=identity),
                   os.path.join(folder, f".part-{i}-{os.path.basename(table)}"), template)
            for i, (start, end) in enumerate(ranges)]
    try:
        def task(job: _Range) -> Profile:
            return _describe(job, tokenizer)

        if forkpool.available():
            parts = forkpool.run_forked(task, jobs, workers)
        else:  # threads running (a notebook's): one range after another, in this process
            parts = [task(job) for job in jobs]
        now = file_identity(handle.fileno())
        if now != identity:
            raise changed(path, identity, now)
        profile = replace(template, formats={}, shares=dict(template.shares))
        shifts = []
        for part in parts:
            shifts.append(profile.lines)
            profile.merge(part)
        _join([job.table for job in jobs], shifts, table)
    finally:
        for job in jobs:
            if os.path.exists(job.table):
                os.unlink(job.table)
    return profile


def described(path: str, handle: BinaryIO, size: int, template: Profile, *, config: Config,
              tokenizer: Tokenizer | None, workers: int,
              features: str | os.PathLike[str] | None) -> Profile | None:
    """:func:`profile_parallel` with its statistics, the table at ``features`` (or a
    temporary one, removed); None when the file has one range only."""
    table = Path(features) if features is not None else temporary_table()
    try:
        profile = profile_parallel(path, handle, size, template, config=config,
                                   tokenizer=tokenizer, workers=workers, table=str(table))
        return None if profile is None else analysed(profile, table)
    finally:
        if features is None:
            table.unlink(missing_ok=True)


def _describe(job: _Range, tokenizer: Tokenizer | None) -> Profile:
    """Worker: describe one range; its profile counts its lines from 0."""
    base = job.template
    profile = replace(base, formats={}, shares=dict.fromkeys(base.shares, 0))
    kept = Kept(profile, tokenizer, FeatureWriter(job.table))
    limit = job.job.config.max_line_bytes
    with open_range(job.job) as handle:
        handle.seek(job.job.start)
        read_lines(split_lines(read_range(handle, job.job), limit), profile, kept,
                   first=job.job.start == 0)
    kept.close()
    return profile


def _join(tables: list[str], shifts: list[int], out: str) -> None:
    """The range tables as one, lines shifted by the lines before each range."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    writer: Any = None
    with pa.OSFile(out, "wb") as sink:
        for path, shift in zip(tables, shifts, strict=True):
            with pa.memory_map(path) as source:
                reader = pa.ipc.open_file(source)
                if writer is None:
                    writer = pa.ipc.new_file(sink, reader.schema)
                for i in range(reader.num_record_batches):
                    batch = reader.get_batch(i)
                    lines = pc.add(batch.column("line"), pa.scalar(shift, pa.uint64()))
                    writer.write_batch(batch.set_column(0, "line", lines))
        if writer is not None:
            writer.close()
