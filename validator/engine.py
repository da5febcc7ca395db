"""The pipeline: read bytes -> split lines -> parse -> detect format -> per-format checks ->
issues and tallies -> :class:`~validator.report.Report`.

``validate_file`` is the library entry point. It never prints; data problems become issues in
the report, and only "cannot run" problems (missing file, bad purpose) raise.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from typing import BinaryIO

import orjson

from validator.collect import Collector, Tally
from validator.config import Config
from validator.describe import json_type
from validator.detect import detect
from validator.errors import UsageError
from validator.formats.weights import SAMPLE_WEIGHT_KEY, check_sample_weight
from validator.lines import TooLong, split_lines
from validator.parse import report_json_error
from validator.report import Report
from validator.source import FILE_TYPES, Source, file_type, open_source, read_blocks

__all__ = ["PURPOSES", "validate_bytes", "validate_file"]

PURPOSES = ("fine-tune", "eval", "batch-api")
_PURPOSE_OF_TYPE = {"csv": "eval", "parquet": "fine-tune"}  # JSONL serves every purpose
_BOM = b"\xef\xbb\xbf"
_SPACE = frozenset(b" \t\r\f\v")


def validate_file(
    path: str | os.PathLike[str],
    purpose: str = "fine-tune",
    *,
    config: Config | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Validate the file at ``path`` for ``purpose`` (fine-tune, eval or batch-api).

    Raises :class:`~validator.errors.FileAccessError` when the file cannot be read and
    :class:`~validator.errors.UsageError` for an unknown purpose; everything about the data
    itself is in the returned report. ``progress`` is called with the bytes read so far.
    """
    _check_purpose(purpose)
    source, handle = open_source(os.fspath(path))
    with handle:
        return _validate(source, handle, purpose, config or Config(), progress)


def validate_bytes(
    data: bytes, name: str = "data.jsonl", purpose: str = "fine-tune", *,
    config: Config | None = None,
) -> Report:
    """Validate in-memory ``data`` as if it were a file called ``name``."""
    _check_purpose(purpose)
    return _validate(Source(name, len(data)), io.BytesIO(data), purpose, config or Config(), None)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise UsageError(f"unknown purpose {purpose!r}: use one of {', '.join(PURPOSES)}")


def _validate(source: Source, handle: BinaryIO, purpose: str, config: Config,
              progress: Callable[[int], None] | None) -> Report:
    out = Collector(config)
    tally = Tally()
    kind = _file_rules(source, purpose, config, out)
    if kind == "jsonl":
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


def scan_jsonl(blocks: Iterable[bytes], purpose: str, max_line_bytes: int, out: Collector,
               tally: Tally) -> None:
    """The per-line loop. Hot path: keep work here proportional to what a line needs."""
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    fine_tune = purpose == "fine-tune"
    formats = tally.formats
    first_line = tally.format_lines
    file_format: str | None = None
    nlines = 0
    blank = 0
    lineno = 0
    offset = 0
    for line in split_lines(blocks, max_line_bytes):
        lineno += 1
        out.line = lineno
        if type(line) is TooLong:
            nlines += 1
            out.add("line-too-long", None,
                    f"line is {line.size:,} bytes, over the limit of {max_line_bytes:,} "
                    "(raise max-line-size if this is real data)")
            offset += line.size + 1
            continue
        assert type(line) is bytes
        raw = line  # without the BOM below
        start = offset
        offset += len(raw) + 1
        if lineno == 1 and raw.startswith(_BOM):
            out.add("bom", None, "file starts with a UTF-8 byte-order mark (BOM): remove it "
                    "(save as UTF-8 without BOM)")
            raw = raw[3:]
            start += 3
        if not raw or (raw[0] in _SPACE and not raw.strip()):
            blank += 1
            out.add("blank-line", None, "blank line: it is skipped, not a sample; remove it")
            continue
        nlines += 1
        try:
            rec = loads(raw)
        except decode_error as exc:
            report_json_error(raw, exc, start, out)
            continue
        if type(rec) is not dict:
            out.add("not-object", None,
                    f"line is a JSON {json_type(rec)}, not an object: each line holds one "
                    "{...} sample")
            continue
        if not fine_tune:
            continue
        fmt, problem = detect(rec)
        if fmt is None:
            assert problem is not None
            out.add(*problem)
            continue
        name = fmt.name
        if file_format is None:
            file_format = name
        elif name != file_format:
            out.add("format-mixed", None,
                    f"line is {name} but the file's first sample (line "
                    f"{first_line[file_format]}) is {file_format}: keep one format per file")
        if name in formats:
            formats[name] += 1
        else:
            formats[name] = 1
            first_line[name] = lineno
        if len(rec) > len(fmt.required):
            allowed = fmt.allowed
            for key in rec:
                if key not in allowed:
                    out.add("key-unknown", f"$.{key}",
                            f"key {key!r} is ignored by the server for {name}: "
                            "trim it to speed up upload")
            if SAMPLE_WEIGHT_KEY in rec:
                check_sample_weight(rec[SAMPLE_WEIGHT_KEY], out, tally)
        try:
            fmt.check(rec, out, tally)
        except RecursionError:
            out.add("json-invalid", None, "sample is nested too deeply to check")
    tally.nlines += nlines
    tally.blank_lines += blank
    out.line = None


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
