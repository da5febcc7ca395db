"""Pipelines' inputs: standard input, compressed files, and batch-file limits."""

from __future__ import annotations

import dataclasses
import gzip
import io
from pathlib import Path

import orjson
import pytest
import zstandard

from tests.conftest import CHAT
from validator import validate_file, validate_stream
from validator.cli.main import main
from validator.config import Config, from_table
from validator.limits import LIMITS
from validator.run import pipeline as engine

LINE = orjson.dumps(CHAT) + b"\n"


def run(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_stdin_is_validated_under_its_name() -> None:
    code, out, _ = run("validate", "-", "--name", "piped.jsonl", stdin=LINE + b'{"text": 1}\n')
    assert code == 1
    assert out.splitlines()[0].startswith("piped.jsonl:2: format-mixed line is general")
    code, out, _ = run("validate", "-", stdin=LINE * 3)
    assert code == 0
    assert "stdin.jsonl: valid (fine-tune): conversation; 3 samples" in out


def test_empty_stdin_is_file_empty() -> None:
    code, out, _ = run("validate", "-", "--output", "json")
    assert code == 1
    assert [i["code"] for i in orjson.loads(out)["files"][0]["issues"]] == ["file-empty"]


def test_stdin_name_picks_type_and_auto_purpose(tmp_path: Path) -> None:
    assert run("validate", "-", "--name", "e.csv", "--purpose", "auto", stdin=b"q,a\n1,2\n")[0] == 0
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 1]]}), sink)
    code, out, _ = run("validate", "-", "--name", "t.parquet", stdin=sink.getvalue())
    assert code == 0, out
    gz = gzip.compress(LINE * 2)
    assert run("validate", "-", "--name", "d.jsonl.gz", stdin=gz)[0] == 0


@pytest.mark.parametrize("name", [[], ["--name", "piped.jsonl"], ["--name", "piped.jsonl.zst"]])
def test_compressed_stdin_is_known_by_its_bytes(name: list[str]) -> None:
    """SPEC §1: compressed bytes are recognised by their magic number whatever the name says,
    on standard input too."""
    zstd = zstandard.ZstdCompressor().compress(LINE * 3)
    for data in (gzip.compress(LINE * 3), zstd):
        code, out, _ = run("validate", "-", *name, "--output", "json", stdin=data)
        assert code == 0, out
        assert orjson.loads(out)["files"][0]["validation_report"]["nlines"] == 3


def test_plain_stdin_named_compressed_is_read_as_text() -> None:
    code, out, _ = run("validate", "-", "--name", "d.jsonl.gz", "--output", "json",
                       stdin=LINE * 2)
    assert code == 0, out
    entry = orjson.loads(out)["files"][0]
    assert (entry["issues"], entry["validation_report"]["nlines"]) == ([], 2)


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_compressed_bytes_under_a_plain_name(tmp_path: Path, kind: str) -> None:
    body = LINE * 2 + b'{"text": "mixed"}\n' + LINE
    data = gzip.compress(body) if kind == "gzip" else zstandard.ZstdCompressor().compress(body)
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    report = validate_file(path)
    assert (report.nlines, [(i.line, i.code) for i in report.issues]) == (4, [(3, "format-mixed")])
    assert report.stats["bytes"] == len(data)  # the file's size on disk
    assert validate_file(path, workers=2) == report
    assert validate_stream(io.BytesIO(data), "d.jsonl") == dataclasses.replace(
        report, path="d.jsonl", stats={**report.stats, "bytes": None})


def test_size_rules_judge_compressed_data_once_decompressed(tmp_path: Path) -> None:
    """file-too-large and file-too-large-for-sdk compare the decompressed size, however the
    compression was found (name or bytes), and a size on disk over a limit is not reported
    twice."""
    body = LINE * 50
    packed = gzip.compress(body)
    plain_name, packed_name = tmp_path / "d.jsonl", tmp_path / "d.jsonl.gz"
    for path in (plain_name, packed_name):
        path.write_bytes(packed)

    def issues(path: Path, **table: object) -> list[tuple[str, str]]:
        report = validate_file(path, config=from_table(table))
        return [(i.code, i.message.split(", over", 1)[0]) for i in report.issues]

    limit = len(packed) + 1  # the file fits, the data does not
    for path in (plain_name, packed_name):
        assert issues(path, **{"sdk-max-file-size": limit}) == [
            ("file-too-large-for-sdk", f"data is {len(body):,} bytes")]
        # over max-file-size, decompressing stops at the limit (a bomb ends there)
        assert issues(path, **{"max-file-size": limit, "sdk-max-file-size": limit}) == [
            ("file-too-large", f"decompressed data is over the limit of {limit:,} bytes, so "
                               "reading stopped there (lines 1-1 were checked): split it into "
                               "several files")]
    assert issues(plain_name, **{"max-file-size": 10, "sdk-max-file-size": 5}) == [
        ("file-too-large", f"file is {len(packed):,} bytes")]
    assert issues(plain_name, **{"sdk-max-file-size": 10}) == [
        ("file-too-large-for-sdk", f"file is {len(packed):,} bytes")]


