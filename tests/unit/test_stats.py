"""The statistics sketch: exact small values, bounded error above, merge = one pass."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from validator.stats.sketch import Sketch


def sketch_of(values: list[int]) -> Sketch:
    s = Sketch()
    for v in values:
        s.add(v)
    return s


@given(st.lists(st.integers(0, 255), min_size=1))
def test_small_values_are_exact(values: list[int]) -> None:
    s = sketch_of(values)
    assert s.quantile(0.5) == sorted(values)[(len(values) - 1) // 2]
    assert (s.min, s.max, s.count) == (min(values), max(values), len(values))


@given(st.lists(st.integers(0, 10**12), min_size=1))
def test_large_values_within_08_percent(values: list[int]) -> None:
    s = sketch_of(values)
    exact = sorted(values)[(len(values) - 1) // 2]
    median = s.quantile(0.5)
    assert median is not None
    assert abs(median - exact) <= exact / 128 + 1
    assert s.summary()["max"] == max(values)


@given(st.lists(st.integers(0, 10**9)), st.lists(st.integers(0, 10**9)))
def test_merge_equals_one_pass(a: list[int], b: list[int]) -> None:
    merged = sketch_of(a)
    merged.merge(sketch_of(b))
    whole = sketch_of(a + b)
    assert merged.buckets == whole.buckets
    assert merged.summary() == whole.summary()


def test_empty_and_example() -> None:
    assert Sketch().summary() == {"min": None, "median": None, "max": None}
    values = [10, 300, 5000, 5000, 70000]
    summary = sketch_of(values).summary()
    assert (summary["min"], summary["max"]) == (10, 70000)
    assert abs(summary["median"] - statistics.median_low(values)) <= 5000 / 128


def test_collector_count_adds_to_totals_without_keeping() -> None:
    from validator.collect import Collector
    from validator.config import Config

    out = Collector(Config(max_errors=1).with_overrides(ignore=["blank-line"]))
    out.add_at(1, "json-invalid", None, "a")
    out.count("json-invalid", 10)
    out.count("blank-line", 5)
    out.add_at(20, "json-invalid", None, "b")  # a second group: over the cap of 1
    out.add_at(30, "json-invalid", None, "a")  # the first group again: counted in it
    assert out.errors == 13
    assert out.warnings == 0
    assert out.by_code == {"json-invalid": 13}
    assert [(i.line, i.count, i.lines) for i in out.grouped()] == [(1, 2, (1, 30))]
    assert out.omitted == 11


def test_histogram_bins_cover_every_value() -> None:
    small = sketch_of([1, 2, 2, 3, 7])
    assert small.histogram() == [(1, 1, 1), (2, 2, 2), (3, 3, 1), (4, 4, 0), (5, 5, 0),
                                 (6, 6, 0), (7, 7, 1)]
    wide = sketch_of([0, 1, 5, 300, 300, 70_000])
    bins = wide.histogram()
    assert bins[0] == (0, 0, 1)
    assert (4, 7, 1) in bins
    assert (256, 511, 2) in bins
    assert (65536, 131071, 1) in bins
    assert sum(n for _, _, n in bins) == 6
    assert Sketch().histogram() == []
