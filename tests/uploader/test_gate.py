"""The gate: nothing leaves the machine for an invalid file, and a file that changes between
validation and the end of its upload is refused and never processed."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tests.uploader.conftest import CHAT, MULTIPART, Upload
from uploader import FileChangedError, MissingApiKey, ValidationFailed, upload
from uploader.server import LocalServer
from validator.errors import FileAccessError, UsageError

LINE = orjson.dumps(CHAT) + b"\n"


def test_an_invalid_file_sends_no_request(server: LocalServer, send: Upload,
                                          invalid: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        send(invalid)
    report = caught.value.report
    assert not report.valid and "role-invalid" in report.by_code
    assert "Line 2: 'bot' is not a role here" in str(caught.value)
    assert server.requests() == []


def test_an_invalid_file_for_its_purpose_sends_nothing(server: LocalServer, send: Upload,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "eval.csv"
    path.write_text("question,answer\n1+1,2\n")
    with pytest.raises(ValidationFailed):
        send(path)  # CSV is for purpose eval only
    assert server.requests() == []


@pytest.mark.parametrize(("options", "message"), [
    ({"part_size": 2**20}, "under the minimum of 5 MiB"),
    ({"multipart_threshold": 6 * 2**30}, "between 0 and 5 GiB"),
    ({"purpose": "chat"}, "unknown purpose"),
    ({"concurrency": 0}, "at least 1"),
])
def test_bad_options_send_nothing(server: LocalServer, send: Upload, small: Path,
                                  options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        send(small, **options)
    assert server.requests() == []


@pytest.mark.parametrize("check", [True, False])
@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_compressed_bytes_under_a_plain_name_are_refused(server: LocalServer, send: Upload,
                                                         tmp_path: Path, kind: str,
                                                         check: bool) -> None:
    """The validator reads them decompressed (valid), but the upload would send the
    compressed bytes, which the server cannot read."""
    import gzip

    import zstandard

    path = tmp_path / "train.jsonl"
    path.write_bytes(gzip.compress(LINE) if kind == "gzip"
                     else zstandard.ZstdCompressor().compress(LINE))
    with pytest.raises(UsageError, match=f"holds {kind}-compressed bytes under a plain name"):
        send(path, check=check)
    assert server.requests() == []


@pytest.mark.parametrize("name", ["notes.txt", "train.jsonl.gz", "train.jsonl.zst"])
def test_other_file_types_are_refused_even_unchecked(server: LocalServer, send: Upload,
                                                     tmp_path: Path, name: str) -> None:
    """The validator reads compressed JSONL; the server takes only the raw three types."""
    path = tmp_path / name
    path.write_bytes(LINE)
    with pytest.raises(UsageError, match="cannot upload this file type"):
        send(path, check=False)
    assert server.requests() == []


def test_a_missing_file_is_a_file_access_error(server: LocalServer, send: Upload,
                                               tmp_path: Path) -> None:
    with pytest.raises(FileAccessError):
        send(tmp_path / "gone.jsonl")
    assert server.requests() == []


def test_a_missing_key_fails_before_validation(monkeypatch: pytest.MonkeyPatch,
                                               small: Path) -> None:
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    with pytest.raises(MissingApiKey, match="TOGETHER_API_KEY"):
        upload(small)


def test_a_file_changed_after_validation_is_refused(server: LocalServer, send: Upload,
                                                    big: Path) -> None:
    def grow(phase: str, done: int, total: int) -> None:
        if phase == "validate" and done == total:
            with big.open("ab") as f:
                f.write(LINE)  # a valid sample, so only the change itself is wrong

    with pytest.raises(FileChangedError, match="after it was validated"):
        send(big, progress=grow)
    assert server.requests() == []


def _once(action: object) -> object:
    done = False

    def progress(phase: str, sent: int, total: int) -> None:
        nonlocal done
        if phase == "upload" and not done:
            done = True
            action()  # type: ignore[operator]

    return progress


def test_a_file_growing_during_a_single_upload_is_refused(server: LocalServer, send: Upload,
                                                          big: Path) -> None:
    def grow() -> None:
        with big.open("ab") as f:
            f.write(LINE)

    with pytest.raises(FileChangedError, match="while it was being uploaded"):
        send(big, progress=_once(grow))
    assert server.requests("preprocess") == []
    assert [r.status for r in server.requests("delete")] == [200]
    assert server.store.files == {}


def test_same_size_and_mtime_but_other_bytes_is_caught_by_the_hash(
        server: LocalServer, send: Upload, big: Path) -> None:
    """The bytes sent are hashed: a change that keeps size and mtime is still caught."""
    before = big.stat()

    def rewrite_tail() -> None:
        with big.open("r+b") as f:
            f.seek(-200, os.SEEK_END)
            f.write(b" " * 199 + b"\n")
        os.utime(big, ns=(before.st_atime_ns, before.st_mtime_ns))

    with pytest.raises(FileChangedError, match="do not match the checksum"):
        send(big, progress=_once(rewrite_tail))
    assert big.stat().st_mtime_ns == before.st_mtime_ns
    assert server.requests("preprocess") == []
    assert server.store.files == {}


def test_a_file_shrinking_during_an_upload_is_refused_without_hanging(
        server: LocalServer, send: Upload, big: Path) -> None:
    def shrink() -> None:
        os.truncate(big, 2**20)

    with pytest.raises(FileChangedError, match="shrank"):
        send(big, progress=_once(shrink))
    assert server.requests("preprocess") == []
    assert server.store.files == {}


def test_a_file_changing_during_a_multipart_upload_is_aborted(
        server: LocalServer, send: Upload, big: Path) -> None:
    def grow() -> None:
        with big.open("ab") as f:
            f.write(LINE)

    with pytest.raises(FileChangedError):
        send(big, **MULTIPART, progress=_once(grow))
    assert server.requests("complete") == []
    assert [r.status for r in server.requests("abort")] == [200]
    assert server.store.files == {}
