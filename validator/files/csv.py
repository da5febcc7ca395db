"""Parquet (pre-tokenized fine-tune data) and CSV (eval data).

The Parquet rules live in :mod:`validator.files.parquet`, which imports pyarrow only when a Parquet
file is met, so JSONL runs and the pre-commit hook start fast.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import BinaryIO

from validator.collect import Collector
from validator.files.parquet import PARQUET_COLUMNS, check_parquet
from validator.limits import LIMITS
from validator.read.json_errors import BOM, BOM_MESSAGE, utf8_message

__all__ = ["FIELD_CHARS", "PARQUET_COLUMNS", "CsvLines", "check_tabular"]

_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")  # after a \r that ends a line on its own (old Mac)


def check_tabular(handle: BinaryIO, kind: str, out: Collector, *,
                  max_line_bytes: int = LIMITS.max_line_bytes) -> int:
    """Check a Parquet or CSV stream (seekable for Parquet); return its number of rows.
    ``max_line_bytes`` (max-line-size) bounds a CSV line and a decoded Parquet row."""
    if kind == "parquet":
        return check_parquet(handle, out, max_row_bytes=max_line_bytes)
    return _check_csv(handle, out, max_line_bytes)


FIELD_CHARS = 2**24
"""The longest CSV field read, in characters (16 Mi; the csv module's default of 128 Ki would
refuse a long eval prompt). A quote left open makes the rest of the file one field, so it is
bounded."""


def _check_csv(handle: BinaryIO, out: Collector, max_line_bytes: int) -> int:
    rows = 0
    width = 0
    broken = False  # a CSV error was reported: no "no header" or "no data row" on top
    lines = CsvLines(handle, out, max_line_bytes)
    reader = csv.reader(lines)
    previous = csv.field_size_limit(FIELD_CHARS)  # process-wide: put back below
    try:
        for row in reader:
            if reader.line_num == 1 or not width:
                width = len(row)
                continue
            rows += 1
            if len(row) != width:
                out.add_at(reader.line_num, "csv-columns", None,
                           f"row has {len(row)} columns, the header has {width}")
    except csv.Error as exc:
        broken = True
        reason = str(exc)
        if "field limit" in reason:
            reason = (f"a field is over {FIELD_CHARS:,} characters (a quote that is never "
                      "closed makes the rest of the file one field)")
        out.add_at(reader.line_num, "csv-invalid", None, f"cannot read as CSV: {reason}")
    finally:
        csv.field_size_limit(previous)
    if lines.too_long is not None:
        broken = True
        line, size = lines.too_long
        out.add_at(line, "line-too-long", None,
                   f"line is over {size:,} bytes, the limit (max-line-size): the rest of the "
                   "file was not read; is a quote left open, or a field this long?")
    if not broken and not width:
        out.add_at(None, "csv-invalid", None, "CSV has no header row")
    elif not broken and rows == 0:
        out.add_at(None, "no-samples", None, "CSV has a header but no data row")
    return rows


class CsvLines:
    """The file's physical lines, decoded, for ``csv.reader`` (which counts them in line_num),
    each read with a bound: a line over ``limit`` bytes ends the reading (``too_long`` holds
    its line number and the limit), so a field of a gigabyte costs the limit, not itself.

    Checked the way JSONL lines are (SPEC §1): a BOM, and each line that is not UTF-8 with its
    line and byte offset; such a line is decoded with replacement characters so rows are still
    counted. Lines end at \\n, \\r\\n or a lone \\r, as in universal-newline mode.
    """

    def __init__(self, handle: BinaryIO, out: Collector, limit: int) -> None:
        self.handle = handle
        self.out = out
        self.limit = limit
        self.too_long: tuple[int, int] | None = None
        self._lines = self._decoded()

    def __iter__(self) -> CsvLines:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def _decoded(self) -> Iterator[str]:
        offset = 0
        lineno = 0
        out = self.out
        while chunk := self.handle.readline(self.limit + 1):
            if len(chunk) > self.limit:
                self.too_long = (lineno + 1, self.limit)
                return
            for line in _LONE_CR.split(chunk) if b"\r" in chunk else (chunk,):
                if not line:
                    continue
                lineno += 1
                start = offset
                offset += len(line)
                raw = line
                if lineno == 1 and raw.startswith(BOM):
                    out.add_at(1, "bom", None, BOM_MESSAGE)
                    raw = raw[len(BOM):]
                    start += len(BOM)
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as bad:
                    out.add_at(lineno, "utf8-invalid", None, utf8_message(raw, bad, start))
                    yield raw.decode("utf-8", "replace")
