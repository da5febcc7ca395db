"""A least-recently-used cache bounded in bytes as well as in entries.

The tool caches (tools.py) are keyed by the JSON bytes of what they compiled, and an entry's
value (parsed schema, generated check, jsonschema validator) grows with its key: the sum of the
key sizes is the proxy for the memory held. Bounded by entry count only, 3,000 distinct tool
lists of 1 MB each held 3.78 GB.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["ByteCache"]

K = TypeVar("K")
V = TypeVar("V")


class ByteCache(Generic[K, V]):
    """Up to ``max_entries`` entries whose sizes sum to at most ``max_bytes``; an entry over
    ``max_entry_bytes`` is not kept at all. The least recently used go first."""

    __slots__ = ("_entries", "max_bytes", "max_entries", "max_entry_bytes", "total")

    def __init__(self, max_entries: int, max_bytes: int, max_entry_bytes: int) -> None:
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.total = 0  # the sizes of the entries kept

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, size: int) -> None:
        if size > self.max_entry_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.total -= old[1]
        entries = self._entries
        while entries and (len(entries) >= self.max_entries
                           or self.total + size > self.max_bytes):
            _, (_, evicted) = entries.popitem(last=False)
            self.total -= evicted
        entries[key] = (value, size)
        self.total += size

    def clear(self) -> None:
        self._entries.clear()
        self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
