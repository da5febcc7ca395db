"""Parquet memory (SPEC §3): the memory a validation run needs stays flat whatever the file
size, measured in a fresh process.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.peak import run_measured

# --------------------------------------------------------------------------------------------
# Memory: a file of any size validates in flat memory (VmHWM of a fresh process)
# --------------------------------------------------------------------------------------------

LIMIT_MB = 300

_PROBE = """
import sys, time
from validator import validate_file
start = time.perf_counter()
report = validate_file(sys.argv[1])
seconds = time.perf_counter() - start
assert report.valid and not report.warnings, report.issues[:3]
print(report.nlines, round(seconds, 2))
"""


def _make_tokens(path: Path, size_mb: int, *, row_tokens: int, group_rows: int) -> int:
    """An uncompressed file of random int32 tokens in rows of ``row_tokens``: input_ids,
    attention_mask (all 1), labels (30% -100) and position_ids (examples of 1,000 tokens
    packed in each row), written one row group at a time."""
    kind = pa.list_(pa.int32())
    schema = pa.schema([("input_ids", kind), ("attention_mask", kind), ("labels", kind),
                        ("position_ids", kind)])
    rows = size_mb * 2**20 // (row_tokens * 4 * 4) + 1
    packed = pa.array([i % 1000 for i in range(row_tokens)], pa.int32())
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False) as writer:
        done = 0
        while done < rows:
            n = min(group_rows, rows - done)
            count = n * row_tokens
            offsets = pa.array(range(0, count + 1, row_tokens), pa.int32())
            ids = pc.cast(pc.floor(pc.multiply(pc.random(count, initializer=done), 50_000)),
                          pa.int32())
            ones = pc.cast(pc.greater_equal(ids, 0), pa.int32())
            labels = pc.if_else(pc.less(pc.random(count, initializer=done + 1), 0.3),
                                pa.scalar(-100, pa.int32()), ids)
            positions = pa.concat_arrays([packed] * n)
            lists = [pa.ListArray.from_arrays(offsets, v)
                     for v in (ids, ones, labels, positions)]
            writer.write_table(pa.table(lists, schema=schema), row_group_size=n)
            done += n
    return rows


def _validate_in_child(path: Path) -> tuple[int, int, float]:
    found, peak = run_measured(_PROBE, str(path))
    nlines, seconds = found.split()
    return int(nlines), peak, float(seconds)


def test_60mb_file_stays_under_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "tokens.parquet"
    rows = _make_tokens(path, 60, row_tokens=4096, group_rows=256)
    assert path.stat().st_size >= 60 * 2**20
    assert pq.ParquetFile(path).metadata.num_row_groups >= 4
    nlines, peak, _ = _validate_in_child(path)
    assert nlines == rows
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"


@pytest.mark.slow
def test_500mb_file_stays_under_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "tokens.parquet"
    rows = _make_tokens(path, 500, row_tokens=4096, group_rows=2048)
    assert path.stat().st_size >= 500 * 2**20
    assert pq.ParquetFile(path).metadata.num_row_groups >= 5
    nlines, peak, seconds = _validate_in_child(path)
    print(f"\n500 MB Parquet: {nlines} rows, peak RSS {peak} MB, {seconds} s")
    assert nlines == rows
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"
