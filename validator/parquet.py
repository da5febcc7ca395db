"""Parquet (pre-tokenized fine-tune data): the rules of SPEC §3.

pyarrow is imported inside :func:`check_parquet`, so the CLI never loads it for JSONL files.
"""

from __future__ import annotations

from typing import BinaryIO

from validator.collect import Collector

__all__ = ["PARQUET_COLUMNS", "PARQUET_REQUIRED", "check_parquet"]

PARQUET_REQUIRED = "input_ids"
PARQUET_COLUMNS = ("input_ids", "attention_mask", "labels", "position_ids")


def check_parquet(handle: BinaryIO, out: Collector) -> int:
    """Check a seekable Parquet stream; return its number of rows (as its metadata says)."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy, loaded on the first Parquet file

    try:
        parquet = pq.ParquetFile(handle)
        schema = parquet.schema_arrow
        rows = int(parquet.metadata.num_rows)
    except Exception as exc:  # pyarrow raises many types for corrupt input
        out.add_at(None, "parquet-invalid", None,
                   f"cannot read as Parquet ({exc}): is the file complete and really Parquet?")
        return 0
    _check_names(schema.names, out)
    return rows


def _check_names(names: list[str], out: Collector) -> None:
    """The SDK rules: input_ids is there, and no column the server does not accept."""
    if PARQUET_REQUIRED not in names:
        out.add_at(None, "parquet-columns", None,
                   f"Parquet file has no {PARQUET_REQUIRED} column (columns: "
                   f"{', '.join(names) or 'none'}); pre-tokenized data needs one")
    extra = [n for n in names if n not in PARQUET_COLUMNS]
    if extra:
        out.add_at(None, "parquet-columns", None,
                   f"Parquet column(s) {', '.join(extra)} are not accepted: only "
                   f"{', '.join(sorted(PARQUET_COLUMNS))}")
