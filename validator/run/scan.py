"""Scanning lines: split -> parse -> detect format -> per-format checks, for one stream of
blocks (a whole file, or one byte range of it in a worker process)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import orjson

from validator.collect import Collector, Tally
from validator.formats.batch import check as check_batch
from validator.formats.describe import json_type
from validator.formats.detect import detect
from validator.formats.evaluation import check as check_eval
from validator.formats.weights import SAMPLE_WEIGHT_KEY, check_sample_weight
from validator.limits import LIMITS
from validator.read.json_errors import (
    BOM,
    BOM_MESSAGE,
    document_kind,
    document_message,
    report_json_error,
)
from validator.read.lines import TooLong

if TYPE_CHECKING:
    from validator.config import Config
    from validator.models.check import ModelCheck
    from validator.run.fastpath import FastPath
    from validator.stats.rows import Rows

__all__ = ["FAST_AFTER", "model_check", "scan_jsonl"]


def model_check(config: Config, purpose: str) -> ModelCheck | None:
    """The ``--model`` checks for one scan of fine-tune data (None without a model): loads the
    model table and tokenizer (once per process) only then."""
    if config.model is None or purpose != "fine-tune":
        return None
    from validator.models.check import ModelCheck  # noqa: PLC0415 - only with --model

    return ModelCheck(config.model, config)

_SPACE = frozenset(b" \t\r\f\v")
_NEVER = 1 << 62  # an offset no file reaches
# The file offset from which scans take the fast path: importing msgspec (12-30 ms) costs about
# what the fast path saves on 30 MB, so a small file never loads it. A file known to be larger
# (its size on disk) pays the import anyway, so its scans take the fast path from the first
# line after the format is known, a worker's range as much as the file's start. Tests set 0
# to hold both paths to one report.
FAST_AFTER = 32 * 2**20


def scan_jsonl(
    lines: Iterable[bytes | TooLong],
    purpose: str,
    max_line_bytes: int,
    out: Collector,
    tally: Tally,
    *,
    offset: int = 0,
    known_format: tuple[str, int] | None = None,
    start_line: int = 1,
    batch_ids: dict[str, int] | None = None,
    model: ModelCheck | None = None,
    rows: Rows | None = None,
    size: int | None = None,
) -> int:
    """Check every line (from ``lines.split_lines``); return how many there were, blank ones
    too.

    The hot path: keep work here proportional to what a line needs. Lines are numbered from 1
    within ``lines``; ``offset`` is the file offset of the first one (the BOM rule applies at
    offset 0 only), and ``known_format`` is the file's (format, line) when ``lines`` are a later
    piece of the file, so the format-mixing rule compares with the file's first sample.
    ``start_line`` numbers the first line otherwise, and ``batch_ids`` carries batch custom_ids
    over from earlier pieces (both for records checked in batches). ``model`` counts every
    sample without an error against the model (:func:`model_check`); its tallies and issues
    go to ``tally.tokens``. ``rows`` gets each sample read (with a format, for fine-tune data)
    for the feature table of ``ftdata stats`` and ``ftdata report``. ``size`` is the size of
    the whole input where it is known (a file on disk), which decides where the fast path
    starts (FAST_AFTER).
    """
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    lines = iter(lines)  # a whole-file JSON document reads the rest on its own
    document: str | None = None
    fine_tune = purpose == "fine-tune"
    batch = purpose == "batch-api"
    batch_max = LIMITS.batch_max_lines  # a batch file is never split across workers
    seen_ids: dict[str, int] = {} if batch_ids is None else batch_ids  # custom_id -> line
    formats = tally.formats
    first_line = tally.format_lines
    file_format, format_line = known_format or (None, 0)
    at_start = offset == 0
    nlines = 0
    blank = 0
    lineno = start_line - 1
    line_errors = 0
    # the fast path (fastpath.py), from file offset FAST_AFTER on, for samples of the format of
    # the file's first (which the full checks read): only fine-tune samples, and not where
    # each needs its record (a model to count tokens, rows to describe)
    fast: FastPath | None = None
    fast_format = ""  # the format it reads: the file's
    fast_at = _NEVER
    if fine_tune and model is None and rows is None:
        fast_at = 0 if size is not None and size > FAST_AFTER else FAST_AFTER
    for line in lines:
        lineno += 1
        out.line = lineno
        if offset >= fast_at and file_format is not None:  # the format of the file's first
            from validator.run import allocator, fastpath  # noqa: PLC0415 - large files only

            allocator.tune()
            fast = fastpath.FastPath(file_format) if file_format in fastpath.FORMATS else None
            fast_format = file_format
            fast_at = _NEVER
        if model is not None:
            line_errors = out.errors
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
        if at_start and lineno == 1 and raw.startswith(BOM):
            out.add("bom", None, BOM_MESSAGE)
            raw = raw[3:]
            start += 3
        if not raw or (raw[0] in _SPACE and not raw.strip()):
            blank += 1
            out.add("blank-line", None, "blank line: it is skipped, not a sample; remove it")
            continue
        nlines += 1
        if fast is not None and fast.take(raw, tally):  # a sample of the file's format
            if fast_format in formats:
                formats[fast_format] += 1
            else:
                formats[fast_format] = 1
                first_line[fast_format] = lineno
            continue
        try:
            rec = loads(raw)
        except decode_error as exc:
            if at_start and nlines == 1 and (document := document_kind(raw)):
                break
            report_json_error(raw, exc, start, out)
            continue
        if type(rec) is not dict:
            if at_start and nlines == 1 and (document := document_kind(raw)):
                break
            out.add("not-object", None,
                    f"line is a JSON {json_type(rec)}, not an object: each line holds one "
                    "{...} sample")
            continue
        if not fine_tune:
            if batch:
                check_batch(rec, out, tally, seen_ids, len(line))
            elif purpose == "eval":  # seen_ids holds the first row's keys (-> its line)
                check_eval(rec, out, seen_ids)
            if rows is not None:
                rows.add(lineno, len(line), rec, "", raw)
            continue
        fmt, problem = detect(rec)
        if fmt is None:
            assert problem is not None
            out.add(*problem)
            continue
        name = fmt.name
        if file_format is None:
            file_format, format_line = name, lineno
        elif name != file_format:
            out.add("format-mixed", None,
                    f"line is {name} but the file's first sample (line {format_line}) is "
                    f"{file_format}: keep one format per file")
        if name in formats:
            formats[name] += 1
        else:
            formats[name] = 1
            first_line[name] = lineno
        if len(rec) > len(fmt.required):
            allowed = fmt.allowed
            for key in rec:
                if key not in allowed:
                    out.add("key-unknown", (key,),
                            f"key {key!r} is ignored by the server for {name}: "
                            "trim it to speed up upload")
            if SAMPLE_WEIGHT_KEY in rec:
                check_sample_weight(rec[SAMPLE_WEIGHT_KEY], out, tally)
        try:
            fmt.check(rec, out, tally)
        except RecursionError:
            out.add("json-invalid", None, "sample is nested too deeply to check")
        if model is not None and out.errors == line_errors:  # a sample the server would take
            model.sample(lineno, rec, name)
        if rows is not None:  # after the model: a batch of rows takes the model's counts
            rows.add(lineno, len(line), rec, name, raw)
    if fast is not None:
        fast.flush(tally)
    if document is not None:
        more_lines, more_samples = _whole_document(document, lines, out)
        lineno += more_lines
        nlines += more_samples
        blank += more_lines - more_samples
    if batch and nlines > batch_max:
        out.add_at(None, "batch-limits", None,
                   f"batch file has {nlines:,} requests, over the limit of {batch_max:,}: "
                   "split it into several files")
    tally.nlines += nlines
    tally.blank_lines += blank
    out.line = None
    if model is not None:
        model.flush()
        if tally.tokens is None:
            tally.tokens = model.tally.empty()
        tally.tokens.merge(model.tally, 0)
    return lineno - start_line + 1


def _whole_document(kind: str, rest: Iterator[bytes | TooLong],
                    out: Collector) -> tuple[int, int]:
    """The file is one JSON document (SPEC §1): report it once, for the file, and read the
    rest of its lines without checking them (each is only a piece of the document; a
    quarantine split rejects them all). Returns the lines and the non-blank lines read after
    the first."""
    out.add_at(None, "file-json-document", None, document_message(kind))
    out.reject_line("file-json-document", "the first line of a whole-file JSON document")
    lines = samples = 0
    for line in rest:
        lines += 1
        if type(line) is not bytes or line.strip():
            samples += 1
            out.reject_line("file-json-document", "a piece of a whole-file JSON document")
    return lines, samples
