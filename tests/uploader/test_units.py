"""The pieces without a network: the retry policy, part planning, polling, request bodies and
error shapes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests
from urllib3.response import HTTPResponse

from uploader import ProcessingTimeout
from uploader.api import conflict_file_id
from uploader.body import FileRange, LockstepHasher, Snapshot
from uploader.errors import FileChangedError, UploadError, strip_query
from uploader.multipart import plan_parts
from uploader.poll import PollPolicy, wait_processed
from uploader.protocol import MAX_PARTS, PART_MIN_BYTES, unwrap_file
from uploader.session import RETRY_METHODS, retry_policy
from validator.errors import UsageError

MIB = 2**20


def test_the_policy_retries_429_and_5xx_for_every_method() -> None:
    policy = retry_policy()
    for method in ("GET", "PUT", "POST", "DELETE"):
        for status in (429, 500, 502, 503, 504):
            assert policy.is_retry(method, status), (method, status)
        for status in (400, 401, 403, 404, 409, 501):
            assert not policy.is_retry(method, status), (method, status)
    assert "POST" in RETRY_METHODS and "PATCH" not in RETRY_METHODS
    assert policy.raise_on_status is False and policy.other == 0


def test_backoff_is_exponential_with_jitter_and_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = retry_policy(retries=20, backoff=0.5, backoff_max=4.0, jitter=0.25)
    monkeypatch.setattr("random.random", lambda: 1.0)  # the most jitter there can be
    waits = []
    for _ in range(8):
        policy = policy.increment("GET", "/x", error=None,
                                  response=HTTPResponse(status=503))
        waits.append(policy.get_backoff_time())
    assert waits[:5] == [0, 1.25, 2.25, 4.0, 4.0]  # 0.5 * 2**(n-1) + 0.25, at most 4
    monkeypatch.setattr("random.random", lambda: 0.0)
    assert policy.get_backoff_time() == 4.0


def test_retry_after_is_honoured_up_to_a_cap() -> None:
    policy = retry_policy(retry_after_max=60)
    assert policy.parse_retry_after("3") == 3
    assert policy.parse_retry_after("86400") == 60
    answer = HTTPResponse(status=429, headers={"Retry-After": "7"})
    assert policy.get_retry_after(answer) == 7


def test_parts_are_cut_at_the_part_size() -> None:
    parts = plan_parts(12 * MIB + 7, 5 * MIB)
    assert [(p.number, p.offset, p.length) for p in parts] == [
        (1, 0, 5 * MIB), (2, 5 * MIB, 5 * MIB), (3, 10 * MIB, 2 * MIB + 7)]


def test_large_files_get_larger_parts_not_more_of_them() -> None:
    size = 100 * 2**30
    parts = plan_parts(size, 250 * MIB)
    assert len(parts) <= MAX_PARTS
    assert sum(p.length for p in parts) == size
    assert parts[0].length % MIB == 0 and parts[0].length > 250 * MIB


def test_part_size_has_a_floor() -> None:
    with pytest.raises(UsageError):
        plan_parts(100 * MIB, PART_MIN_BYTES - 1)
    with pytest.raises(UsageError):
        plan_parts(0, PART_MIN_BYTES)


class _Files:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.calls = 0

    def retrieve(self, file_id: str) -> dict[str, Any]:
        self.calls += 1
        return {"id": file_id, "processing_status": self.statuses.pop(0)}


def test_polling_backs_off_until_terminal() -> None:
    files = _Files(["QUEUED", "RUNNING", "RUNNING", "RUNNING", "COMPLETED"])
    slept: list[float] = []
    doc = wait_processed(files, "file-1", PollPolicy(1.0, 2.0, 3.0, 100),  # type: ignore[arg-type]
                         sleep=slept.append, clock=lambda: sum(slept))
    assert doc["processing_status"] == "COMPLETED"
    assert slept == [1.0, 2.0, 3.0, 3.0]


def test_polling_gives_up_after_the_timeout() -> None:
    files = _Files(["RUNNING"] * 100)
    slept: list[float] = []
    with pytest.raises(ProcessingTimeout, match="still RUNNING after 5s"):
        wait_processed(files, "file-1", PollPolicy(1.0, 1.0, 1.0, 5),  # type: ignore[arg-type]
                       sleep=slept.append, clock=lambda: sum(slept))
    assert len(slept) == 5


def test_a_file_without_a_pipeline_is_not_waited_for() -> None:
    doc = wait_processed(None, "file-1", PollPolicy(), first={"id": "file-1"})  # type: ignore[arg-type]
    assert doc == {"id": "file-1"}


def test_file_range_rewinds_for_retries_without_counting_twice(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 100)
    counted: list[int] = []
    with FileRange(str(path), 1000, 5000, on_read=counted.append, hash_it=True) as body:
        assert len(body) == 5000 and body.tell() == 0
        assert requests.Request("PUT", "http://x/", data=body).prepare() \
            .headers["Content-Length"] == "5000"
        first = body.read(3000)
        body.seek(0)  # what urllib3 does before a retry
        assert body.sha256 is None  # a partial pass is no hash
        again = body.read(-1)
        assert body.read(10) == b""
    assert again[:3000] == first and again == path.read_bytes()[1000:6000]
    assert sum(counted) == 5000
    assert body.sha256 == hashlib.sha256(again).hexdigest()


def test_file_range_refuses_a_shrunk_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    with FileRange(str(path), 0, 200) as body, pytest.raises(FileChangedError, match="shrank"):
        body.read(200)


def test_lockstep_hasher_follows_and_finishes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    with LockstepHasher(str(path)) as hasher:
        hasher.advance(10)
        hasher.advance(2000)
        assert hasher.done == 2000
        assert hasher.finish() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_snapshot_notices_size_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"{}\n")
    snap = Snapshot.take(str(path))
    snap.check("now")
    path.write_bytes(b"{}\n{}\n")
    with pytest.raises(FileChangedError, match="size changed now"):
        snap.check("now")
    path.unlink()
    with pytest.raises(FileChangedError, match="no such file"):
        snap.check("now")


def test_error_urls_lose_their_query_and_user_info() -> None:
    url = "https://user:pw@bucket.example/a/b?X-Amz-Signature=secret#frag"
    assert strip_query(url) == "https://bucket.example/a/b"
    err = UploadError("PUT failed", status=503, url=url, server_message="slow down")
    assert str(err) == "PUT failed: HTTP 503 from https://bucket.example/a/b: slow down"
    assert "secret" not in repr(err)


def _response(status: int, body: bytes, headers: dict[str, str] | None = None
              ) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = status, body
    resp.headers.update(headers or {})
    return resp


def test_the_file_id_of_a_409_is_found_where_servers_put_it() -> None:
    assert conflict_file_id(_response(409, b"", {"X-Together-File-Id": "file-h"})) == "file-h"
    assert conflict_file_id(_response(409, b'{"file_id": "file-a"}')) == "file-a"
    assert conflict_file_id(_response(409, b'{"error": {"file_id": "file-b"}}')) == "file-b"
    assert conflict_file_id(_response(409, b'{"id": "file-c"}')) == "file-c"
    assert conflict_file_id(_response(409, b"conflict")) is None


def test_complete_answers_are_unwrapped() -> None:
    assert unwrap_file({"file": {"id": "f"}}) == {"id": "f"}
    assert unwrap_file({"id": "f"}) == {"id": "f"}