def test_stdin_size_rules_apply_to_what_was_read() -> None:
    cfg = from_table({"sdk-max-file-size": len(LINE) * 2})
    report = validate_stream(io.BytesIO(gzip.compress(LINE * 3)), "s.jsonl", config=cfg)
    assert [(i.code, i.message.split(", over", 1)[0]) for i in report.issues] == [
        ("file-too-large-for-sdk", f"input is {len(LINE) * 3:,} bytes")]


def test_stdin_usage_errors() -> None:
    assert "only once" in run("validate", "-", "-")[2]
    assert "--name names standard input" in run("validate", "x.jsonl", "--name", "y.jsonl")[2]


def test_validate_stream_reads_once_front_to_back() -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return self.data.readinto(buffer)

    report = validate_stream(io.BufferedReader(OneWay(LINE * 5)), "s.jsonl")
    assert report.valid
    assert report.nlines == 5


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_files_with_several_members(tmp_path: Path, suffix: str) -> None:
    first = LINE * 2 + b'{"text": "mixed"}\n'
    second = LINE * 3
    if suffix.endswith("gz"):
        data = gzip.compress(first) + gzip.compress(second)
    else:
        zc = zstandard.ZstdCompressor()
        data = zc.compress(first) + zc.compress(second)
    path = tmp_path / f"d{suffix}"
    path.write_bytes(data)
    report = validate_file(path)
    assert report.nlines == 6
    assert [(i.line, i.code) for i in report.issues] == [(3, "format-mixed")]
    assert validate_file(path, workers=2) == report


def test_truncated_archive_names_the_last_complete_line(tmp_path: Path) -> None:
    body = b"".join(orjson.dumps({"text": f"sample {i} " + "x" * (i % 97)}) + b"\n"
                    for i in range(20_000))
    packed = zstandard.ZstdCompressor().compress(body)
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(packed[: len(packed) // 2])
    code, out, _ = run("validate", "--output", "json", str(path))
    assert code == 1
    entry = orjson.loads(out)["files"][0]
    archive = [i for i in entry["issues"] if i["code"] == "archive-invalid"]
    assert len(archive) == 1
    last = int(archive[0]["message"].split("the last complete line is line ")[1].split(":")[0]
               .replace(",", ""))
    assert 0 < last < 20_000
    assert entry["validation_report"]["nlines"] in (last, last + 1)


def test_batch_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "LIMITS", dataclasses.replace(LIMITS, batch_max_bytes=100))
    line = (b'{"custom_id": "%d", "body": {"model": "m", '
            b'"messages": [{"role": "user", "content": "p"}]}}\n')
    data = b"".join(line % i for i in range(5))
    report = engine.validate_bytes(data, "b.jsonl", "batch-api")
    assert [(i.line, i.code) for i in report.issues] == [(None, "batch-limits")]
    assert "over the limit of 100" in (report.error or "")


def test_a_corrupt_archive_is_named_first_however_many_line_errors(tmp_path: Path) -> None:
    """SPEC §1: archive-invalid is a file-level error; it leads the report and the cap of
    --max-errors cannot push it out behind the lines' errors."""
    # each broken line at another column, so none are grouped: many line errors
    lines = b"".join(b'{"text": "ok", "n": %d}\n' % i if i % 2 else b" " * i + b"nope\n"
                     for i in range(400))
    packed = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    report = validate_file(str(path), config=Config(max_errors=5))
    first = report.issues[0]
    assert (first.line, first.code) == (None, "archive-invalid")
    assert sum(i.code == "json-invalid" for i in report.issues) == 5
