"""``ftdata stats`` with several workers (the validation's, each writing the feature rows of
its byte ranges) gives the statistics of one pass, feature table included, on files whose
ranges cut between formats, blank and unreadable lines, a BOM and duplicates across ranges;
and the table keeps one format dictionary over many batches."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import validator.stats.table
from validator.cli.main import main
from validator.run import parallel
from validator.stats import features
from validator.stats.dataset import profile_file


def _lines(n: int) -> list[bytes]:
    out: list[bytes] = []
    for i in range(n):
        if i % 97 == 13:
            out.append(b"")  # blank
        elif i % 89 == 5:
            out.append(b"{not json")
        elif i % 3 == 0:
            out.append(json.dumps({"text": f"Plain text {i % 50}"}).encode())
        elif i % 3 == 1:
            out.append(json.dumps({"prompt": f"Prompt {i}", "completion": "Yes"}).encode())
        else:
            text = f"Question {i % 40}?" if i % 7 else f"  question {i % 40}? "
            out.append(json.dumps({"messages": [{"role": "user", "content": text},
                                                {"role": "assistant", "content": "A"}]}).encode())
    return out


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)  # ranges of a small file
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(_lines(3000)) + b"\n")
    return path


def _doc(path: Path, workers: int, purpose: str = "fine-tune") -> dict[str, Any]:
    return profile_file(path, purpose, workers=workers).to_dict()


def test_any_number_of_workers_gives_one_passes_statistics(mixed: Path) -> None:
    one = _doc(mixed, 1)
    assert one["samples"] > 2500 and one["duplicates"]["exact"] and one["duplicates"]["near"]
    assert one["unreadable_lines"] and one["blank_lines"]
    for workers in (2, 3, 8):
        assert _doc(mixed, workers) == one


def test_eval_rows_on_several_workers(mixed: Path) -> None:
    one = _doc(mixed, 1, "eval")
    assert one["read_as"] == "eval or calibration rows" and one["samples"] > 2500
    assert _doc(mixed, 3, "eval") == one


def test_the_joined_table_numbers_lines_as_one_pass(mixed: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    single = features(mixed, out=tmp_path / "one.arrow").collect()
    ranges: list[int] = []
    real = validator.stats.table.join_tables

    def spy(tables: list[str], shifts: list[int], out: str) -> None:
        ranges.append(len(tables))
        real(tables, shifts, out)

    monkeypatch.setattr(validator.stats.table, "join_tables", spy)
    many = profile_file(mixed, workers=4, features=tmp_path / "many.arrow")
    assert many.analysis is not None and ranges and ranges[0] >= 4
    from validator.stats.analysis import scan

    assert scan(tmp_path / "many.arrow").collect().equals(single)


def test_formats_that_change_between_batches(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validator.stats.table, "BATCH_ROWS", 4)
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(_lines(60)) + b"\n")
    doc = _doc(path, 1)
    assert set(doc["per_format"]) == {"conversation", "instruction", "general"}
    assert sum(doc["samples_per_format"].values()) == doc["samples"]


def test_ftdata_stats_takes_workers(mixed: Path) -> None:
    outs = []
    for workers in ("1", "2"):
        out = io.StringIO()
        assert main(["stats", str(mixed), "--isolated", "--workers", workers, "-o", "json"],
                    out, io.StringIO()) == 0
        outs.append(json.loads(out.getvalue()))
    assert outs[0] == outs[1]
    err = io.StringIO()
    assert main(["stats", str(mixed), "--workers", "0"], io.StringIO(), err) == 2
    assert "--workers must be at least 1" in err.getvalue()
