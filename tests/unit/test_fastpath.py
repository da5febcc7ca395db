"""The scan's fast path (validator/run/fastpath.py) gives the report the full checks give.

Every report here is made twice, the fast path taken from the first byte and never, and the
two must be equal in everything (issues, counts, flags, statistics). Each test also says
whether the fast path took the lines it was meant to take, so that none passes by never
using it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.unit.fastpath_cases import MISSED, MISSED_PAIRS, TAKEN, TAKEN_PAIRS
from validator.collect import Collector, Tally
from validator.config import Config
from validator.run import fastpath, forkpool, scan
from validator.run.pipeline import validate_bytes, validate_file, validate_stream

ROOT = Path(__file__).resolve().parents[2]
NEVER = 1 << 62


class Taken:
    """The lines the fast paths of the scans since :func:`spy` took, and those they tried."""

    def __init__(self) -> None:
        self.paths: list[fastpath.FastPath] = []

    @property
    def hits(self) -> int:
        return sum(p.hits for p in self.paths)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Taken]:
    taken = Taken()
    made = fastpath.FastPath.__init__

    def init(self: fastpath.FastPath, name: str) -> None:
        made(self, name)
        taken.paths.append(self)

    monkeypatch.setattr(fastpath.FastPath, "__init__", init)
    yield taken


def both(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``run()``'s report as a dict with the fast path (its counts flushed every 3 samples,
    so that batches end mid-file too), then without it."""
    monkeypatch.setattr(scan, "FAST_AFTER", 0)
    monkeypatch.setattr(fastpath.FastPath, "BATCH", 3)
    fast = run().to_dict()
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    return fast, run().to_dict()


def _files() -> list[Path]:
    found = [*sorted((ROOT / "tests" / "data").rglob("*.jsonl")),
             *sorted((ROOT / "examples").glob("*.jsonl"))]
    assert len(found) > 100
    return found


