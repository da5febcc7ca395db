"""Routing lines to CLEAN and REJECTED: the lines that are not samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator import split_file


@pytest.mark.parametrize("first", [b"\xef\xbb\xbf", b"\xef\xbb\xbf  ", b"\xef\xbb\xbf\r"])
def test_a_first_line_that_is_only_a_bom_is_rejected_not_a_blank_clean_line(
        tmp_path: Path, first: bytes) -> None:
    sample = b'{"text": "a"}'
    (tmp_path / "in.jsonl").write_bytes(first + b"\n" + sample + b"\n")
    report, result = split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl",
                                tmp_path / "r.jsonl")
    assert "bom" in report.by_code
    assert (tmp_path / "c.jsonl").read_bytes() == sample + b"\n"  # no blank line in CLEAN
    assert (tmp_path / "r.jsonl").read_bytes() == first + b"\n"  # kept as it was, BOM too
    assert (result.counts.clean, result.counts.rejected) == (1, 1)
