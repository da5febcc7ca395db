"""Happy paths over real HTTP: single and multipart uploads, 409 reuse, the server's verdict."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from tests.uploader.conftest import FAST_RETRY, KEY, MIB, MULTIPART, Upload, write_jsonl
from uploader import FilesClient, upload
from uploader.server import LocalServer
from validator import validate_file


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_single_upload_follows_the_protocol(server: LocalServer, send: Upload, big: Path) -> None:
    result = send(big)
    kinds = [r.kind for r in server.requests()]
    assert kinds[:3] == ["create", "put", "preprocess"]
    assert set(kinds[3:]) == {"get"}
    create = server.requests("create")[0]
    assert create.status == 302
    put = server.requests("put")[0]
    assert put.headers["Content-Length"] == str(big.stat().st_size)
    stored = server.file(result.file_id)
    assert stored.sha256 == stored.checksum == _sha(big)
    assert stored.history == ["PENDING", "QUEUED", "RUNNING", "COMPLETED"]
    assert (result.status, result.reused, result.multipart) == ("COMPLETED", False, False)
    assert result.report is not None and result.report.valid
    expected = validate_file(big).to_server_dict() | {"file_id": result.file_id}
    assert result.validation_report == expected
    assert result.file["filename"] == "big.jsonl"


def test_multipart_upload_streams_parts_and_completes(server: LocalServer, send: Upload,
                                                      big: Path) -> None:
    size = big.stat().st_size
    result = send(big, **MULTIPART)
    assert (result.status, result.multipart) == ("COMPLETED", True)
    initiate = server.requests("initiate")[0]
    assert initiate.status == 200
    parts = server.requests("part")
    assert sorted(int(p.path.rsplit("/", 1)[1]) for p in parts) == [1, 2, 3]
    assert sorted(int(p.headers["Content-Length"]) for p in parts) == sorted(
        [5 * MIB, 5 * MIB, size - 10 * MIB])
    assert all(p.headers["Content-Type"] == "application/octet-stream" for p in parts)
    assert 1 <= server.journal.peak("part") <= 4
    assert [r.status for r in server.requests("complete")] == [200]
    assert server.requests("create") == [] and server.requests("put") == []
    stored = server.file(result.file_id)
    assert stored.sha256 == _sha(big)
    assert result.validation_report is not None and result.validation_report["valid"] is True


def test_concurrency_is_bounded(server: LocalServer, send: Upload, big: Path) -> None:
    server.inject("part", None, times=None, delay=0.05)  # keep parts in flight together
    result = send(big, **MULTIPART, concurrency=2)
    assert result.status == "COMPLETED"
    assert server.journal.peak("part") == 2


def test_a_repeated_upload_reuses_the_file_409(server: LocalServer, send: Upload,
                                               small: Path) -> None:
    first = send(small)
    second = send(small)
    assert second.reused and second.file_id == first.file_id
    assert second.status == "COMPLETED"
    assert [r.status for r in server.requests("create")] == [302, 409]
    assert len(server.requests("put")) == 1


def test_multipart_409_reuses_the_file(server: LocalServer, send: Upload, big: Path) -> None:
    first = send(big, **MULTIPART)
    second = send(big, **MULTIPART)
    assert second.reused and second.file_id == first.file_id
    assert [r.status for r in server.requests("initiate")] == [200, 409]
    assert len(server.requests("part")) == 3


def test_reused_file_that_was_never_preprocessed_is_preprocessed(
        server: LocalServer, client: FilesClient, send: Upload, small: Path) -> None:
    first = send(small, wait=False)
    stored = server.file(first.file_id)
    # the first preprocess is judged in a server thread: let it end, or it would overwrite
    # the reset below with RUNNING and COMPLETED (a race that failed about one run in three)
    deadline = time.monotonic() + 10
    while stored.status not in ("COMPLETED", "INVALID_FORMAT", "FAILED"):
        assert time.monotonic() < deadline, stored.history
        time.sleep(0.002)
    assert stored.status == "COMPLETED"
    stored.status, stored.history = "PENDING", ["PENDING"]  # as if preprocess never came
    again = send(small)
    assert again.reused and again.status == "COMPLETED"
    assert len(server.requests("preprocess")) == 2


def test_invalid_format_from_the_server_is_a_result(server: LocalServer, send: Upload,
                                                    invalid: Path) -> None:
    result = send(invalid, check=False)
    assert result.status == "INVALID_FORMAT"
    assert result.report is None
    report = result.validation_report
    assert report is not None
    assert report["valid"] is False and report["error_type"] == "INVALID_FORMAT"
    assert report["error"].startswith("Line 2: 'bot' is not a role here")
    assert report["file_id"] == result.file_id


def test_no_wait_returns_before_the_verdict(small: Path) -> None:
    with LocalServer(api_key=KEY, step_delay=2.0) as slow, \
            FilesClient(KEY, slow.base_url, retry=FAST_RETRY) as client:
        result = upload(small, client=client, wait=False)
    assert result.status in ("QUEUED", "RUNNING")
    assert result.validation_report is None


def test_eval_csv_skips_server_validation(server: LocalServer, send: Upload,
                                          tmp_path: Path) -> None:
    path = tmp_path / "eval.csv"
    path.write_text("question,answer\n1+1,2\n")
    result = send(path, purpose="eval")
    assert result.status == "COMPLETED" and not result.server_validated
    assert result.validation_report is None
    assert result.file["FileType"] == "csv" and result.file["purpose"] == "eval"
    assert server.file(result.file_id).history == ["PENDING", "COMPLETED"]  # no pipeline


def test_progress_reports_validation_then_upload(send: Upload, big: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    send(big, **MULTIPART, progress=lambda *call: seen.append(call))
    phases = [phase for phase, _, _ in seen]
    assert phases.index("upload") > phases.index("validate")
    uploads = [done for phase, done, _ in seen if phase == "upload"]
    assert uploads == sorted(uploads) and uploads[-1] == big.stat().st_size


def test_check_false_hashes_with_progress(send: Upload, small: Path) -> None:
    seen: list[str] = []
    result = send(small, check=False, progress=lambda phase, done, total: seen.append(phase))
    assert result.status == "COMPLETED"
    assert seen[0] == "hash" and "validate" not in seen


def test_one_line_file(send: Upload, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", {"text": "hello"})
    result = send(path)
    assert result.validation_report is not None
    assert result.validation_report["dataset_format"] == "general"
