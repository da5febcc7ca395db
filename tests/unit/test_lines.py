"""Line splitting: exact lines whatever the block boundaries, bounded memory for long lines."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from validator.read.lines import TooLong, split_lines


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
