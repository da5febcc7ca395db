"""The row rules of one Parquet record batch (SPEC §3), as pyarrow compute kernels over whole
columns: see :mod:`validator.files.parquet`, which opens the file, checks its schema and reads
the batches.

A check finds its offending rows as one vector; only the first of them, as many as the issue
cap can still hold, get a message (and the position of their first bad value), the others are
only counted. This module imports pyarrow when it is imported: ``parquet`` loads it on the
first Parquet file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from validator.collect import Collector
from validator.files.parquet import IGNORED_LABEL
from validator.issues import Location, Severity
from validator.rules.codes import Code

__all__ = ["check_batch"]

_ERROR = Severity.ERROR
_OFF = Severity.OFF

# Order of the checks on one row of one column, for issues in a stable order within a row.
_NULL, _EMPTY, _LENGTH, _VALUE, _TRAINED = range(5)

_Hit = tuple[int, int, int, Code, Location, str]  # row in batch, column, check, code, place, text
_Describe = Callable[[int], tuple[Location, str]]  # row in batch -> (location, message)


def check_batch(batch: Any, base: int, out: Collector) -> None:
    """Check one record batch of token columns (integer lists, each name once), the ``base``
    rows of the file before it, into ``out``."""
    _Batch(batch, base, out).check()


class _Column:
    """One token column of a batch as a variable-size list array, with its values flattened
    (aligned with ``offsets``, which start at 0)."""

    __slots__ = ("arr", "flat", "lengths", "name", "offsets", "order")

    def __init__(self, name: str, order: int, arr: Any) -> None:
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
        # check offers its first rows and the batch's first rows overall are kept. The room
        # counts occurrences, not groups: no more than ``max_errors`` rows of each severity are
        # ever turned into issues, however many repeat (the rest are counted as omitted).
        left_errors = max(0, out.max_issues - out.errors)
        if out.first_error is None:
            left_errors = max(left_errors, 1)  # the report's `error` names the first one
        self.room = {_ERROR: left_errors,
                     Severity.WARNING: max(0, out.max_issues - out.warnings)}
        self.columns = [_Column(name, i, batch.column(i))
                        for i, name in enumerate(batch.schema.names)]

    def check(self) -> None:
        ids = next((c for c in self.columns if c.name == "input_ids"), None)
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
            elif col.name == "position_ids":
                self._position_ids(col)
        self.hits.sort(key=lambda hit: hit[:3])
        line = self.base + 1
        for row, _, _, code, path, message in self.hits:
            self.out.add_at(line + row, code, path, message)
        for code, n in self.uncounted.items():
            self.out.count(code, n)

    # -- the checks ----------------------------------------------------------------------

    def _nulls(self, col: _Column) -> None:
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
        self._rows("parquet-empty", ids, _EMPTY, pc.equal(ids.lengths, 0), lambda row: (
            ("input_ids",), "input_ids is empty: a row needs at least one token; drop the row"))

    def _length(self, col: _Column, ids: _Column) -> None:
        name = col.name

        def describe(row: int) -> tuple[Location, str]:
            have, want = col.lengths[row].as_py(), ids.lengths[row].as_py()
            return ((name,), f"{name} has {_n(have, 'value')} but input_ids has "
                    f"{_n(want, 'token')}: {name} needs one value per token of the row")
        self._rows("parquet-length", col, _LENGTH, pc.not_equal(col.lengths, ids.lengths),
                   describe)

    def _attention_mask(self, col: _Column) -> None:
        bad = pc.or_(pc.less(col.flat, _of(col.flat, 0)), pc.greater(col.flat, _of(col.flat, 1)))

        def describe(row: int, at: int, value: Any, count: int) -> tuple[Location, str]:
            return (("attention_mask", at),
                    f"attention_mask[{at}] is {value}{_more(count, 'values not 0 or 1')}: "
                    "the mask holds only 1 (attend to the token) and 0 (padding)")
        self._values("parquet-attention-mask", col, _VALUE, bad, describe)

    def _labels(self, col: _Column) -> None:
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

    def _position_ids(self, col: _Column) -> None:
        """Each value is 0 or the one before it plus 1, and a row starts at 0.

        "Padding is 0" is read as: a padded position holds 0. A 0 is always allowed (it starts
        the next packed example), so trailing zeros and zeros under attention_mask 0 pass
        without looking at the mask; a padded position holding anything else that does not
        continue the count (HF's generation-time fill of 1, say) is reported like any break.
        The mask is not consulted, so the check is the same whether or not it is there.
        """
        if self.out.severity["parquet-position-ids"] is _OFF or not len(col.flat):
            return
        breaks = _breaks(col.flat)
        # _breaks judged the first value of each row (but the first) against the previous row's
        # last value: a row start must be 0 whatever came before, so add the starts it let pass.
        # Rows are few next to values: these takes cost a row-sized array, not a value-sized one.
        nonempty = pc.greater(col.lengths, 0)
        starts = pc.if_else(nonempty, col.offsets.slice(0, len(col.offsets) - 1), 0)
        missed = pc.and_(pc.not_equal(pc.take(col.flat, starts), _of(col.flat, 0)),
                         pc.invert(pc.take(breaks, starts)))
        missed = pc.fill_null(pc.and_(missed, nonempty), False)
        if not (pc.any(breaks).as_py() or pc.any(missed).as_py()):
            return
        counts = pc.add(_per_row(col, breaks), missed.cast(pa.int32()))
        mask = pc.greater(counts, 0)
        if col.arr.null_count:
            mask = pc.and_(mask, pc.is_valid(col.arr))

        def describe(row: int) -> tuple[Location, str]:
            start, end = col.span(row)
            values = col.flat.slice(start, end - start)
            at = pc.index(_breaks(values), True).as_py()
            lo = max(0, at - 2)
            seen = values.slice(lo, at + 1 - lo).to_pylist()
            if at == 0:
                found = f"position_ids start at {seen[0]}, not 0"
            else:
                shown = ("..., " if lo else "") + ", ".join(map(str, seen))
                found = f"position_ids go {shown} at index {at}"
            return (("position_ids", at),
                    f"{found}{_more(counts[row].as_py(), 'such breaks')}: within each packed "
                    "example positions count 0, 1, 2, ... and a 0 starts the next example "
                    "(padding is 0); write range(len(example)) for each example, or drop the "
                    "column")
        self._rows("parquet-position-ids", col, _VALUE, mask, describe)

    # -- keeping what the cap holds, counting the rest -----------------------------------

    def _rows(self, code: Code, col: _Column, check: int, mask: Any, describe: _Describe) -> None:
        """Report the rows where ``mask`` (one boolean per row, null = fine) is true."""
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


def _breaks(values: Any) -> Any:
    """One null-free boolean per value: true where a position neither is 0 nor follows the
    value before it by 1 (the first value: where it is not 0). A null, or a value after one,
    is not judged: nulls are parquet-null errors of their own."""
    zero = _of(values, 0)
    bad = pc.not_equal(values.slice(0, 1), zero)
    if len(values) > 1:
        now = values.slice(1)
        steps = pc.subtract(now, values.slice(0, len(values) - 1))  # wraps: 1 only after n - 1
        bad = pa.concat_arrays([bad, pc.and_(pc.not_equal(now, zero),
                                             pc.not_equal(steps, _of(steps, 1)))])
    return pc.fill_null(bad, False)


def _of(values: Any, n: int) -> Any:
    """``n`` as a scalar of the type of ``values``: compared with a plain int, a uint64 column
    is cast to int64, which fails on values of 2**63 and more."""
    return pa.scalar(n, values.type)


def _per_row(col: _Column, flags: Any) -> Any:
    """How many of each row's values ``flags`` (null-free booleans over ``col.flat``) marks:
    a running sum over the values, read at the row offsets."""
    kind = pa.int32() if len(flags) < 2**31 else pa.int64()
    running = pc.cumulative_sum(flags.cast(kind))
    running = pa.concat_arrays([pa.array([0], kind), running])
    at = pc.take(running, col.offsets)
    return pc.subtract(at.slice(1), at.slice(0, len(at) - 1))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _more(count: int, what: str) -> str:
    return f" ({count} {what} in this row)" if count > 1 else ""
