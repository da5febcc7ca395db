"""Parquet (pre-tokenized fine-tune data): the rules of SPEC §3, without loading the table.

The SDK rules look at the schema only: ``input_ids`` is required and no other column than
``input_ids``, ``attention_mask``, ``labels`` and ``position_ids`` is accepted. The deeper
rules look at every row: each column is a list of integers, nothing is null, every list of a
row is as long as its ``input_ids``, ``input_ids`` is never empty, ``attention_mask`` holds
only 0 and 1, ``labels`` only -100 or ids >= 0, and a row whose labels are all -100 trains on
nothing.

The token columns are read in record batches of about :data:`TARGET_BATCH_BYTES` once decoded
(the batch size in rows comes from the file's metadata, so long rows give short batches), and
each batch is checked with pyarrow compute kernels over whole columns: a clean file never
enters a Python loop per row, let alone per token. A check finds its offending rows as one
vector; only the first of them, as many as the issue cap can still hold, get a message (and
the position of their first bad value), the others are only counted.

An issue's ``line`` is the 1-based row number across the whole file, its ``path`` the column
(``$.labels``) or one value of it (``$.labels[7]``, 0-based within the row's list).

pyarrow is imported inside :func:`check_parquet`, so the CLI never loads it for JSONL files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from validator.collect import Collector
from validator.config import Config
from validator.issues import Location, Severity
from validator.rules.codes import Code

__all__ = ["PARQUET_COLUMNS", "PARQUET_REQUIRED", "TARGET_BATCH_BYTES", "check_parquet"]

PARQUET_REQUIRED = "input_ids"
PARQUET_COLUMNS = ("input_ids", "attention_mask", "labels", "position_ids")

TARGET_BATCH_BYTES = 16 * 2**20
"""Decoded size of one record batch (all token columns together); read when a file is opened,
so tests can shrink it to force many small batches."""

READ_BUFFER_BYTES = 2**20
"""Column chunks are read through a buffer of this size rather than whole: a row group of
several GB costs a batch of memory, not a row group."""

IGNORED_LABEL = -100  # the label of a token left out of the loss

_ERROR = Severity.ERROR
_OFF = Severity.OFF

# Order of the checks on one row of one column, for issues in a stable order within a row.
_NULL, _EMPTY, _LENGTH, _VALUE, _TRAINED = range(5)

_Hit = tuple[int, int, int, Code, Location, str]  # row in batch, column, check, code, place, text
_Describe = Callable[[int], tuple[Location, str]]  # row in batch -> (location, message)


def check_parquet(handle: BinaryIO, out: Collector) -> int:
    """Check a seekable Parquet stream; return its number of rows (as its metadata says)."""
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
        _check_rows(parquet, columns, rows, out)
    return rows


def row_batches(handle: BinaryIO, wanted: tuple[str, ...]) -> Iterator[Any]:
    """Record batches of the ``wanted`` columns that exist and hold integer lists, sized as for
    the checks (for statistics). Raises whatever pyarrow raises on a damaged file."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    parquet = pq.ParquetFile(handle, buffer_size=READ_BUFFER_BYTES, pre_buffer=False)
    ignore = Collector(Config().with_overrides(ignore=["parquet-type"]))
    columns = [c for c in _typed_columns(parquet.schema_arrow, ignore) if c in wanted]
    if columns:
        size = _batch_rows(parquet.metadata, parquet.schema_arrow, columns)
        yield from parquet.iter_batches(batch_size=size, columns=columns)


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


def _typed_columns(schema: Any, out: Collector) -> list[str]:
    """The accepted columns that are lists of integers, in file order; the others (of an
    accepted name) are reported once each and not read."""
    import pyarrow as pa  # noqa: PLC0415

    columns = []
    for field in schema:
        if field.name not in PARQUET_COLUMNS or field.name in columns:
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


