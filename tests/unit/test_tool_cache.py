"""The tool-definition caches are bounded in bytes, not only in entries.

Bounded by entry count alone (4096), 3,000 distinct tool lists of about 1 MB held 3.78 GB.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peak import run_measured
from validator.collect import Collector
from validator.config import Config
from validator.formats import tools
from validator.formats.bytecache import ByteCache


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    tools._cache.clear()
    tools._tools_cache.clear()
    yield
    tools._cache.clear()
    tools._tools_cache.clear()


def _tools(i: int, size: int) -> list[dict[str, Any]]:
    """A distinct tool list of about ``size`` bytes, the bulk inside the parameters schema."""
    return [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "description": f"{i} " + "x" * size,
        "properties": {"q": {"type": "string"}}}}}]


def test_caches_stay_under_their_byte_budget() -> None:
    out = Collector(Config())
    for i in range(300):  # 300 lists of 512 KB: 150 MB of keys in each cache if all were kept
        assert tools.check_tools(_tools(i, 512 << 10), ("tools",), out) is not None
    for cache in (tools._cache, tools._tools_cache):
        assert 0 < cache.total <= tools._CACHE_BYTES
        assert 0 < len(cache) < 300
    assert out.errors == out.warnings == 0


def test_the_most_recent_lists_stay_cached() -> None:
    out = Collector(Config())
    lists = [_tools(i, 1 << 20) for i in range(100)]  # 100 MiB of keys: about 31 fit
    first = tools.check_tools(lists[0], ("tools",), out)
    second = tools.check_tools(lists[1], ("tools",), out)
    for one in lists[2:]:
        tools.check_tools(one, ("tools",), out)
        assert tools.check_tools(lists[0], ("tools",), out) is first  # used again: kept
    assert tools.check_tools(lists[1], ("tools",), out) is not second  # evicted long ago
    assert tools.check_tools(lists[-1], ("tools",), out) is tools.check_tools(
        lists[-1], ("tools",), out)


def test_an_entry_over_the_cap_is_not_cached() -> None:
    out = Collector(Config())
    huge = _tools(0, tools._ENTRY_BYTES + 1)
    declared = tools.check_tools(huge, ("tools",), out)
    assert declared is not None and declared["f"] is not None
    assert len(tools._cache) == len(tools._tools_cache) == 0
    assert tools._cache.total == tools._tools_cache.total == 0


def test_byte_cache_evicts_least_recently_used() -> None:
    cache: ByteCache[str, int] = ByteCache(max_entries=10, max_bytes=100, max_entry_bytes=60)
    cache.put("a", 1, 40)
    cache.put("b", 2, 40)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3, 40)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.total == 80
    cache.put("d", 4, 61)  # over the per-entry cap: not kept, nothing evicted
    assert cache.get("d") is None and len(cache) == 2
    cache.put("a", 5, 10)  # replaced: its old size is given back
    assert cache.total == 50 and cache.get("a") == 5
    few: ByteCache[int, int] = ByteCache(max_entries=3, max_bytes=1000, max_entry_bytes=1000)
    for i in range(10):
        few.put(i, i, 1)
    assert len(few) == 3 and few.get(9) == 9 and few.get(6) is None


PROBE = """
import sys
from validator import validate_file
from validator.formats import tools
report = validate_file(sys.argv[1], workers=1)
assert report.valid, report.issues
assert tools._cache.total <= tools._CACHE_BYTES and tools._tools_cache.total <= tools._CACHE_BYTES
"""


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/self/status: Linux")
def test_peak_memory_stays_bounded(tmp_path: Path) -> None:
    """3,000 lines, each a distinct tool list of 300 KB (900 MB of tool JSON; about 1 MB a list
    would take over 20 s): one process peaked at 2.6 GB before the byte budget, about 0.5 GB
    with it (most of it not the caches)."""
    path = tmp_path / "train.jsonl"
    head = (b'{"tools": [{"type": "function", "function": {"name": "f", "parameters": '
            b'{"type": "object", "description": "')
    tail = (b"x" * 300_000 + b'", "properties": {"q": {"type": "string"}}}}}], "messages": '
            b'[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n')
    with path.open("wb") as f:
        for i in range(3000):
            f.write(head + b"%d " % i + tail)
    _, peak = run_measured(PROBE, str(path), timeout=120)
    assert peak < 1024, f"peak RSS {peak} MiB"
