"""What the local server saw, and what it was told to get wrong: the record of recent requests
(headers included, so tests can assert what reached the wire) and the fault plan.

Requests are recorded as they arrive, before the key is checked, so the record is bounded: the
newest :data:`MAX_RECORDS` requests, and at most :data:`MAX_BYTES` of paths and headers, older
ones dropped first. Counters (each request's ``seq``, the fault plan's ``nth``) count them all."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass

__all__ = ["KINDS", "MAX_BYTES", "MAX_RECORDS", "Fault", "Journal", "Recorded"]

MAX_RECORDS = 2000  # far more than a test sends; a flood of requests keeps only these
MAX_BYTES = 16 << 20

KINDS = frozenset({
    "create", "upload", "list", "get", "delete", "content", "preprocess",  # API listener
    "initiate", "complete", "abort",
    "limits",  # the model limits endpoint (GET /fine-tunes/models/limits)
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

    def size(self) -> int:
        """About what it holds, in bytes: what the journal's byte bound counts."""
        return 64 + len(self.path) + len(self.query) + sum(
            len(name) + len(value) for name, value in self.headers.items())


class Journal:
    """Thread-safe request log, per-kind counters, fault plan and concurrency peaks."""

    def __init__(self, max_records: int = MAX_RECORDS, max_bytes: int = MAX_BYTES) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._records: deque[tuple[Recorded, int]] = deque()
        self._bytes = 0
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
            size = record.size()
            self._records.append((record, size))
            self._bytes += size
            while len(self._records) > self.max_records or (
                    self._bytes > self.max_bytes and len(self._records) > 1):
                self._bytes -= self._records.popleft()[1]
            self._active[record.kind] += 1
            self._peak[record.kind] = max(self._peak[record.kind], self._active[record.kind])
            return next((f for f in self._faults
                         if f.kind == record.kind and f.covers(record.seq)), None)

    def end(self, record: Recorded) -> None:
        with self._lock:
            self._active[record.kind] -= 1

    def requests(self, kind: str | None = None, listener: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r, _ in self._records if (kind is None or r.kind == kind)
                    and (listener is None or r.listener == listener)]

    def peak(self, kind: str) -> int:
        """The most requests of ``kind`` that were in flight at once."""
        with self._lock:
            return self._peak[kind]