def _batch_rows(metadata: Any, schema: Any, columns: list[str]) -> int:
    """Rows per batch so one batch of ``columns`` is about TARGET_BATCH_BYTES decoded.

    The size is estimated from the metadata's value counts and the Arrow types (Parquet's own
    "uncompressed" sizes are after dictionary and RLE encoding, so a column of 1s would look
    nearly free); the widest row group on average sets the pace.
    """
    import pyarrow as pa  # noqa: PLC0415

    width = {}  # column -> (bytes per value, bytes per row)
    for name in columns:
        kind = schema.field(name).type
        offsets = 8 if pa.types.is_large_list(kind) else 4
        width[name] = (kind.value_type.bit_width // 8, offsets)
    per_row = 1.0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        if group.num_rows <= 0:
            continue
        size = 0
        for c in range(group.num_columns):
            chunk = group.column(c)
            name = chunk.path_in_schema.split(".", 1)[0]
            if name in width:
                value, offsets = width[name]
                size += chunk.num_values * value + group.num_rows * offsets
        per_row = max(per_row, size / group.num_rows)
    return max(1, int(TARGET_BATCH_BYTES / per_row))


def _check_rows(parquet: Any, columns: list[str], rows: int, out: Collector) -> None:
    """Stream the token columns batch by batch; a read failure ends the scan with one issue."""
    size = _batch_rows(parquet.metadata, parquet.schema_arrow, columns)
    batches = parquet.iter_batches(batch_size=size, columns=columns)
    done = 0
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
        _Batch(batch, done, out).check()
        done += batch.num_rows
    if done != rows:
        out.add_at(None, "parquet-invalid", None,
                   f"Parquet metadata declares {rows:,} rows but the data holds {done:,}: "
                   "the file is corrupt; write it again")


class _Column:
    """One token column of a batch as a variable-size list array, with its values flattened
    (aligned with ``offsets``, which start at 0)."""

    __slots__ = ("arr", "flat", "lengths", "name", "offsets", "order")

    def __init__(self, name: str, order: int, arr: Any) -> None:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        if pa.types.is_fixed_size_list(arr.type):
            arr = arr.cast(pa.list_(arr.type.value_type))
        self.name = name
        self.order = order
        self.arr = arr
        offsets = arr.offsets
        first = offsets[0].as_py()
        last = offsets[len(offsets) - 1].as_py()
        self.flat = arr.values.slice(first, last - first)
        self.offsets = pc.subtract(offsets, first) if first else offsets
        self.lengths = pc.list_value_length(arr)

    def span(self, row: int) -> tuple[int, int]:
        return self.offsets[row].as_py(), self.offsets[row + 1].as_py()


class _Batch:
    """The checks of one record batch; ``base`` rows of the file come before it."""

    __slots__ = ("base", "columns", "hits", "out", "room", "uncounted")

    def __init__(self, batch: Any, base: int, out: Collector) -> None:
        self.base = base
        self.out = out
        self.hits: list[_Hit] = []
        self.uncounted: dict[Code, int] = {}  # offending rows beyond the room, counted last
        # Issues the cap can still keep, per severity, fixed at the start of the batch so every
        # check offers its first rows and the batch's first rows overall are kept.
        left_errors = max(0, out.max_issues - out.errors)
        if out.first_error is None:
            left_errors = max(left_errors, 1)  # the report's `error` names the first one
        self.room = {_ERROR: left_errors,
                     Severity.WARNING: max(0, out.max_issues - out.warnings)}
        self.columns = [_Column(name, i, batch.column(i))
                        for i, name in enumerate(batch.schema.names)]

    def check(self) -> None:
        ids = next((c for c in self.columns if c.name == PARQUET_REQUIRED), None)
        for col in self.columns:
            self._nulls(col)
            if col is ids:
                self._empty(col)
            elif ids is not None:
                self._length(col, ids)
            if col.name == "attention_mask":
                self._attention_mask(col)
            elif col.name == "labels":
                self._labels(col)
        self.hits.sort(key=lambda hit: hit[:3])
        line = self.base + 1
        for row, _, _, code, path, message in self.hits:
            self.out.add_at(line + row, code, path, message)
        for code, n in self.uncounted.items():
            self.out.count(code, n)

    # -- the checks ----------------------------------------------------------------------

    def _nulls(self, col: _Column) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415

        name = col.name
        if col.arr.null_count:
            self._rows("parquet-null", col, _NULL, col.arr.is_null(), lambda row: (
                (name,), f"{name} is null: every row needs a list of integers here "
                "(write the list, or drop the row)"))
        if col.flat.null_count:
            def null_value(row: int, at: int, _: Any, count: int) -> tuple[Location, str]:
                return ((name, at), f"{name}[{at}] is null{_more(count, 'null values')}: "
                        "token lists hold integers only; replace the nulls")
            self._values("parquet-null", col, _NULL, pc.is_null(col.flat), null_value)

    def _empty(self, ids: _Column) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415

        self._rows("parquet-empty", ids, _EMPTY, pc.equal(ids.lengths, 0), lambda row: (
            ("input_ids",), "input_ids is empty: a row needs at least one token; drop the row"))

    def _length(self, col: _Column, ids: _Column) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415

        name = col.name

        def describe(row: int) -> tuple[Location, str]:
            have, want = col.lengths[row].as_py(), ids.lengths[row].as_py()
            return ((name,), f"{name} has {_n(have, 'value')} but input_ids has "
                    f"{_n(want, 'token')}: {name} needs one value per token of the row")
        self._rows("parquet-length", col, _LENGTH, pc.not_equal(col.lengths, ids.lengths),
                   describe)

    def _attention_mask(self, col: _Column) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415

        bad = pc.or_(pc.less(col.flat, 0), pc.greater(col.flat, 1))

        def describe(row: int, at: int, value: Any, count: int) -> tuple[Location, str]:
            return (("attention_mask", at),
                    f"attention_mask[{at}] is {value}{_more(count, 'values not 0 or 1')}: "
                    "the mask holds only 1 (attend to the token) and 0 (padding)")
        self._values("parquet-attention-mask", col, _VALUE, bad, describe)

    def _labels(self, col: _Column) -> None:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        if pa.types.is_unsigned_integer(col.flat.type):
            return  # neither negative labels nor -100: every value is a trained token id
        bad = pc.and_(pc.less(col.flat, 0), pc.not_equal(col.flat, IGNORED_LABEL))

        def describe(row: int, at: int, value: Any, count: int) -> tuple[Location, str]:
            return (("labels", at),
                    f"labels[{at}] is {value}{_more(count, 'values below 0 other than -100')}: "
                    f"a label is a token id (>= 0), or {IGNORED_LABEL} to leave the token out "
                    "of the loss")
        self._values("parquet-labels", col, _VALUE, bad, describe)
        self._nothing_trained(col)

    def _nothing_trained(self, col: _Column) -> None:
        import pyarrow.compute as pc  # noqa: PLC0415

        if self.out.severity["parquet-nothing-trained"] is _OFF:
            return
        trained = pc.fill_null(pc.not_equal(col.flat, IGNORED_LABEL), True)
        if pc.all(trained).as_py():
            return
        idle = pc.and_(pc.equal(_per_row(col, trained), 0), pc.greater(col.lengths, 0))

        def describe(row: int) -> tuple[Location, str]:
            n = col.lengths[row].as_py()
            which = f"all {n} labels are" if n > 1 else "the only label is"
            return (("labels",), f"{which} {IGNORED_LABEL}: the row trains on nothing; give "
                    "the tokens to learn their ids as labels, or drop the row")
        self._rows("parquet-nothing-trained", col, _TRAINED, idle, describe)

    # -- keeping what the cap holds, counting the rest -----------------------------------

    def _rows(self, code: Code, col: _Column, check: int, mask: Any, describe: _Describe) -> None:
        """Report the rows where ``mask`` (one boolean per row, null = fine) is true."""
        import pyarrow.compute as pc  # noqa: PLC0415

        severity = self.out.severity[code]
        if severity is _OFF:
            return
        rows = pc.indices_nonzero(pc.fill_null(mask, False))
        found = len(rows)
        if not found:
            return
        keep = min(found, self.room[severity])
        if found > keep:
            self.uncounted[code] = self.uncounted.get(code, 0) + found - keep
        for row in rows.slice(0, keep).to_pylist():
            self.hits.append((row, col.order, check, code, *describe(row)))

    def _values(self, code: Code, col: _Column, check: int, bad: Any,
                describe: Callable[[int, int, Any, int], tuple[Location, str]]) -> None:
        """Report the rows holding a value where ``bad`` (one boolean per value of ``col.flat``,
        null = fine) is true: one issue per row, naming its first bad value and the count."""
        import pyarrow.compute as pc  # noqa: PLC0415

        if self.out.severity[code] is _OFF:
            return
        bad = pc.fill_null(bad, False)
        if not pc.any(bad).as_py():
            return
        counts = _per_row(col, bad)
        mask = pc.greater(counts, 0)
        if col.arr.null_count:  # a null row's list may still span values; they do not count
            mask = pc.and_(mask, pc.is_valid(col.arr))

        def first(row: int) -> tuple[Location, str]:
            start, end = col.span(row)
            at = pc.index(bad.slice(start, end - start), True).as_py()
            return describe(row, at, col.flat[start + at].as_py(), counts[row].as_py())
        self._rows(code, col, check, mask, first)



def _per_row(col: _Column, flags: Any) -> Any:
    """How many of each row's values ``flags`` (null-free booleans over ``col.flat``) marks:
    a running sum over the values, read at the row offsets."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    kind = pa.int32() if len(flags) < 2**31 else pa.int64()
    running = pc.cumulative_sum(flags.cast(kind))
    running = pa.concat_arrays([pa.array([0], kind), running])
    at = pc.take(running, col.offsets)
    return pc.subtract(at.slice(1), at.slice(0, len(at) - 1))


def _reason(exc: Exception) -> str:
    """pyarrow's message on one line (page and thrift errors span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _more(count: int, what: str) -> str:
    return f" ({count} {what} in this row)" if count > 1 else ""
