"""Hostile input ends cleanly, bounded in time and memory: endless streams, decompression bombs,
files swapped for a FIFO, a Parquet row of 2**28 tokens, a CSV field of hundreds of MB."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from tests.peak import run_measured
from validator import validate_file, validate_stream
from validator.config import Config
from validator.errors import FileAccessError, UsageError
from validator.read.source import open_source

_LINE = b'{"text": "hello"}\n'

_PROBE = """
import sys
from validator.config import Config
from validator import validate_file
config = Config(max_line_bytes=int(sys.argv[2])) if len(sys.argv) > 2 else Config()
purpose = "eval" if sys.argv[1].endswith(".csv") else "fine-tune"
report = validate_file(sys.argv[1], purpose, config=config)
print(" ".join(sorted(report.by_code)))
"""


def _peak(path: Path, *extra: str) -> tuple[str, int]:
    """The rules that fired on ``path``, and the peak memory (MiB) of a fresh process."""
    return run_measured(_PROBE, str(path), *extra, timeout=120)


class Endless(io.RawIOBase):
    """A stream that never ends (as ``/dev/zero`` or a producer that hangs on)."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.given = 0

    def read(self, size: int | None = -1) -> bytes:
        self.given += len(self.chunk)
        return self.chunk

    def readable(self) -> bool:
        return True


@pytest.mark.parametrize("chunk", [_LINE * 4096, b"\0" * 65536])
def test_an_endless_stream_ends_at_max_file_size(chunk: bytes) -> None:
    stream = Endless(chunk)
    report = validate_stream(cast(BinaryIO, stream), config=Config(max_file_bytes=10 * 2**20))
    assert stream.given <= 12 * 2**20  # read up to the limit, not on and on
    assert not report.valid
    assert list(report.by_code) == ["file-too-large"]  # the cut line is not judged as JSON
    issue = report.issues[0]
    assert issue.line is None
    assert "over the limit of 10,485,760 bytes" in issue.message
    if chunk.startswith(b"{"):
        assert report.nlines == 10 * 2**20 // len(_LINE)  # every complete line was checked
        assert f"lines 1-{report.nlines:,} were checked" in issue.message
    else:
        assert "no line ended before it" in issue.message


def test_an_endless_piped_parquet_stops_spooling_at_the_limit() -> None:
    stream = Endless(b"\0" * 65536)
    report = validate_stream(cast(BinaryIO, stream), "x.parquet",
                             config=Config(max_file_bytes=2**20))
    assert stream.given <= 2 * 2**20
    assert list(report.by_code) == ["file-too-large"]


def test_dev_zero_on_stdin_ends_with_file_too_large(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nmax-file-size = "20MB"\n')
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([sys.executable, "-m", "validator", "validate", "--config",
                               str(tmp_path / "pyproject.toml"), "-"], stdin=zero,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "file-too-large input is over the limit of 20,000,000 bytes" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_split_of_an_endless_stream_writes_nothing(tmp_path: Path) -> None:
    from validator import split_stream

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UsageError, match=r"max-file-size.*nothing was written"):
        split_stream(cast(BinaryIO, Endless(_LINE * 4096)), out / "clean.jsonl",
                     out / "rejected.jsonl", config=Config(max_file_bytes=2**20))
    assert list(out.iterdir()) == []


def test_a_zstd_bomb_costs_a_block_not_its_size(tmp_path: Path) -> None:
    """4 GiB of zeros in a few KB of zstd: each piece decompressed is bounded (it was one
    output of GBs per 64 KiB of input)."""
    from backports import zstd

    frame = zstd.compress(b"\0" * 2**28)
    path = tmp_path / "bomb.jsonl.zst"
    path.write_bytes(frame * 16)
    assert path.stat().st_size < 200_000
    codes, peak = _peak(path, str(2**20))
    assert codes == "line-too-long"
    assert peak < 120, f"peak RSS {peak} MB"


def test_a_zstd_frame_asking_for_a_huge_window_is_refused(tmp_path: Path) -> None:
    from backports import zstd

    compressor = zstd.ZstdCompressor(options={zstd.CompressionParameter.window_log: 30})
    data = compressor.compress(_LINE * 1000) + compressor.flush()
    path = tmp_path / "wide.jsonl.zst"
    path.write_bytes(data)
    report = validate_file(path)
    assert "archive-invalid" in report.by_code
    message = next(i.message for i in report.issues if i.code == "archive-invalid")
    assert "--long=27" in message


def test_a_fifo_swapped_in_after_any_check_cannot_block(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is opened first and its descriptor checked: a FIFO put in place of the file
    between a check by path and the open used to block the run for good."""
    path = tmp_path / "data.jsonl"
    path.write_bytes(_LINE)
    real_stat = os.stat

    def stat_then_swap(target: str | os.PathLike[str], *args: object,
                       **kwargs: object) -> os.stat_result:
        result = real_stat(target)
        if os.fspath(target) == str(path):
            path.unlink()
            os.mkfifo(path)
        return result

    monkeypatch.setattr(os, "stat", stat_then_swap)
    outcome: list[object] = []

    def attempt() -> None:
        try:
            source, handle = open_source(str(path))
            handle.close()
            outcome.append(source)
        except FileAccessError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    assert outcome, "opening blocked on a FIFO"
    monkeypatch.undo()
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(FileAccessError, match="not a regular file"):
        open_source(str(path))


def test_a_directory_is_refused_on_its_descriptor(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="is a directory"):
        open_source(str(tmp_path))



def test_a_parquet_row_of_2_25_tokens_is_not_decoded(tmp_path: Path) -> None:
    """A few KB of Parquet declaring one row of 2**25 int64 tokens (512 MiB once decoded,
    columns together; a row of 2**28 took 3 GB): the metadata's counts say so before any value
    is decoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = pa.repeat(pa.scalar(0, pa.int64()), 2**25)
    row = pa.ListArray.from_arrays(pa.array([0, 2**25], pa.int32()), values)
    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"input_ids": row, "attention_mask": row}), path)
    del values, row
    assert path.stat().st_size < 2**20
    codes, peak = _peak(path)
    assert codes == "parquet-row-too-large"
    assert peak < 150, f"peak RSS {peak} MB"