def test_every_data_file_reads_the_same(monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """Every JSONL file of tests/data and examples/, valid or not."""
    for path in _files():
        fast, full = both(monkeypatch, lambda p=path: validate_file(p, workers=1))
        assert fast == full, path
    assert spy.hits > 50  # the valid conversation files took it


_LINE = orjson.dumps({"messages": [{"role": "user", "content": "Grüß dich " * 20},
                                   {"role": "assistant", "content": "Hallo! " * 20}]})


def test_a_large_file_takes_it_from_its_second_line(tmp_path: Path, spy: Taken,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A file on disk larger than FAST_AFTER pays for the import anyway: the fast path takes
    every line after the first (which names the format)."""
    monkeypatch.setattr(scan, "FAST_AFTER", 4096)
    path = tmp_path / "big.jsonl"
    path.write_bytes((_LINE + b"\n") * 400)
    report = validate_file(path, workers=1)
    assert report.valid and report.nlines == 400
    assert spy.hits == 399
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    assert validate_file(path, workers=1).to_dict() == report.to_dict()


def test_a_stream_takes_it_past_the_threshold(spy: Taken,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the size is not known (a pipe), the fast path starts at offset FAST_AFTER."""
    monkeypatch.setattr(scan, "FAST_AFTER", 4096)
    data = (_LINE + b"\n") * 400
    report = validate_stream(io.BytesIO(data))
    assert report.valid and report.nlines == 400
    assert 0 < spy.hits < 400 - 4096 // (len(_LINE) + 1) + 1  # not the first 4 KiB


def test_a_file_under_the_threshold_never_loads_it(tmp_path: Path, spy: Taken,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "FAST_AFTER", 1 << 20)
    path = tmp_path / "small.jsonl"
    path.write_bytes((_LINE + b"\n") * 400)
    assert validate_file(path, workers=1).valid
    assert spy.paths == []


def test_a_range_past_the_threshold_takes_it_from_its_first_line(
        monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """A worker's byte range that starts past FAST_AFTER (as scan_jsonl sees it)."""
    monkeypatch.setattr(scan, "FAST_AFTER", 10_000)
    line = TAKEN["ascii"]
    for start, taken in ((10_000, 3), (9_990, 2), (0, 0)):
        spy.paths.clear()
        out, tally = Collector(Config()), Tally()
        scan.scan_jsonl([line, line, line], "fine-tune", 2**20, out, tally, offset=start,
                        known_format=("conversation", 1))
        assert (spy.hits, tally.formats) == (taken, {"conversation": 3}), start


CASES = {**{name: (TAKEN["ascii"], TAKEN[name], True) for name in TAKEN},
         **{name: (TAKEN["ascii"], MISSED[name], False) for name in MISSED},
         **{name: (TAKEN_PAIRS["pair"], TAKEN_PAIRS[name], True) for name in TAKEN_PAIRS},
         **{name: (TAKEN_PAIRS["pair"], MISSED_PAIRS[name], False) for name in MISSED_PAIRS}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lines_it_takes_or_leaves(name: str, monkeypatch: pytest.MonkeyPatch,
                                  spy: Taken) -> None:
    """Each line second in its file, after a good sample of its format: the full checks read
    the first, which names the format the fast path reads (and a BOM there is the file's)."""
    first, line, taken = CASES[name]
    data = first + b"\n" + line + b"\n"
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert spy.hits == taken, name
    assert fast == full
    if taken:
        assert orjson.loads(line)  # valid JSON, as orjson reads it
        assert not full["issues"], full["issues"]


def test_a_tools_list_is_judged_once_by_its_bytes(monkeypatch: pytest.MonkeyPatch,
                                                   spy: Taken) -> None:
    """Samples repeating a good tools list are all taken (but the first); the same list
    written with other spacing is judged afresh; samples repeating one with an issue are all
    the full checks', each reported."""
    good = TAKEN["tools and a schema"]
    bad = MISSED["tool required misplaced"]
    spaced = good.replace(b'"tools":[', b'"tools": [ ')
    assert spaced != good
    data = b"\n".join([good] * 5 + [spaced] * 3 + [bad] * 3 + [good]) + b"\n"
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert fast == full
    assert spy.hits == 4 + 3 + 1  # three misses do not yet pause it
    assert [(i["code"], i["count"]) for i in full["issues"]] == [("tool-required-misplaced", 3)]


def test_format_mixing_is_the_full_checks(monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """After an instruction sample, a conversation is format-mixed: the fast path stays out."""
    data = orjson.dumps({"prompt": "p", "completion": "c"}) + b"\n" + TAKEN["ascii"] + b"\n"
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert fast == full
    assert [i["code"] for i in full["issues"]] == ["format-mixed"]
    assert spy.hits == 0


def test_a_file_it_keeps_missing_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a run of misses it pauses, so a file of image samples is not read twice; it comes
    back to the plain samples that follow."""
    tried = 0
    paths = []
    made = fastpath.FastPath.__init__

    def init(self: fastpath.FastPath, name: str) -> None:
        made(self, name)
        read = self._read

        def counting(line: bytes) -> Any:
            nonlocal tried
            tried += 1
            return read(line)

        self._read = counting
        paths.append(self)

    monkeypatch.setattr(fastpath.FastPath, "__init__", init)
    misses = 20 * fastpath.FastPath.PAUSE
    data = (MISSED["content parts"] + b"\n") * misses + (TAKEN["ascii"] + b"\n") * 2000
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert fast == full
    assert tried < misses / 10 + 2000
    assert sum(p.hits for p in paths) > 1000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkpool needs Linux")
def test_reports_agree_with_several_workers(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker's scan has its own fast path (forked workers see FAST_AFTER as patched
    here); ranges that start mid-file keep the file's format (one range holding an
    instruction sample)."""
    monkeypatch.setattr(forkpool, "available", lambda: True)
    lines = [line for line in [TAKEN[name] for name in sorted(TAKEN)]
             + [MISSED[name] for name in sorted(MISSED) if name != "byte-order mark"]
             if len(line) < 1 << 20]  # not the largest images forty times over
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines * 40) + b"\n")
    monkeypatch.setattr("validator.run.parallel.PARALLEL_MIN_BYTES", 0)
    fast, full = both(monkeypatch, lambda: validate_file(path, workers=3))
    assert fast == full
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    assert validate_file(path, workers=1).to_dict() == full
