"""Parquet (pre-tokenized fine-tune data): the rules of SPEC §3, without loading the table.

The schema rules: ``input_ids`` and ``attention_mask`` are required (the docs' table marks
both; old SDKs required only ``input_ids``), no other column than ``input_ids``,
``attention_mask``, ``labels`` and ``position_ids`` is accepted, and none is named twice. The
deeper rules look at every row: each column is a list of integers, nothing is null, every list
of a row is as long as its ``input_ids``, ``input_ids`` is never empty, ``attention_mask``
holds only 0 and 1, ``labels`` only -100 or ids >= 0, a row whose labels are all -100 trains
on nothing, and ``position_ids`` count 0, 1, 2, ... within each packed example.

The token columns are read in record batches of about :data:`TARGET_BATCH_BYTES` once decoded
(the batch size in rows comes from the file's metadata, so long rows give short batches), and
each batch is checked with pyarrow compute kernels over whole columns
(:mod:`validator.files.parquet_rows`): a clean file never enters a Python loop per row, let
alone per token.

An issue's ``line`` is the 1-based row number across the whole file, its ``path`` the column
(``$.labels``) or one value of it (``$.labels[7]``, 0-based within the row's list).

pyarrow (and ``parquet_rows``) is imported inside :func:`check_parquet`, so the CLI never
loads it for JSONL files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

from validator.collect import Collector
from validator.config import Config
from validator.limits import LIMITS

__all__ = ["IGNORED_LABEL", "PARQUET_COLUMNS", "PARQUET_REQUIRED", "TARGET_BATCH_BYTES",
           "check_parquet", "row_batches"]

PARQUET_REQUIRED = ("input_ids", "attention_mask")
PARQUET_COLUMNS = ("input_ids", "attention_mask", "labels", "position_ids")

TARGET_BATCH_BYTES = 16 * 2**20
"""Decoded size of one record batch (all token columns together); read when a file is opened,
so tests can shrink it to force many small batches."""

READ_BUFFER_BYTES = 2**20
"""Column chunks are read through a buffer of this size rather than whole: a row group of
several GB costs a batch of memory, not a row group."""

IGNORED_LABEL = -100  # the label of a token left out of the loss


def check_parquet(handle: BinaryIO, out: Collector, *,
                  max_row_bytes: int = LIMITS.max_line_bytes) -> int:
    """Check a seekable Parquet stream; return its number of rows (as its metadata says).
    A row over ``max_row_bytes`` once decoded (max-line-size) is not read."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy, loaded on the first Parquet file

    try:
        parquet = pq.ParquetFile(handle, buffer_size=READ_BUFFER_BYTES, pre_buffer=False)
        schema = parquet.schema_arrow
        rows = int(parquet.metadata.num_rows)
    except Exception as exc:  # pyarrow raises many types for corrupt input
        out.add_at(None, "parquet-invalid", None, f"cannot read as Parquet ({_reason(exc)}): "
                   "is the file complete and really Parquet?")
        return 0
    _check_names(schema.names, out)
    if rows == 0:
        out.add_at(None, "no-samples", None,
                   "Parquet file has no rows: a dataset needs at least one sample")
        return 0
    columns = _typed_columns(schema, out)
    if columns:
        _check_rows(parquet, columns, rows, out, max_row_bytes)
    return rows


