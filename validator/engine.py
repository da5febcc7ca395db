"""The pipeline: read bytes -> split lines -> parse -> detect format -> per-format checks ->
issues and tallies -> :class:`~validator.report.Report`.

``validate_file`` is the library entry point. It never prints; data problems become issues in
the report, and only "cannot run" problems (missing file, bad purpose) raise.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO

from validator.collect import Collector, Tally
from validator.config import Config
from validator.errors import UsageError
from validator.parallel import PARALLEL_MIN_BYTES, available_cores, scan_parallel
from validator.report import Report
from validator.scan import scan_jsonl
from validator.source import FILE_TYPES, Source, file_type, open_source, read_blocks

__all__ = ["PURPOSES", "validate_bytes", "validate_file"]

PURPOSES = ("fine-tune", "eval", "batch-api")
_PURPOSE_OF_TYPE = {"csv": "eval", "parquet": "fine-tune"}  # JSONL serves every purpose


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
    or more, one below); the report is the same whatever the number.
    """
    _check_purpose(purpose)
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")
    source, handle = open_source(os.fspath(path))
    if workers is None:
        workers = available_cores() if source.size >= PARALLEL_MIN_BYTES else 1
    with handle:
        return _validate(source, handle, purpose, config=config or Config(), progress=progress,
                         workers=workers)


def validate_bytes(
    data: bytes, name: str = "data.jsonl", purpose: str = "fine-tune", *,
    config: Config | None = None,
) -> Report:
    """Validate in-memory ``data`` as if it were a file called ``name``."""
    _check_purpose(purpose)
    return _validate(Source(name, len(data)), io.BytesIO(data), purpose,
                     config=config or Config(), progress=None, workers=1)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise UsageError(f"unknown purpose {purpose!r}: use one of {', '.join(PURPOSES)}")


def _validate(source: Source, handle: BinaryIO, purpose: str, *, config: Config,
              progress: Callable[[int], None] | None, workers: int) -> Report:
    out = Collector(config)
    tally = Tally()
    kind = _file_rules(source, purpose, config, out)
    if kind == "jsonl":
        if workers < 2 or not scan_parallel(source.path, handle, source.size, purpose=purpose,
                                            config=config, workers=workers, out=out,
                                            tally=tally, progress=progress):
            handle.seek(0)
            blocks = read_blocks(handle, source.path, progress=progress)
            scan_jsonl(blocks, purpose, config.max_line_bytes, out, tally)
        if tally.nlines == 0:
            what = "only blank lines" if tally.blank_lines else "no lines"
            out.add_at(None, "no-samples", None,
                       f"file has {what}: a dataset needs at least one sample")
    elif kind is not None:
        from validator.tabular import check_tabular  # noqa: PLC0415 - keeps pyarrow lazy

        tally.nlines = check_tabular(handle, kind, out)
    return _report(source, purpose, out, tally)


def _file_rules(source: Source, purpose: str, config: Config, out: Collector) -> str | None:
    """File-level rules (SPEC §1): the file type to read on with, None to stop here."""
    kind = file_type(source.path)
    if kind is None:
        out.add_at(None, "file-type", None,
                   f"file type not accepted: name the file *.{', *.'.join(FILE_TYPES)} "
                   "(JSONL for fine-tune, batch and eval data; CSV for eval; Parquet for "
                   "pre-tokenized fine-tune data)")
        return None
    if source.size == 0:
        out.add_at(None, "file-empty", None, "file is empty (0 bytes)")
        return None
    if source.size > config.max_file_bytes:
        out.add_at(None, "file-too-large", None,
                   f"file is {source.size:,} bytes, over the limit of {config.max_file_bytes:,}: "
                   "split it into several files")
    wanted = _PURPOSE_OF_TYPE.get(kind)
    if wanted is not None and purpose != wanted:
        out.add_at(None, "purpose-file-type", None,
                   f"{kind} files are only accepted for purpose {wanted}, not {purpose}")
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
        issues=out.issues,
        errors=out.errors,
        warnings=out.warnings,
        by_code=out.by_code,
        first_error=out.first_error,
        stats=stats,
    )
