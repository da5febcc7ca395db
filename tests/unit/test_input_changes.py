"""An input that changes under a parallel run is an error, never a silent mix of two files."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from validator.cli.main import main
from validator.errors import FtdataError, InputChangedError
from validator.run import forkpool, parallel
from validator.run.pipeline import validate_file
from validator.run.split import split_file

SAMPLE = orjson.dumps({"messages": [{"role": "user", "content": "q"},
                                    {"role": "assistant", "content": "a"}]})
OTHER = orjson.dumps({"messages": [{"role": "user", "content": "another file"},
                                   {"role": "assistant", "content": "b"}]})


@pytest.fixture(autouse=True, params=["forkpool", "process pool"])
def runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    fork = request.param == "forkpool"
    if fork and not sys.platform.startswith("linux"):
        pytest.skip("forkpool needs Linux")
    monkeypatch.setattr(forkpool, "available", lambda: fork)
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)


def _data(path: Path, n: int = 2000) -> Path:
    path.write_bytes(b"\n".join([SAMPLE] * n) + b"\n")
    return path


def _replace(path: Path) -> None:
    """Another file of the same size, renamed over ``path`` (as a download tool does)."""
    new = path.with_name("new.tmp")
    new.write_bytes(b"\n".join([OTHER] * (path.stat().st_size // (len(OTHER) + 1))) + b"\n")
    os.replace(new, path)


def _append(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b"\n".join([SAMPLE] * 50_000) + b"\n")


def _before_workers(monkeypatch: pytest.MonkeyPatch, change: Any, path: Path) -> None:
    """``change(path)`` once the ranges are planned, before any worker opens the file."""
    real = parallel._run

    def run(*args: Any, **kwargs: Any) -> None:
        change(path)
        real(*args, **kwargs)

    monkeypatch.setattr(parallel, "_run", run)


@pytest.mark.parametrize("change", [_replace, _append], ids=["replaced", "appended"])
def test_a_change_before_the_workers_open_the_file_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    path = _data(tmp_path / "in.jsonl")
    _before_workers(monkeypatch, change, path)
    with pytest.raises(InputChangedError,
                       match=r"the input changed while it was being validated: .*in\.jsonl"):
        validate_file(path, workers=2)
    assert issubclass(InputChangedError, FtdataError)


@pytest.mark.parametrize("change", [_replace, _append], ids=["replaced", "appended"])
def test_a_split_of_a_changing_input_writes_nothing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    change: Any) -> None:
    path = _data(tmp_path / "in.jsonl")
    _before_workers(monkeypatch, change, path)
    err = io.StringIO()
    code = main(["validate", "--workers", "2", str(path), "--split",
                 str(tmp_path / "c.jsonl"), str(tmp_path / "r.jsonl")],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert "ftdata: error: the input changed while it was being validated" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_an_append_while_the_workers_read_is_found_at_the_end(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Every worker opened the file as planned, but it grew before the run ended."""
    path = _data(tmp_path / "in.jsonl")
    real = parallel.merge_results

    def merge(*args: Any, **kwargs: Any) -> None:
        _append(path)
        real(*args, **kwargs)

    monkeypatch.setattr(parallel, "merge_results", merge)
    with pytest.raises(InputChangedError, match=r"in\.jsonl"):
        split_file(path, tmp_path / "c.jsonl", tmp_path / "r.jsonl", workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_an_unchanged_input_is_split_as_before(tmp_path: Path) -> None:
    path = _data(tmp_path / "in.jsonl")
    _, result = split_file(path, tmp_path / "c.jsonl", tmp_path / "r.jsonl", workers=2)
    assert result.counts.clean == 2000
    assert (tmp_path / "c.jsonl").read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "in.jsonl",
                                                          "r.issues.jsonl", "r.jsonl"]
