"""Dataset statistics that stay small whatever the file size, and merge.

:class:`Sketch` is a log-bucketed histogram: exact for values below 64, within 1% above, with
exact min and max. Two sketches merge by adding bucket counts, so per-chunk statistics combine
into the whole file's.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Sketch"]

_EXACT = 64
_GAMMA = 1.02
_LOG_GAMMA = math.log(_GAMMA)


class Sketch:
    __slots__ = ("buckets", "count", "max", "min")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.min = 0
        self.max = 0

    def add(self, value: int) -> None:
        key = value if value < _EXACT else _EXACT + int(math.log(value / _EXACT) / _LOG_GAMMA)
        b = self.buckets
        b[key] = b.get(key, 0) + 1
        if self.count == 0:
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
        """The q-quantile (0..1), exact below 64 and within 1% above; None when empty."""
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen > rank:
                if key < _EXACT:
                    value = float(key)
                else:
                    low = _EXACT * _GAMMA ** (key - _EXACT)
                    value = low * (1 + _GAMMA) / 2
                return min(max(value, self.min), self.max)
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
