"""The quarantine split: every sample with no error to CLEAN, every other line to REJECTED with
its reasons in ``REJECTED``'s sidecar (``rejected.jsonl`` -> ``rejected.issues.jsonl``).
Each output is compressed as its name says: ``*.gz`` gzip, ``*.zst`` zstd, anything else plain
JSONL; a name that promises another format (``.bz2``, ``.parquet``...) is refused.

Every input line lands in exactly one output, and the counts are checked before anything is
published: the three outputs are staged in a hidden folder beside their targets and renamed
into place together once all are complete (``validator.atomic``), so a failure never leaves a
half file posing as a whole one, nor a new CLEAN beside an old REJECTED. For pipeline
frameworks, :func:`validator.run.records.check_records` gives the same verdicts for an
iterable of records.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from validator.atomic import Staged, check_target
from validator.config import Config
from validator.errors import FtdataError, UsageError
from validator.report import Report
from validator.run.pipeline import run_file, run_stream
from validator.run.route import FileRouter, SplitCounts

__all__ = ["SplitResult", "output_compression", "sidecar_path", "split_file", "split_stream"]


@dataclass
class SplitResult:
    """Where the split went and how many lines each output got."""

    clean: str
    rejected: str
    sidecar: str
    counts: SplitCounts = field(default_factory=SplitCounts)


_COMPRESS = {".gz": "gzip", ".zst": "zstd"}
_REFUSED = (".bz2", ".xz", ".lzma", ".lz4", ".br", ".zip", ".7z", ".tar", ".tgz", ".zstd",
            ".gzip", ".parquet", ".csv", ".tsv")


def output_compression(name: str) -> str | None:
    """``gzip`` for ``*.gz``, ``zstd`` for ``*.zst``, None for plain JSONL; a usage error for a
    name whose extension promises a format the split cannot write."""
    ext = os.path.splitext(name)[1].lower()
    if ext in _REFUSED:
        raise UsageError(f"cannot write {name}: the split writes JSONL, plain (.jsonl) or "
                         "compressed as .jsonl.gz or .jsonl.zst")
    return _COMPRESS.get(ext)


def sidecar_path(rejected: str) -> str:
    """``rejected.jsonl`` -> ``rejected.issues.jsonl``, compressed like REJECTED
    (``rejected.jsonl.gz`` -> ``rejected.issues.jsonl.gz``); any other name gets
    ``.issues.jsonl`` added."""
    suffix = next((s for s in _COMPRESS if rejected.lower().endswith(".jsonl" + s)), "")
    if suffix or rejected.endswith(".jsonl"):
        return rejected[: -len(".jsonl" + suffix)] + ".issues.jsonl" + suffix
    return rejected + ".issues.jsonl"


def split_file(path: str | os.PathLike[str], clean: str | os.PathLike[str],
               rejected: str | os.PathLike[str], purpose: str = "fine-tune", *,
               config: Config | None = None, workers: int | None = None,
               progress: Callable[[int], None] | None = None) -> tuple[Report, SplitResult]:
    """Validate ``path`` and split its lines into ``clean`` and ``rejected`` (JSONL only)."""
    source = os.fspath(path)
    targets = _targets(clean, rejected, inputs=[source])
    return _split(targets, lambda router, scratch: run_file(
        source, purpose, config=config, progress=progress, workers=workers, router=router,
        scratch=scratch))


def split_stream(stream: BinaryIO, clean: str | os.PathLike[str],
                 rejected: str | os.PathLike[str], name: str = "stdin.jsonl",
                 purpose: str = "fine-tune", *,
                 config: Config | None = None) -> tuple[Report, SplitResult]:
    """:func:`split_file` for a stream read once (stdin), called ``name``."""
    targets = _targets(clean, rejected, inputs=[])
    return _split(targets, lambda router, _: run_stream(stream, name, purpose, config=config,
                                                        progress=None, router=router))


def _targets(clean: str | os.PathLike[str], rejected: str | os.PathLike[str], *,
             inputs: list[str]) -> SplitResult:
    result = SplitResult(os.fspath(clean), os.fspath(rejected), sidecar_path(os.fspath(rejected)))
    outputs = [result.clean, result.rejected, result.sidecar]
    real = [os.path.realpath(p) for p in outputs]
    if len(set(real)) < len(real):
        raise UsageError("the clean, rejected and sidecar outputs must be three different files")
    for target in outputs:
        output_compression(target)
    for source in inputs:
        for target in outputs:
            if os.path.realpath(source) == os.path.realpath(target) or (
                    os.path.exists(target) and os.path.samefile(source, target)):
                raise UsageError(f"refusing to overwrite the input {source} with a split output")
    for target in outputs:
        check_target(target)
    return result


def _split(result: SplitResult,
           run: Callable[[FileRouter, str], Report]) -> tuple[Report, SplitResult]:
    """``run(router, scratch)`` routes the lines into the staged outputs (``scratch``: a folder
    for work files on the outputs' disk), which are published together once complete."""
    targets = (result.clean, result.rejected, result.sidecar)
    with Staged(targets) as staged:
        writers = [_compressor(handle, output_compression(target))
                   for handle, target in zip(staged.files, targets, strict=True)]
        router = FileRouter(*writers)
        report = run(router, staged.scratch)
        for writer, handle in zip(writers, staged.files, strict=True):
            if writer is not handle:
                writer.close()  # ends the gzip member or zstd frame; leaves handle open
        _check_counts(report, router.counts)
        staged.publish()
    result.counts = router.counts
    return report, result


def _compressor(handle: BinaryIO, kind: str | None) -> BinaryIO:
    """A writer that compresses into ``handle`` (``gzip``, ``zstd``), or ``handle`` itself."""
    if kind == "gzip":
        import gzip  # noqa: PLC0415 - only for a .gz output

        return cast(BinaryIO, gzip.GzipFile(filename="", mode="wb", fileobj=handle,
                                            compresslevel=6, mtime=0))
    if kind == "zstd":
        import zstandard  # noqa: PLC0415 - only for a .zst output

        writer = zstandard.ZstdCompressor().stream_writer(handle, closefd=False)
        return cast(BinaryIO, writer)
    return handle


def _check_counts(report: Report, counts: SplitCounts) -> None:
    lines = report.nlines + int(report.stats.get("blank_lines", 0))
    if counts.clean + counts.rejected != counts.lines or counts.lines != lines:
        raise FtdataError(
            f"{report.path}: split lost track of lines ({counts.lines} routed, {counts.clean} "
            f"clean + {counts.rejected} rejected, {lines} read); nothing was written")
