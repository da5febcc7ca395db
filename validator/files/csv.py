"""Parquet (pre-tokenized fine-tune data) and CSV (eval data).

The Parquet rules live in :mod:`validator.files.parquet`, which imports pyarrow only when a Parquet
file is met, so JSONL runs and the pre-commit hook start fast.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from validator.collect import Collector
from validator.files.parquet import PARQUET_COLUMNS, check_parquet
from validator.read.json_errors import BOM, BOM_MESSAGE, utf8_message

__all__ = ["PARQUET_COLUMNS", "check_tabular"]

_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")  # after a \r that ends a line on its own (old Mac)


def check_tabular(handle: BinaryIO, kind: str, out: Collector) -> int:
    """Check a Parquet or CSV stream (seekable for Parquet); return its number of rows."""
    if kind == "parquet":
        return check_parquet(handle, out)
    return _check_csv(handle, out)


def _check_csv(handle: BinaryIO, out: Collector) -> int:
    rows = 0
    width = 0
    reader = csv.reader(_text_lines(handle, out))
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
        out.add_at(reader.line_num, "csv-invalid", None, f"cannot read as CSV: {exc}")
    if not width:
        out.add_at(None, "csv-invalid", None, "CSV has no header row")
    elif rows == 0:
        out.add_at(None, "no-samples", None, "CSV has a header but no data row")
    return rows


def _text_lines(handle: Iterable[bytes], out: Collector) -> Iterator[str]:
    """The file's physical lines, decoded, for ``csv.reader`` (which counts them in line_num).

    Checked the way JSONL lines are (SPEC §1): a BOM, and each line that is not UTF-8 with its
    line and byte offset; such a line is decoded with replacement characters so rows are still
    counted. Lines end at \\n, \\r\\n or a lone \\r, as in universal-newline mode.
    """
    offset = 0
    lineno = 0
    for chunk in handle:
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