def row_batches(handle: BinaryIO, wanted: tuple[str, ...], *,
                max_row_bytes: int = LIMITS.max_line_bytes) -> Iterator[Any]:
    """Record batches of the ``wanted`` columns that exist and hold integer lists, sized as for
    the checks (for statistics); row groups whose rows are over ``max_row_bytes`` on average
    once decoded are left out, as the checks leave them. Raises whatever pyarrow raises on a
    damaged file."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    parquet = pq.ParquetFile(handle, buffer_size=READ_BUFFER_BYTES, pre_buffer=False)
    ignore = Collector(Config().with_overrides(ignore=["parquet-type"]))
    columns = [c for c in _typed_columns(parquet.schema_arrow, ignore) if c in wanted]
    if not columns:
        return
    per_row = _row_bytes(parquet.metadata, parquet.schema_arrow, columns)
    groups = [g for g, row in enumerate(per_row) if row <= max_row_bytes]
    if groups:
        size = _batch_rows([per_row[g] for g in groups])
        yield from parquet.iter_batches(batch_size=size, columns=columns, row_groups=groups)


def _check_names(names: list[str], out: Collector) -> None:
    """The schema rules: input_ids and attention_mask are there, no column the server does
    not accept, and no accepted column twice (pyarrow writes a table with repeated names)."""
    missing = [n for n in PARQUET_REQUIRED if n not in names]
    if missing:
        how = []
        if "input_ids" in missing:
            how.append("name the token column input_ids")
        if "attention_mask" in missing:
            how.append("write attention_mask as 1 for each token to attend to and 0 for "
                       "padding (all 1s when nothing is padded)")
        out.add_at(None, "parquet-columns", None,
                   f"Parquet file has no {' and no '.join(missing)} column (columns: "
                   f"{', '.join(names) or 'none'}): pre-tokenized data needs "
                   f"{' and '.join(PARQUET_REQUIRED)}; {'; '.join(how)}")
    extra = list(dict.fromkeys(n for n in names if n not in PARQUET_COLUMNS))
    if extra:
        out.add_at(None, "parquet-columns", None,
                   f"Parquet column(s) {', '.join(extra)} are not accepted: only "
                   f"{', '.join(sorted(PARQUET_COLUMNS))}")
    # A repeated name that is not accepted is in the message above: dropping it fixes both.
    for name, times in Counter(names).items():
        if times > 1 and name in PARQUET_COLUMNS:
            out.add_at(None, "parquet-columns", (name,),
                       f"column {name} appears {times} times: each column is named once, so "
                       "keep one copy and drop the others (no copy was checked, as which one "
                       "a reader takes is not defined)")


def _typed_columns(schema: Any, out: Collector) -> list[str]:
    """The accepted columns that are lists of integers, in file order; the others (of an
    accepted name) are reported once each and not read. A name given to several columns is
    left out (``_check_names`` reports it): pyarrow cannot select one of them by name."""
    import pyarrow as pa  # noqa: PLC0415

    columns = []
    times = Counter(schema.names)
    for field in schema:
        if field.name not in PARQUET_COLUMNS or times[field.name] > 1:
            continue
        kind = field.type
        if (pa.types.is_list(kind) or pa.types.is_large_list(kind)
                or pa.types.is_fixed_size_list(kind)) and pa.types.is_integer(kind.value_type):
            columns.append(field.name)
            continue
        out.add_at(None, "parquet-type", (field.name,),
                   f"column {field.name} has type {kind}: it must be a list of integer token "
                   "values, such as list<int32> or list<int64> (its values were not checked)")
    return columns


def _row_bytes(metadata: Any, schema: Any, columns: list[str]) -> list[float]:
    """Decoded bytes per row of ``columns``, on average, in each row group (0 for an empty
    group).

    The size is estimated from the metadata's value counts and the Arrow types (Parquet's own
    "uncompressed" sizes are after dictionary and RLE encoding, so a column of 1s would look
    nearly free): it is known before a single value is decoded.
    """
    import pyarrow as pa  # noqa: PLC0415

    width = {}  # column -> (bytes per value, bytes per row)
    for name in columns:
        kind = schema.field(name).type
        offsets = 8 if pa.types.is_large_list(kind) else 4
        width[name] = (kind.value_type.bit_width // 8, offsets)
    sizes = []
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        size = 0
        for c in range(group.num_columns):
            chunk = group.column(c)
            name = chunk.path_in_schema.split(".", 1)[0]
            if name in width:
                value, offsets = width[name]
                size += chunk.num_values * value + group.num_rows * offsets
        sizes.append(size / group.num_rows if group.num_rows > 0 else 0.0)
    return sizes


def _batch_rows(per_row: list[float]) -> int:
    """Rows per batch so one batch is about TARGET_BATCH_BYTES decoded: the widest row group
    on average sets the pace."""
    return max(1, int(TARGET_BATCH_BYTES / max(1.0, *per_row)))


def _check_rows(parquet: Any, columns: list[str], rows: int, out: Collector,
                limit: int) -> None:
    """Stream the token columns batch by batch, row group by row group; a read failure ends
    the scan with one issue. A row group whose rows are, on average, over max-line-size once
    decoded is not read at all (a few hundred bytes of Parquet can declare a row of 2**28
    tokens, gigabytes once decoded): its first row gets ``parquet-row-too-large``."""
    from validator.files.parquet_rows import check_batch  # noqa: PLC0415 - imports pyarrow

    metadata = parquet.metadata
    per_row = _row_bytes(metadata, parquet.schema_arrow, columns)
    size = _batch_rows([row for row in per_row if row <= limit] or [1.0])
    done = 0  # rows read (or passed over) so far
    for run, fits in _runs(per_row, limit):
        run_rows = sum(int(metadata.row_group(g).num_rows) for g in run)
        if not fits:
            for g in run:
                group_rows = int(metadata.row_group(g).num_rows)
                what = ("row holds" if group_rows == 1
                        else f"{group_rows:,} rows hold on average")
                out.add_at(done + 1, "parquet-row-too-large", None,
                           f"row group {g} (rows {done + 1:,}-{done + group_rows:,}): its {what}"
                           f" {per_row[g]:,.0f} bytes of tokens once decoded, over the "
                           f"{limit:,} of max-line-size, so it was not read: cut the samples "
                           "down to the model's context (or raise max-line-size)")
                done += group_rows
            continue
        batches = parquet.iter_batches(batch_size=size, columns=columns, row_groups=run)
        start = done
        while True:
            try:
                batch = next(batches, None)
            except Exception as exc:  # truncated or corrupt column data, found while reading
                where = f"after row {done:,} of {rows:,}" if done else "from its first row"
                checked = f"rows 1-{done:,} were checked" if done else "no row was checked"
                out.add_at(None, "parquet-invalid", None,
                           f"Parquet data is unreadable {where} ({_reason(exc)}): the file is "
                           f"truncated or corrupt, so {checked}; write the file again")
                return
            if batch is None:
                break
            check_batch(batch, done, out)
            done += batch.num_rows
        if done - start != run_rows:
            break
    if done != rows:
        out.add_at(None, "parquet-invalid", None,
                   f"Parquet metadata declares {rows:,} rows but the data holds {done:,}: "
                   "the file is corrupt; write it again")


def _runs(per_row: list[float], limit: float) -> Iterator[tuple[list[int], bool]]:
    """The row groups in runs of neighbours that fit ``limit`` or do not: a run that fits is
    read as one stream of batches (which span its groups, however small they are)."""
    run: list[int] = []
    fits = True
    for g, row in enumerate(per_row):
        if run and (row <= limit) != fits:
            yield run, fits
            run = []
        fits = row <= limit
        run.append(g)
    if run:
        yield run, fits


def _reason(exc: Exception) -> str:
    """pyarrow's message on one line (page and thrift errors span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__
