"""A progress line for long files, drawn on a terminal stream (the CLI's, never the library's)."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["Progress", "format_size"]


def format_size(n: float) -> str:
    """1234567 -> "1.2 MB" (decimal units, as the progress line shows them)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1000
    return f"{n:.1f} TB"


class Progress:
    """Call with bytes done; redraws at most every ``interval`` seconds; ``close`` clears it."""

    def __init__(self, stream: TextIO, label: str, total: int, interval: float = 0.2) -> None:
        self.stream = stream
        self.label = label
        self.total = max(total, 1)
        self.interval = interval
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-6)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate else 0.0
        pct = min(100.0, 100.0 * done / self.total)
        self.stream.write(f"\r{self.label}: {pct:5.1f}% {format_size(done)}/"
                          f"{format_size(self.total)} {format_size(rate)}/s ETA {eta:4.0f}s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