def test_a_csv_field_of_100_mb_costs_the_line_limit(tmp_path: Path) -> None:
    path = tmp_path / "eval.csv"
    with path.open("wb") as handle:
        handle.write(b"prompt,answer\n\"")
        for _ in range(100):
            handle.write(b"a" * 2**20)
        handle.write(b"\",b\n")
    codes, peak = _peak(path, str(16 * 2**20))
    assert codes == "line-too-long"
    assert peak < 100, f"peak RSS {peak} MB"


def test_a_long_csv_field_within_the_limits_is_read(tmp_path: Path) -> None:
    """The csv module's own field limit (128 Ki characters) would refuse a long eval prompt."""
    path = tmp_path / "eval.csv"
    path.write_text('prompt,answer\n"' + "a" * 500_000 + '",b\n')
    report = validate_file(path, "eval")
    assert report.valid, report.issues
    assert report.nlines == 1


def test_a_quote_left_open_is_one_csv_error(tmp_path: Path) -> None:
    from validator.files import csv as csv_file

    path = tmp_path / "eval.csv"
    path.write_text('prompt,answer\n"' + "a\n" * 200 + "b,c\n")
    original = csv_file.FIELD_CHARS
    try:
        csv_file.FIELD_CHARS = 100
        report = validate_file(path, "eval")
    finally:
        csv_file.FIELD_CHARS = original
    assert [i.code for i in report.issues] == ["csv-invalid"]
    assert "a quote that is never closed" in report.issues[0].message


@pytest.mark.parametrize(("name", "chunk"), [("s.jsonl", _LINE * 4096),
                                             ("s.parquet", b"\0" * 65536)])
def test_stats_of_an_endless_stream_stop_at_max_file_size(name: str, chunk: bytes) -> None:
    from validator.errors import FtdataError
    from validator.stats.dataset import profile_stream

    stream = Endless(chunk)
    with pytest.raises(FtdataError, match=r"max-file-size"):
        profile_stream(cast(BinaryIO, stream), name, config=Config(max_file_bytes=2**20))
    assert stream.given <= 2 * 2**20


def test_stats_of_a_huge_csv_field_stop_at_max_line_size(tmp_path: Path) -> None:
    from validator.errors import FtdataError
    from validator.stats.dataset import profile_file

    path = tmp_path / "eval.csv"
    path.write_bytes(b'prompt,answer\n"' + b"a" * 2**21 + b'",b\n')
    with pytest.raises(FtdataError, match=r"line 2 is over 1,048,576 bytes"):
        profile_file(path, "eval", config=Config(max_line_bytes=2**20))
