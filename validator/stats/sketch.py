"""Dataset statistics that stay small whatever the file size, and merge.

:class:`Sketch` is a log-bucketed histogram: exact for values below 256, within 0.8% above,
with exact min and max. It also keeps the values themselves while there are at most
:data:`EXACT_COUNT` of them, so the quantiles of a small file are exact. Two sketches merge by
adding bucket counts (and joining the kept values), so per-chunk statistics combine into the
whole file's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXACT_COUNT", "QUANTILES", "Sketch"]

EXACT_COUNT = 1024  # values kept as they are, for exact quantiles of small files
QUANTILES = (0.5, 0.9, 0.99)  # the percentiles that statistics show: p50, p90, p99

_EXACT_BITS = 8  # values below 2**8 get a bucket each
_SUB_BITS = 7  # then 2**7 buckets per power of two: each spans under 1/128 (0.8%) of its values
_EXACT = 1 << _EXACT_BITS
_SUB_MASK = (1 << _SUB_BITS) - 1


def _bucket(value: int) -> int:
    """Monotonic bucket key: the value itself below 256, else its bit length and top 8 bits."""
    if value < _EXACT:
        return value
    bits = value.bit_length()
    return (bits << _SUB_BITS) | ((value >> (bits - _EXACT_BITS)) & _SUB_MASK)


def _bucket_middle(key: int) -> float:
    if key < _EXACT:
        return float(key)
    bits = key >> _SUB_BITS
    shift = bits - _EXACT_BITS
    low = ((1 << _SUB_BITS) | (key & _SUB_MASK)) << shift
    return low + ((1 << shift) - 1) / 2


class Sketch:
    __slots__ = ("buckets", "count", "max", "min", "values")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.values: list[int] | None = []  # every value while count <= EXACT_COUNT
        self.count = 0
        self.min = 0
        self.max = 0

    def add(self, value: int) -> None:
        """Count one value (an int >= 0); called per sample, so kept to integer operations."""
        key = value if value < _EXACT else _bucket(value)
        b = self.buckets
        b[key] = b.get(key, 0) + 1
        kept = self.values
        if kept is not None:
            if len(kept) < EXACT_COUNT:
                kept.append(value)
            else:
                self.values = None
        if not self.count:
            self.min = self.max = value
        elif value < self.min:
            self.min = value
        elif value > self.max:
            self.max = value
        self.count += 1

    def add_all(self, values: list[int]) -> None:
        """Count each of ``values`` as :meth:`add` does, in one call (the scan's fast path
        counts its samples in batches): the same buckets, kept values (in another order, which
        no statistic reads), min and max."""
        if not values:
            return
        b = self.buckets
        get = b.get
        for value in values:
            if value < _EXACT:
                b[value] = get(value, 0) + 1
            else:  # _bucket, inline
                bits = value.bit_length()
                key = (bits << _SUB_BITS) | ((value >> (bits - _EXACT_BITS)) & _SUB_MASK)
                b[key] = get(key, 0) + 1
        kept = self.values
        if kept is not None:
            if len(kept) + len(values) <= EXACT_COUNT:
                kept.extend(values)
            else:
                self.values = None
        low, high = min(values), max(values)
        if not self.count:
            self.min, self.max = low, high
        else:
            self.min = min(self.min, low)
            self.max = max(self.max, high)
        self.count += len(values)

    def merge(self, other: Sketch) -> None:
        if other.count == 0:
            return
        for key, n in other.buckets.items():
            self.buckets[key] = self.buckets.get(key, 0) + n
        if (self.values is not None and other.values is not None
                and len(self.values) + len(other.values) <= EXACT_COUNT):
            self.values = self.values + other.values
        else:
            self.values = None
        if self.count == 0:
            self.min, self.max = other.min, other.max
        else:
            self.min = min(self.min, other.min)
            self.max = max(self.max, other.max)
        self.count += other.count

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1), interpolated linearly between the two nearest values (as
        numpy's default does), so a lone outlier shows in p90 and p99 of a small file. Exact
        while at most ``EXACT_COUNT`` values were added, else within 0.8% (exact below 256);
        None when empty."""
        if self.count == 0:
            return None
        rank = min(max(q, 0.0), 1.0) * (self.count - 1)
        below = int(rank)
        frac = rank - below
        low: float
        high: float
        if self.values is not None:
            ordered = sorted(self.values)
            low, high = ordered[below], ordered[min(below + 1, self.count - 1)]
        else:
            low, high = self._order_statistics(below)
        return low + (high - low) * frac if frac else float(low)

    def _order_statistics(self, index: int) -> tuple[float, float]:
        """The approximate values at ``index`` and ``index + 1`` in sorted order; the first is
        the exact min and the last the exact max."""
        last = self.count - 1
        found: list[float] = []
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            while len(found) < 2 and seen > index + len(found):
                at = index + len(found)
                middle = min(max(_bucket_middle(key), self.min), self.max)
                found.append(float(self.min if at == 0 else self.max if at >= last else middle))
            if len(found) == 2:
                break
        while len(found) < 2:
            found.append(float(self.max))
        return found[0], found[1]

    def summary(self) -> dict[str, Any]:
        if self.count == 0:
            return {"min": None, "median": None, "max": None}
        median = self.quantile(0.5)
        return {
            "min": self.min,
            "median": round(median, 1) if median is not None else None,
            "max": self.max,
        }

    def distribution(self) -> dict[str, Any]:
        """min, p50, p90, p99 and max (see :meth:`quantile`; percentiles to one decimal), all
        None when empty: the shape of every ``*_per_sample`` of ``ftdata stats``."""
        if not self.count:
            return {"min": None, "p50": None, "p90": None, "p99": None, "max": None}
        return {"min": self.min,
                **{f"p{round(q * 100)}": round(self.quantile(q) or 0, 1) for q in QUANTILES},
                "max": self.max}

    def histogram(self, max_bins: int = 24) -> list[tuple[int, int, int]]:
        """(low, high, count) bins of equal width between min and max: one per value when
        they span at most ``max_bins`` integers. Counts are exact while the values are kept,
        else each bucket of the sketch falls in the bin of its middle."""
        if not self.count:
            return []
        span = self.max - self.min + 1
        width = -(-span // max_bins)  # ceiling division
        nbins = -(-span // width)
        counts = [0] * nbins
        if self.values is not None:
            for value in self.values:
                counts[(value - self.min) // width] += 1
        else:
            for key, n in self.buckets.items():
                middle = min(max(int(_bucket_middle(key)), self.min), self.max)
                counts[(middle - self.min) // width] += n
        return [(self.min + k * width, min(self.min + (k + 1) * width - 1, self.max), n)
                for k, n in enumerate(counts)]
