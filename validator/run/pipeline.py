"""The pipeline: read bytes -> split lines -> parse -> detect format -> per-format checks ->
issues and tallies -> :class:`~validator.report.Report`.

``validate_file`` is the library entry point. It never prints; data problems become issues in
the report, and only "cannot run" problems (missing file, bad purpose) raise.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from validator.collect import Collector, Tally
from validator.config import Config
from validator.errors import UsageError
from validator.limits import LIMITS
from validator.purposes import FILE_TYPES, PURPOSE_OF_TYPE, check_purpose, compression, file_type
from validator.read.lines import TooLong, split_lines
from validator.read.source import BlockReader, Source, open_source
from validator.report import Report
from validator.run.parallel import PARALLEL_MIN_BYTES, available_cores, scan_parallel
from validator.run.route import FileRouter
from validator.run.scan import model_check, scan_jsonl

if TYPE_CHECKING:
    from validator.stats.rows import Features

__all__ = ["validate_bytes", "validate_file", "validate_stream"]


def validate_file(
    path: str | os.PathLike[str],
    purpose: str = "fine-tune",
    *,
    config: Config | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> Report:
    """Validate the file at ``path`` for ``purpose`` (fine-tune, eval or batch-api).

    Raises :class:`~validator.errors.FileAccessError` when the file cannot be read and
    :class:`~validator.errors.UsageError` for an unknown purpose; everything about the data
    itself is in the returned report. ``progress`` is called with the bytes read so far.
    ``workers`` processes share a large JSONL file (default: every core for files of 64 MiB
    or more, one below); the report is the same whatever the number. ``*.jsonl.gz`` and
    ``*.jsonl.zst`` files are decompressed as a stream, in one process.
    """
    return run_file(path, purpose, config=config, progress=progress, workers=workers)


def run_file(path: str | os.PathLike[str], purpose: str, *, config: Config | None,
             progress: Callable[[int], None] | None, workers: int | None,
             router: FileRouter | None = None, scratch: str | None = None,
             features: Features | None = None) -> Report:
    """:func:`validate_file`, with the lines also routed through a quarantine ``router``;
    ``scratch``: where parallel workers stage their parts of its outputs (beside them).
    ``features``: write each JSONL sample's row of the feature table (ftdata stats)."""
    check_purpose(purpose)
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")
    source, handle = open_source(os.fspath(path))
    if workers is None:
        big = source.size is not None and source.size >= PARALLEL_MIN_BYTES
        workers = available_cores() if big else 1
    with handle:
        return _validate(source, handle, purpose, config=config or Config(), progress=progress,
                         workers=workers, router=router, scratch=scratch, features=features)


