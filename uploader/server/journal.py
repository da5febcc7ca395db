"""What the local server saw, and what it was told to get wrong: the record of every request
(headers included, so tests can assert what reached the wire) and the fault plan."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

__all__ = ["KINDS", "Fault", "Journal", "Recorded"]

KINDS = frozenset({
    "create", "upload", "list", "get", "delete", "content", "preprocess",  # API listener
    "initiate", "complete", "abort",
    "put", "part",  # storage listener: a single upload's PUT, a multipart part's PUT
    "unknown",
})


@dataclass(frozen=True)
class Fault:
    """Make requests ``nth`` .. ``nth + times - 1`` of ``kind`` (counted from 1, retries
    included; ``times=None``: every one from the nth on) fail: after ``delay`` seconds, answer
    ``status`` (with ``Retry-After`` and ``headers`` when given), or with ``drop`` read half the
    body and close the connection without an answer. ``status=None`` with a delay only slows
    the request down."""

    kind: str
    status: int | None = 500
    nth: int = 1
    times: int | None = 1
    retry_after: int | None = None
    drop: bool = False
    delay: float = 0.0
    message: str = "injected fault"
    headers: tuple[tuple[str, str], ...] = ()  # e.g. (("Location", url),) for a redirect

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown request kind {self.kind!r}: one of {sorted(KINDS)}")

    def covers(self, n: int) -> bool:
        return n >= self.nth and (self.times is None or n < self.nth + self.times)


@dataclass
class Recorded:
    """One request as it arrived. ``status`` None: no answer was sent (dropped)."""

    listener: str  # "api" or "storage"
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]
    kind: str
    status: int | None = None
    seq: int = 0  # its number among requests of its kind, from 1


class Journal:
    """Thread-safe request log, per-kind counters, fault plan and concurrency peaks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[Recorded] = []
        self._faults: list[Fault] = []
        self._counts: Counter[str] = Counter()
        self._active: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def begin(self, record: Recorded) -> Fault | None:
        """Log a new request; the fault that applies to it, if any."""
        with self._lock:
            self._counts[record.kind] += 1
            record.seq = self._counts[record.kind]
            self._records.append(record)
            self._active[record.kind] += 1
            self._peak[record.kind] = max(self._peak[record.kind], self._active[record.kind])
            return next((f for f in self._faults
                         if f.kind == record.kind and f.covers(record.seq)), None)

    def end(self, record: Recorded) -> None:
        with self._lock:
            self._active[record.kind] -= 1

    def requests(self, kind: str | None = None, listener: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self._records if (kind is None or r.kind == kind)
                    and (listener is None or r.listener == listener)]

    def peak(self, kind: str) -> int:
        """The most requests of ``kind`` that were in flight at once."""
        with self._lock:
            return self._peak[kind]
