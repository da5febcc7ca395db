"""The statistics sketch: exact small values, bounded error above, merge = one pass."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.stats.sketch import EXACT_COUNT, Sketch


def sketch_of(values: list[int], *, keep: bool = True) -> Sketch:
    """A sketch of ``values``; ``keep=False`` drops the kept values, as a large file does."""
    s = Sketch()
    for v in values:
        s.add(v)
    if not keep:
        s.values = None
    return s


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=EXACT_COUNT))
def test_small_counts_are_exact(values: list[int]) -> None:
    s = sketch_of(values)
    assert s.quantile(0.5) == statistics.median(values)
    assert (s.min, s.max, s.count) == (min(values), max(values), len(values))
    if len(values) > 1:
        p99 = statistics.quantiles(values, n=100, method="inclusive")[-1]
        assert s.quantile(0.99) == pytest.approx(p99)


def test_one_outlier_in_a_small_file_shows_in_the_high_percentiles() -> None:
    values = [180, 230, 272, 273, 26_077]  # issue 16: p90 = p99 = 272.5 hid the 26,077
    s = sketch_of(values)
    p90, p99 = s.quantile(0.9), s.quantile(0.99)
    assert p90 == pytest.approx(273 + 0.6 * (26_077 - 273))  # 15,755.4
    assert p99 == pytest.approx(273 + 0.96 * (26_077 - 273))  # 25,044.8
    assert s.quantile(1.0) == 26_077
    bucketed = sketch_of(values, keep=False)  # the interpolation keeps the max in view too
    assert bucketed.quantile(0.99) is not None and bucketed.quantile(0.99) > 25_000  # type: ignore[operator]


def test_values_are_kept_up_to_the_exact_count() -> None:
    s = sketch_of(list(range(EXACT_COUNT)))
    kept = s.values is not None
    s.add(5)
    assert kept and s.values is None
    half = sketch_of(list(range(EXACT_COUNT // 2 + 1)))
    half.merge(sketch_of(list(range(EXACT_COUNT // 2))))
    assert half.values is None  # the joined values would be over the count


@given(st.lists(st.integers(0, 10**12), min_size=1))
def test_large_values_within_08_percent(values: list[int]) -> None:
    s = sketch_of(values, keep=False)
    ordered = sorted(values)
    exact = statistics.median(values)
    median = s.quantile(0.5)
    assert median is not None
    assert abs(median - exact) <= ordered[len(values) // 2] / 128 + 1
    assert s.summary()["max"] == max(values)
    assert s.quantile(1.0) == max(values)
    assert s.quantile(0.0) == min(values)


@given(st.lists(st.integers(0, 10**9)), st.lists(st.integers(0, 10**9)))
def test_merge_equals_one_pass(a: list[int], b: list[int]) -> None:
    merged = sketch_of(a)
    merged.merge(sketch_of(b))
    whole = sketch_of(a + b)
    assert merged.buckets == whole.buckets
    assert merged.summary() == whole.summary()


@given(st.lists(st.lists(st.integers(0, 10**12), max_size=EXACT_COUNT // 2), max_size=5),
       st.lists(st.integers(0, 10**12), max_size=8))
def test_add_all_equals_adding_one_by_one(batches: list[list[int]], between: list[int]) -> None:
    """The fast path's batches, with single adds (the full checks' samples) between them."""
    batched, one_by_one = Sketch(), Sketch()
    for values in batches:
        batched.add_all(values)
        for v in values:
            one_by_one.add(v)
        for v in between:
            batched.add(v)
            one_by_one.add(v)
    assert batched.buckets == one_by_one.buckets
    assert (batched.count, batched.min, batched.max) == (
        one_by_one.count, one_by_one.min, one_by_one.max)
    assert (None if batched.values is None else sorted(batched.values)) == (
        None if one_by_one.values is None else sorted(one_by_one.values))
    assert batched.distribution() == one_by_one.distribution()


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
    for keep in (True, False):  # linear bins of one width from min to max, counts exact
        bins = sketch_of([0, 1, 5, 300, 300, 2_000, 70_000], keep=keep).histogram()
        assert len(bins) == 24
        assert bins[0] == (0, 2_916, 6)
        assert bins[-1] == (67_091, 70_000, 1)
        assert {high - low for low, high, _ in bins[:-1]} == {2_916}
        assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(bins))
        assert sum(n for _, _, n in bins) == 7
    assert Sketch().histogram() == []
