"""Line splitting: exact lines whatever the block boundaries, bounded memory for long lines."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.read import lines as lines_module
from validator.read.lines import TooLong, _find, split_lines


def blocks_of(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in pairwise(points) if b > a]


def expected(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


@given(st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"\n")),
       st.lists(st.integers(0, 400), max_size=8))
def test_any_block_boundaries_give_the_same_lines(data: bytes, cuts: list[int]) -> None:
    assert list(split_lines(blocks_of(data, cuts), 10_000)) == expected(data)


@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=10),
       st.lists(st.integers(0, 500), max_size=8), st.integers(1, 30))
def test_long_lines_are_replaced_by_their_size(lines: list[bytes], cuts: list[int],
                                               limit: int) -> None:
    data = b"".join(line + b"\n" for line in lines)
    got = list(split_lines(blocks_of(data, cuts), limit))
    assert len(got) == len(lines)
    for line, item in zip(lines, got, strict=True):
        if len(line) > limit:
            assert isinstance(item, TooLong)
            assert item.size == len(line)
        else:
            assert item == line


def test_last_line_without_newline_is_kept() -> None:
    assert list(split_lines([b"a\nb"], 10)) == [b"a", b"b"]
    assert list(split_lines([b"a\n"], 10)) == [b"a"]
    assert list(split_lines([], 10)) == []


@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=10),
       st.lists(st.integers(0, 500), max_size=8), st.integers(1, 30))
def test_spilled_bytes_of_a_long_line_are_exactly_that_line(lines: list[bytes], cuts: list[int],
                                                            limit: int) -> None:
    data = b"".join(line + b"\n" for line in lines)
    spilled: list[bytes] = []
    got = []
    for item in split_lines(blocks_of(data, cuts), limit, spill=spilled.append):
        got.append((item, b"".join(spilled)))
        spilled.clear()
    assert len(got) == len(lines)
    for line, (item, spill) in zip(lines, got, strict=True):
        if isinstance(item, TooLong):
            assert spill == line
        else:
            assert (item, spill) == (line, b"")


@given(st.binary(max_size=2000).map(lambda b: b.replace(b"\r", b"\n")))
def test_finding_each_newline_is_bytes_split(data: bytes) -> None:
    assert _find(data) == data.split(b"\n")


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=12),
       st.lists(st.integers(0, 40_000), max_size=8), st.binary(min_size=1, max_size=8))
def test_blocks_of_long_lines_give_the_same_lines(lengths: list[int], cuts: list[int],
                                                  fill: bytes) -> None:
    """Lines long enough that later blocks are split by _find (average over 768 bytes), and
    short ones among them, whatever the block boundaries."""
    fill = fill.replace(b"\n", b"x")
    data = b"".join((fill * (n // len(fill) + 1))[:n] + b"\n" for n in lengths)
    if cuts:
        assert list(split_lines(blocks_of(data, cuts), 100_000)) == expected(data)
    else:  # the usual reader's blocks
        size = 4096
        blocks = [data[i:i + size] for i in range(0, len(data), size)]
        assert list(split_lines(blocks, 100_000)) == expected(data)


def test_long_lines_are_split_by_find_short_ones_by_bytes_split(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After a block of long lines the next is split by _find; after short lines, not."""
    calls = []

    def counting(block: bytes) -> list[bytes]:
        calls.append(len(block))
        return _find(block)

    monkeypatch.setattr(lines_module, "_find", counting)
    long_lines = (b"a" * 2000 + b"\n") * 40
    short_lines = (b"b" * 100 + b"\n") * 800
    data = long_lines + short_lines + long_lines
    blocks = [data[i:i + 16384] for i in range(0, len(data), 16384)]
    assert list(split_lines(blocks, 100_000)) == expected(data)
    assert 0 < len(calls) < len(blocks) - 1