def validate_stream(
    stream: BinaryIO,
    name: str = "stdin.jsonl",
    purpose: str = "fine-tune",
    *,
    config: Config | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Validate a binary stream (stdin in a pipeline) as if it were a file called ``name``.

    The name's extension picks the file type and compression, as for a file. The stream is
    read once, front to back; a Parquet stream is first spooled to a temporary file.
    """
    return run_stream(stream, name, purpose, config=config, progress=progress)


def run_stream(stream: BinaryIO, name: str, purpose: str, *, config: Config | None,
               progress: Callable[[int], None] | None, router: FileRouter | None = None,
               features: Features | None = None) -> Report:
    """:func:`validate_stream`, with the lines also routed through a quarantine ``router``
    (and feature rows written, as for :func:`run_file`)."""
    check_purpose(purpose)
    return _validate(Source(name, None), stream, purpose, config=config or Config(),
                     progress=progress, workers=1, router=router, features=features)


def validate_bytes(
    data: bytes, name: str = "data.jsonl", purpose: str = "fine-tune", *,
    config: Config | None = None,
) -> Report:
    """Validate in-memory ``data`` as if it were a file called ``name``."""
    check_purpose(purpose)
    return _validate(Source(name, len(data)), io.BytesIO(data), purpose,
                     config=config or Config(), progress=None, workers=1)


@dataclass
class FileCheck:
    """One file going through the pipeline: made by :func:`begin` (the file-level rules), then
    its content is scanned into ``out`` and ``tally`` (here, in worker processes, or on a
    cluster), then :func:`end_jsonl` and :func:`make_report`."""

    source: Source
    purpose: str
    config: Config
    out: Collector
    tally: Tally
    kind: str | None  # jsonl, parquet or csv; None when the file-level rules stop the check
    packed: str | None  # gzip or zstd for *.jsonl.gz / *.jsonl.zst


def begin(source: Source, purpose: str, config: Config) -> FileCheck:
    check_purpose(purpose)
    out = Collector(config)
    packed = compression(source.path)
    kind = _file_rules(source, purpose, config, out, sized=packed is None)
    return FileCheck(source, purpose, config, out, Tally(), kind, packed)


def end_jsonl(check: FileCheck, size: int) -> None:
    """The rules that need the whole JSONL file seen; ``size``: its (decompressed) bytes."""
    out, tally, source = check.out, check.tally, check.source
    cut = "file-too-large" in out.by_code  # reading stopped at the limit (or judged on disk)
    if source.size is None and size == 0 and not cut:
        out.add_at(None, "file-empty", None, "input is empty (0 bytes)")
    elif tally.nlines == 0 and not cut:
        what = "only blank lines" if tally.blank_lines else "no lines"
        out.add_at(None, "no-samples", None,
                   f"file has {what}: a dataset needs at least one sample")
    # The size rules on the data read: for a stream (its size was unknown), for a name that
    # says compressed, and for compressed bytes under a plain name (found by their magic
    # number, so the data read is not the size on disk, which begin() judged already).
    on_disk = 0 if source.size is None or check.packed else source.size
    if cut:  # said already
        pass
    elif source.size is None or check.packed or size != on_disk:
        _size_rule(size, check.config, out, "data is" if check.packed or on_disk else "input is",
                   judged=on_disk)
    if check.config.model is not None and check.purpose == "fine-tune":
        _model_rules(check)
    if check.purpose == "batch-api" and size > LIMITS.batch_max_bytes:
        out.add_at(None, "batch-limits", None,
                   f"batch file is {size:,} bytes, over the limit of "
                   f"{LIMITS.batch_max_bytes:,}: split it into several files")


def _model_rules(check: FileCheck) -> None:
    """The ``--model`` rules on the whole file, then the samples' token issues (collected
    apart while counting in batches: see :mod:`validator.models.check`)."""
    from validator.models.check import file_checks  # noqa: PLC0415 - only with --model

    assert check.config.model is not None
    file_checks(check.config.model, check.tally, check.out)
    if check.tally.tokens is not None:
        check.out.merge(check.tally.tokens.out, 0)


def make_report(check: FileCheck) -> Report:
    return _report(check.source, check.purpose, check.out, check.tally)


def validate_opened(handle: BinaryIO, name: str, size: int | None,
                    purpose: str = "fine-tune", *, config: Config | None = None) -> Report:
    """Validate an already opened binary ``handle`` (say, a remote file through fsspec) called
    ``name``, of ``size`` bytes when known; in this process."""
    return _validate(Source(name, size), handle, purpose, config=config or Config(),
                     progress=None, workers=1)


def _validate(source: Source, handle: BinaryIO, purpose: str, *, config: Config,
              progress: Callable[[int], None] | None, workers: int,
              router: FileRouter | None = None, scratch: str | None = None,
              features: Features | None = None) -> Report:
    check = begin(source, purpose, config)
    if check.kind == "jsonl":
        size = _scan_jsonl_source(source, handle, purpose, config=config, packed=check.packed,
                                  progress=progress, workers=workers, out=check.out,
                                  tally=check.tally, router=router, scratch=scratch,
                                  features=features)
        end_jsonl(check, size)
    elif check.kind is not None:
        if router is not None:
            raise UsageError(f"{source.path}: only JSONL files can be split into clean and "
                             f"rejected lines, not {check.kind}")
        from validator.files.csv import check_tabular  # noqa: PLC0415 - keeps pyarrow lazy

        with _seekable(handle, config.max_file_bytes) as seekable:
            if seekable is None:
                check.out.add_at(None, "file-too-large", None,
                                 f"input is over the limit of {config.max_file_bytes:,} "
                                 "bytes, so reading stopped there (nothing was checked): "
                                 "split it into several files")
            else:
                check.tally.nlines = check_tabular(seekable, check.kind, check.out,
                                                   max_line_bytes=config.max_line_bytes)
    return make_report(check)


def _scan_jsonl_source(source: Source, handle: BinaryIO, purpose: str, *, config: Config,
                       packed: str | None, progress: Callable[[int], None] | None,
                       workers: int, out: Collector, tally: Tally,
                       router: FileRouter | None, scratch: str | None = None,
                       features: Features | None = None) -> int:
    """Scan JSONL data, in parallel where it pays; return the bytes of (decompressed) data."""
    model = model_check(config, purpose)  # before any worker: they share what it loads
    if (workers > 1 and packed is None and source.size
            and scan_parallel(source.path, handle, source.size, purpose=purpose, config=config,
                              workers=workers, out=out, tally=tally, progress=progress,
                              router=router, scratch=scratch, features=features)):
        return source.size
    if workers > 1:
        handle.seek(0)  # scan_parallel may have read ahead before declining
    # A file on disk over max-file-size was judged by its size already, and is read whole
    cap = max(config.max_file_bytes, source.size or 0)
    reader = BlockReader(handle, source.path, packed=packed, progress=progress, limit=cap)
    limit = config.max_line_bytes
    rows = None
    if features is not None:
        from validator.stats.rows import Rows  # noqa: PLC0415 - only for stats and report

        rows = Rows(features, model)
    try:
        if router is None:
            lines = split_lines(reader, limit)
            if source.size is None or packed or reader.packed:  # size known only once read
                lines = _whole_lines(lines, reader)
            scan_jsonl(lines, purpose, limit, out, tally, model=model, rows=rows,
                       size=source.size)
        else:
            lines = router.route(split_lines(reader, limit, spill=router.spill), out)
            scan_jsonl(lines, purpose, limit, out, tally, model=model, rows=rows,
                       size=source.size)
    except BaseException:
        if rows is not None:  # no half-written table
            rows.remove()
        raise
    if rows is not None:
        rows.close()
        assert features is not None
        features.stopped = reader.over_limit
    if reader.error is not None:
        out.add_at(None, "archive-invalid", None,
                   f"compressed data is truncated or corrupt ({reader.error}) after "
                   f"{reader.done:,} decompressed bytes; "
                   + (f"the last complete line is line {reader.lines:,}" if reader.lines
                      else "no line is complete")
                   + ": re-create or re-download the archive")
    if reader.over_limit:  # a stream, or compressed data, that goes on past max-file-size
        if router is not None:
            raise UsageError(f"{source.path}: more than {cap:,} bytes (max-file-size), so "
                             "reading stopped there; a split needs every line read, so nothing "
                             "was written")
        what = "decompressed data is" if reader.packed else "input is"
        read = tally.nlines + tally.blank_lines
        checked = f"lines 1-{read:,} were checked" if read else "no line ended before it"
        if "file-too-large" not in out.by_code:  # not by its size on disk already
            out.add_at(None, "file-too-large", None,
                       f"{what} over the limit of {cap:,} bytes, so reading stopped there "
                       f"({checked}): split it into several files")
    return reader.done


def _whole_lines(lines: Iterator[bytes | TooLong], reader: BlockReader
                 ) -> Iterator[bytes | TooLong]:
    """``lines``, less the last one when the reader stopped at its limit: that line was cut
    there, and its start is not a line of the file to judge."""
    held = next(lines, None)
    if held is None:
        return
    for line in lines:
        yield held
        held = line
    if not (reader.over_limit and reader.cut_line):
        yield held


@contextmanager
def _seekable(handle: BinaryIO, cap: int) -> Iterator[BinaryIO | None]:
    """``handle`` itself when it can seek, else a temporary copy (Parquet reads its footer
    first, so a piped Parquet file is spooled), or None when the stream goes on past ``cap``
    bytes (the copy stops there)."""
    if handle.seekable():
        yield handle
        return
    import tempfile  # noqa: PLC0415 - only for piped Parquet or CSV

    with tempfile.TemporaryFile() as copy:
        copied = 0
        while block := handle.read(1 << 20):
            copied += len(block)
            if copied > cap:
                yield None
                return
            copy.write(block)
        copy.seek(0)
        yield copy


def _size_rule(size: int, config: Config, out: Collector, what: str = "file is", *,
               judged: int = 0) -> None:
    """file-too-large, else file-too-large-for-sdk (a file the API refuses needs no word on
    the SDK); none that a size already ``judged`` (the file's on disk) has raised."""
    if size > config.max_file_bytes >= judged:
        out.add_at(None, "file-too-large", None,
                   f"{what} {size:,} bytes, over the limit of {config.max_file_bytes:,}: "
                   "split it into several files")
    elif size > config.sdk_max_file_bytes >= judged:
        out.add_at(None, "file-too-large-for-sdk", None,
                   f"{what} {size:,} bytes, over the {config.sdk_max_file_bytes:,} that the "
                   "official together SDK and CLI will upload (they refuse a larger file): "
                   "upload it with `ftdata upload`, or split it into several files")


def _file_rules(source: Source, purpose: str, config: Config, out: Collector, *,
                sized: bool) -> str | None:
    """File-level rules (SPEC §1): the file type to read on with, None to stop here.

    ``sized``: the size on disk is the data's size (not compressed), so size rules apply now.
    """
    kind = file_type(source.path)
    if kind is None:
        out.add_at(None, "file-type", None,
                   f"file type not accepted: name the file *.{', *.'.join(FILE_TYPES)} "
                   "(JSONL for fine-tune, batch and eval data, also read as *.jsonl.gz or "
                   "*.jsonl.zst; CSV for eval; Parquet for pre-tokenized fine-tune data)")
        return None
    if source.size == 0:
        out.add_at(None, "file-empty", None, "file is empty (0 bytes)")
        return None
    if sized and source.size is not None:
        _size_rule(source.size, config, out)
    wanted = PURPOSE_OF_TYPE.get(kind)
    if wanted is not None and purpose != wanted:
        what = "a CSV file" if kind == "csv" else "a Parquet file"
        out.add_at(None, "purpose-file-type", None,
                   f"{what} is only accepted for purpose {wanted}, not {purpose}: pass "
                   f"`--purpose {wanted}` (or `--purpose auto`, which picks it from the name)")
        return None
    return kind


def _report(source: Source, purpose: str, out: Collector, tally: Tally) -> Report:
    fmt = min(tally.format_lines, key=tally.format_lines.__getitem__) if tally.format_lines \
        else None
    stats = {
        "bytes": source.size,
        "blank_lines": tally.blank_lines,
        "samples_per_format": dict(tally.formats),
        "messages_per_sample": tally.messages.summary(),
        "chars_per_sample": tally.chars.summary(),
    }
    if tally.tokens is not None:
        stats["tokens"] = tally.tokens.summary()
    return Report(
        path=source.path,
        purpose=purpose,
        dataset_format=fmt,
        nlines=tally.nlines,
        dataset_has_sample_weights=tally.has_sample_weights,
        dataset_has_message_weights=tally.has_message_weights,
        dataset_is_multimodal=tally.is_multimodal,
        dataset_has_tools=tally.has_tools,
        dataset_has_parallel_tool_calls=tally.has_parallel_tool_calls,
        dataset_has_reasoning=tally.has_reasoning,
        issues=out.grouped(),
        errors=out.errors,
        warnings=out.warnings,
        by_code=out.by_code,
        first_error=out.first_error,
        stats=stats,
    )
