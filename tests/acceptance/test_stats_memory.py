"""``ftdata stats`` in flat memory: the feature table is on disk and the polars queries read a
column or two at a time, so 2,000,000 short samples stay under 300 MB (VmHWM of a fresh process,
polars and pyarrow included), even when every sample is in a duplicate group. Slow (about a
minute each): opt in with ``-m slow``."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.peak import run_measured

LIMIT_MB = 300
SAMPLES = 2_000_000

_PROBE = """
import sys
from validator.stats.dataset import profile_file
doc = profile_file(sys.argv[1]).to_dict()
print(doc["samples"], doc["duplicates"]["exact"], doc["duplicates"]["near"])
"""


@pytest.mark.slow
@pytest.mark.parametrize("distinct", [
    1_900_000,  # 100,000 exact repeats
    1_000_000,  # every sample in a group of two: the most groups there can be
])
def test_two_million_samples_stay_under_300_mb(tmp_path: Path, distinct: int) -> None:
    path = tmp_path / "many.jsonl"
    with path.open("wb") as out:
        for i in range(SAMPLES):
            question = f"Question {i % distinct}?"
            out.write(orjson.dumps({"messages": [{"role": "user", "content": question},
                                                 {"role": "assistant", "content": "Yes."}]})
                      + b"\n")
    found, peak = run_measured(_PROBE, str(path))
    samples, exact, near = map(int, found.split())
    assert (samples, exact, near) == (SAMPLES, SAMPLES - distinct, 0)
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"
