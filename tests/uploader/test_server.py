"""The local Files API on its own, spoken to with plain requests: auth, endpoints, idempotency,
server-side validation and the fault plan."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.uploader.conftest import BAD, CHAT, KEY, Upload, wait_status, write_jsonl
from uploader.server import Fault, LocalServer
from validator import validate_file
from validator.errors import UsageError

AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _create(http: requests.Session, server: LocalServer, data: bytes,
            purpose: str = "fine-tune") -> requests.Response:
    return http.post(f"{server.base_url}/files", headers=AUTH, allow_redirects=False, timeout=5,
                     data={"purpose": purpose, "file_name": "d.jsonl", "file_type": "jsonl",
                           "checksum": hashlib.sha256(data).hexdigest()})




@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": KEY}])
def test_the_api_needs_the_bearer_key(server: LocalServer, http: requests.Session,
                                      headers: dict[str, str]) -> None:
    resp = http.get(f"{server.base_url}/files", headers=headers, timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_error"


def test_it_listens_on_loopback_only() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):
        with pytest.raises(UsageError, match="loopback"):
            LocalServer(host)


def test_ipv6_loopback() -> None:
    try:
        server = LocalServer("::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        assert server.base_url.startswith("http://[::1]:")


def test_a_repeated_create_before_the_put_gets_the_same_file(server: LocalServer,
                                                             http: requests.Session) -> None:
    first, again = _create(http, server, b"x"), _create(http, server, b"x")
    assert first.status_code == again.status_code == 302
    assert first.headers["X-Together-File-Id"] == again.headers["X-Together-File-Id"]


def test_bytes_that_do_not_match_the_checksum_fail(server: LocalServer,
                                                   http: requests.Session) -> None:
    data = b'{"text": "hi"}\n'
    created = _create(http, server, b"something else")
    assert http.put(created.headers["Location"], data=data, timeout=5).status_code == 200
    file_id = created.headers["X-Together-File-Id"]
    assert http.post(f"{server.base_url}/files/{file_id}/preprocess", headers=AUTH,
                     timeout=5).status_code == 200
    assert wait_status(server, file_id) == "FAILED"


def test_storage_refuses_a_bad_signature_and_any_authorization(
        server: LocalServer, http: requests.Session) -> None:
    created = _create(http, server, b"x")
    url = created.headers["Location"]
    assert http.put(url.split("?")[0] + "?X-Amz-Signature=forged", data=b"x",
                    timeout=5).status_code == 403
    refused = http.put(url, data=b"x", headers=AUTH, timeout=5)
    assert refused.status_code == 400
    assert "only one auth mechanism" in refused.json()["error"]["message"]


def test_preprocess_before_the_put_is_refused(server: LocalServer,
                                              http: requests.Session) -> None:
    file_id = _create(http, server, b"x").headers["X-Together-File-Id"]
    resp = http.post(f"{server.base_url}/files/{file_id}/preprocess", headers=AUTH, timeout=5)
    assert resp.status_code == 400


def test_create_names_the_bad_field(server: LocalServer, http: requests.Session) -> None:
    resp = http.post(f"{server.base_url}/files", headers=AUTH, allow_redirects=False,
                     data={"purpose": "chat"}, timeout=5)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "purpose"


def test_one_shot_upload_answers_with_the_verdict(server: LocalServer, http: requests.Session,
                                                  tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", CHAT, BAD)
    resp = http.post(f"{server.base_url}/files/upload", headers=AUTH, timeout=5,
                     data={"purpose": "fine-tune", "file_name": "bad.jsonl"},
                     files={"file": ("bad.jsonl", path.read_bytes())})
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["processing_status"] == "INVALID_FORMAT"
    expected = validate_file(path).to_server_dict() | {"file_id": doc["id"]}
    assert doc["validation_report"] == expected
    again = http.post(f"{server.base_url}/files/upload", headers=AUTH, timeout=5,
                      data={"purpose": "fine-tune", "file_name": "bad.jsonl"},
                      files={"file": ("bad.jsonl", path.read_bytes())})
    assert again.status_code == 409 and again.json()["error"]["file_id"] == doc["id"]


def test_content_and_delete(server: LocalServer, http: requests.Session, send: Upload,
                            small: Path) -> None:
    file_id = send(small).file_id
    content = http.get(f"{server.base_url}/files/{file_id}/content", headers=AUTH, timeout=5)
    assert content.content == small.read_bytes()
    deleted = http.delete(f"{server.base_url}/files/{file_id}", headers=AUTH, timeout=5)
    assert deleted.json() == {"id": file_id, "object": "file", "deleted": True}
    assert http.get(f"{server.base_url}/files/{file_id}", headers=AUTH,
                    timeout=5).status_code == 404


def test_the_file_object_has_the_apis_keys(send: Upload, small: Path) -> None:
    doc = send(small).file
    assert {"id", "object", "created_at", "filename", "bytes", "purpose", "Processed",
            "FileType", "processing_status", "validation_report"} <= set(doc)
    assert (doc["object"], doc["Processed"], doc["FileType"]) == ("file", True, "jsonl")


def test_processing_walks_through_every_state(send: Upload, server: LocalServer,
                                              small: Path) -> None:
    server.store.step_delay = 0.05
    result = send(small)
    assert server.file(result.file_id).history == ["PENDING", "QUEUED", "RUNNING", "COMPLETED"]
    assert len(server.requests("get")) > 1  # the client polled while it ran


def test_faults_hit_the_nth_request_of_their_kind(server: LocalServer,
                                                  http: requests.Session) -> None:
    server.inject("list", 502, nth=2, times=2)
    codes = [http.get(f"{server.base_url}/files", headers=AUTH, timeout=5).status_code
             for _ in range(5)]
    assert codes == [200, 502, 502, 200, 200]
    assert [r.seq for r in server.requests("list")] == [1, 2, 3, 4, 5]
    assert Fault("get", times=None, nth=3).covers(99)
    with pytest.raises(ValueError, match="unknown request kind"):
        Fault("coffee")


def test_unknown_routes_are_404(server: LocalServer, http: requests.Session) -> None:
    resp = http.get(f"{server.base_url}/models", headers=AUTH, timeout=5)
    assert resp.status_code == 404
    assert server.requests()[-1].kind == "unknown"
