"""Memory stays flat whatever the file size: peak RSS of a validation run in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

LIMIT_MB = 150

# VmHWM, not ru_maxrss: Linux carries a parent's ru_maxrss across fork+exec, so a child of a
# large pytest process would report the parent's peak.
_PROBE = """
import re, sys
from validator import validate_file
report = validate_file(sys.argv[1])
assert report.valid, report.error
status = open("/proc/self/status").read()
print(report.nlines, int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
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
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True,
                          text=True, check=True)
    nlines, peak = done.stdout.split()
    return int(nlines), int(peak)


@pytest.mark.parametrize("size_mb", [100, pytest.param(1024, marks=pytest.mark.slow)])
def test_file_stays_under_the_memory_limit(tmp_path: Path, size_mb: int) -> None:
    path = tmp_path / "big.jsonl"
    lines = _make_file(path, size_mb)
    nlines, peak = _peak_mb(path)
    assert nlines == lines
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"
