"""Parallel validation gives exactly the report one worker gives."""

from __future__ import annotations

import io
import random
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest

from validator.cli.main import main
from validator.config import Config
from validator.run import forkpool, parallel
from validator.run import pipeline as engine
from validator.run.pipeline import validate_file

DATA = Path(__file__).resolve().parents[1] / "data"


def corpus_lines() -> list[bytes]:
    """Every line of the example corpus (valid and invalid), so every rule shows up."""
    lines = []
    for path in sorted(DATA.glob("*/*.jsonl")):
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf") or len(data) > 2**20:
            continue
        lines.extend(data.replace(b"\r\n", b"\n").split(b"\n"))
    rng = random.Random(0)
    return [line for line in lines if line or rng.random() < 0.3]  # keep some blank lines


def build(path: Path, lines: list[bytes], copies: int, seed: int, *, head: bytes = b"",
          newline_at_end: bool = True) -> Path:
    rng = random.Random(seed)
    body = []
    for _ in range(copies):
        batch = lines[:]
        rng.shuffle(batch)
        body.extend(batch)
    data = head + b"\n".join(body) + (b"\n" if newline_at_end else b"")
    path.write_bytes(data)
    return path


@pytest.fixture(autouse=True, params=["forkpool", "process pool"])
def runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: workers forked by ``forkpool`` (Linux, one thread), and from a process
    pool (elsewhere, or with other threads running; the Dask tests leave some)."""
    fork = request.param == "forkpool"
    if fork and not sys.platform.startswith("linux"):
        pytest.skip("forkpool needs Linux")
    monkeypatch.setattr(forkpool, "available", lambda: fork)
    return str(request.param)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Small ranges, so test files split in many; returns what each scan_parallel call did."""
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 14)
    calls: list[bool] = []
    real = parallel.scan_parallel

    def spy(*args: Any, **kwargs: Any) -> bool:
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(engine, "scan_parallel", spy)
    return calls


CHAT = orjson.dumps({"messages": [{"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "hello"}]})


@pytest.mark.parametrize("max_errors", [1000, 3, 0])
@pytest.mark.parametrize("purpose", ["fine-tune", "eval"])
def test_workers_give_the_single_worker_report(tmp_path: Path, max_errors: int, purpose: str,
                                               small_chunks: list[bool]) -> None:
    path = build(tmp_path / "mixed.jsonl", [CHAT, *corpus_lines()], copies=8, seed=max_errors,
                 head=b"\xef\xbb\xbf" + CHAT + b"\n")
    config = Config(max_errors=max_errors)
    one = validate_file(path, purpose, config=config, workers=1)
    with path.open("rb") as handle:
        assert len(parallel.plan_ranges(handle, path.stat().st_size, 8)) == 8
    two = validate_file(path, purpose, config=config, workers=2)
    assert small_chunks == [True]
    assert one.errors > 100
    assert two == one


def test_last_line_without_newline_and_format_found_late(tmp_path: Path,
                                                        small_chunks: list[bool]) -> None:
    lines = [b"", b"not json", b"[1]", CHAT, b'{"prompt": "p", "completion": "c"}']
    path = build(tmp_path / "late.jsonl", lines, copies=2000, seed=1,
                 head=b"\n" * 3 + b"oops\n", newline_at_end=False)
    one = validate_file(path, config=Config(max_errors=10_000), workers=1)
    two = validate_file(path, config=Config(max_errors=10_000), workers=2)
    assert small_chunks == [True]
    assert "format-mixed" in one.by_code
    assert two == one


def test_no_format_in_the_first_range_falls_back_to_one_pass(tmp_path: Path,
                                                            small_chunks: list[bool]) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"nope\n" * 10_000 + CHAT + b"\n")
    with path.open("rb") as handle:
        end = parallel.plan_ranges(handle, path.stat().st_size, 2)[0][1]
        assert parallel.first_format(handle, end, 2**20) is None
    one = validate_file(path, workers=1)
    assert validate_file(path, workers=2) == one
    assert small_chunks == [False]
    assert one.dataset_format == "conversation"


def test_ranges_start_after_newlines_and_cover_the_file(tmp_path: Path) -> None:
    data = b"a" * 100 + b"\n" + b"b\n" * 50 + b"c" * 5000 + b"\n" + b"d"
    path = tmp_path / "r.jsonl"
    path.write_bytes(data)
    with path.open("rb") as handle:
        ranges = parallel.plan_ranges(handle, len(data), 10)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == len(data)
    for (_, end), (start, _) in pairwise(ranges):
        assert end == start
        assert data[start - 1:start] == b"\n"


def test_cli_workers_option(tmp_path: Path) -> None:
    path = build(tmp_path / "c.jsonl", [CHAT, b"{}"], copies=3000, seed=2)
    outs = []
    for workers in ("1", "2"):
        out = io.StringIO()
        assert main(["validate", "--workers", workers, "--output", "json", str(path)],
                    stdout=out) == 1
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    err = io.StringIO()
    assert main(["validate", "--workers", "0", str(path)], stdout=io.StringIO(), stderr=err) == 2
    assert "workers must be at least 1" in err.getvalue()


def test_large_files_get_ranges_of_bounded_size_a_multiple_of_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges stay short on a file of any size (workers end together, progress moves), and
    their number divides among the workers."""
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 10)
    monkeypatch.setattr(parallel, "MAX_CHUNK_BYTES", 1 << 14)
    path = build(tmp_path / "big.jsonl", [CHAT], copies=4000, seed=3)
    size = path.stat().st_size
    seen: list[list[parallel.Job]] = []
    real = parallel._run

    def spy(jobs: list[parallel.Job], *args: Any) -> None:
        seen.append(jobs)
        real(jobs, *args)

    monkeypatch.setattr(parallel, "_run", spy)
    one = validate_file(path, workers=1)
    assert validate_file(path, workers=3) == one
    (jobs,) = seen
    assert len(jobs) % 3 == 0
    assert len(jobs) > 3 * parallel.CHUNKS_PER_WORKER  # more than the default count
    assert max(job.end - job.start for job in jobs) <= (1 << 14) + len(CHAT) + 1
    assert jobs[-1].end == size


@pytest.mark.parametrize("purpose", ["fine-tune", "eval", "calibration"])
def test_compressed_bytes_under_a_plain_name_are_read_in_one_pass(
        tmp_path: Path, purpose: str, small_chunks: list[bool]) -> None:
    """gzip bytes in a file named .jsonl are one stream: byte ranges of them mean nothing."""
    import gzip

    path = tmp_path / "packed.jsonl"
    rows = b"".join(b'{"text": "sample %d", "n": %d}\n' % (i, i) for i in range(40_000))
    path.write_bytes(gzip.compress(rows, compresslevel=1))
    assert path.stat().st_size > 4 * parallel.MIN_CHUNK_BYTES
    one = validate_file(path, purpose, workers=1)
    two = validate_file(path, purpose, workers=2)
    assert two == one
    assert one.nlines == 40_000 and one.errors == 0
    assert small_chunks == [False]
