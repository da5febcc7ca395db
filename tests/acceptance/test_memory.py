"""Memory stays flat whatever the file size: peak RSS of a validation run in a fresh process."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.peak import run_measured

LIMIT_MB = 150

_PROBE = """
import sys
from validator import validate_file
report = validate_file(sys.argv[1])
assert report.valid, report.error
print(report.nlines)
"""


def _make_file(path: Path, size_mb: int) -> int:
    records = [
        orjson.dumps({
            "messages": [
                {"role": "system", "content": "You are a helpful assistant. " * 3},
                {"role": "user", "content": f"Question {i}: " + "héllo wörld ✓ " * (10 + i)},
                {"role": "assistant", "content": "Answer " + "lorem ipsum " * (20 + i * 3),
                 "weight": 1},
            ]
        }) + b"\n"
        for i in range(50)
    ]
    block = b"".join(records)
    repeats = size_mb * 2**20 // len(block) + 1
    with path.open("wb") as handle:
        for _ in range(repeats):
            handle.write(block)
    return repeats * len(records)


def _peak_mb(path: Path) -> tuple[int, int]:
    nlines, peak = run_measured(_PROBE, str(path))
    return int(nlines), peak


@pytest.mark.parametrize("size_mb", [100, pytest.param(1024, marks=pytest.mark.slow)])
def test_file_stays_under_the_memory_limit(tmp_path: Path, size_mb: int) -> None:
    path = tmp_path / "big.jsonl"
    lines = _make_file(path, size_mb)
    nlines, peak = _peak_mb(path)
    assert nlines == lines
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"
