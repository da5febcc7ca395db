"""Dataset statistics that stay small whatever the file size, and merge.

:class:`Sketch` is a log-bucketed histogram: exact for values below 256, within 0.8% above,
with exact min and max. Two sketches merge by adding bucket counts, so per-chunk statistics combine
into the whole file's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Sketch"]

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
    __slots__ = ("buckets", "count", "max", "min")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.min = 0
        self.max = 0

    def add(self, value: int) -> None:
        """Count one value (an int >= 0); called per sample, so kept to integer operations."""
        key = value if value < _EXACT else _bucket(value)
        b = self.buckets
        b[key] = b.get(key, 0) + 1
        if not self.count:
            self.min = self.max = value
        elif value < self.min:
            self.min = value
        elif value > self.max:
            self.max = value
        self.count += 1

    def merge(self, other: Sketch) -> None:
        if other.count == 0:
            return
        for key, n in other.buckets.items():
            self.buckets[key] = self.buckets.get(key, 0) + n
        if self.count == 0:
            self.min, self.max = other.min, other.max
        else:
            self.min = min(self.min, other.min)
            self.max = max(self.max, other.max)
        self.count += other.count

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1), exact below 256 and within 0.8% above; None when empty."""
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen > rank:
                return min(max(_bucket_middle(key), self.min), self.max)
        return float(self.max)

    def summary(self) -> dict[str, Any]:
        if self.count == 0:
            return {"min": None, "median": None, "max": None}
        median = self.quantile(0.5)
        return {
            "min": self.min,
            "median": round(median, 1) if median is not None else None,
            "max": self.max,
        }

    def histogram(self, max_bins: int = 24) -> list[tuple[int, int, int]]:
        """(low, high, count) bins covering the values: one per value when they span fewer
        than ``max_bins`` integers, else powers of two (1, 2-3, 4-7, ...)."""
        if not self.count:
            return []
        exact = self.max - self.min < max_bins
        bins: dict[int, int] = {}
        for key, n in self.buckets.items():
            value = int(_bucket_middle(key))
            index = value if exact else value.bit_length()
            bins[index] = bins.get(index, 0) + n
        if exact:
            return [(v, v, bins.get(v, 0)) for v in range(self.min, self.max + 1)]
        low_bit, high_bit = self.min.bit_length(), self.max.bit_length()
        return [((1 << b >> 1), (1 << b) - 1, bins.get(b, 0)) for b in range(low_bit, high_bit + 1)]
