"""What goes on the wire for ``POST /files`` and multipart uploads: the uploader sends the
documented multipart/form-data; the local server takes what real clients send (SDK 3.x's
multipart, SDK 1.x's form-urlencoded without a checksum) and answers anything malformed with a
400 in the API's error shape; multipart initiate is retried only when it surely was not sent;
and a multipart upload completes only when the bytes it sent match its checksum."""

from __future__ import annotations

import hashlib
import os
import random
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.uploader.conftest import FAST_POLL, FAST_RETRY, KEY, MULTIPART, Upload, wait_status
from uploader import FileChangedError, FilesClient, upload
from uploader.multipart import Part, _SentHash
from uploader.server import LocalServer
from uploader.session import BearerAuth, connect_only, make_session, retry_policy

AUTH = {"Authorization": f"Bearer {KEY}"}
DATA = b'{"text": "hello"}\n'
FIELDS = {"purpose": "fine-tune", "file_name": "d.jsonl", "file_type": "jsonl",
          "checksum": hashlib.sha256(DATA).hexdigest()}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _post(http: requests.Session, server: LocalServer, headers: Mapping[str, str] = {},
          **kwargs: Any) -> requests.Response:
    return http.post(f"{server.base_url}/files", headers=AUTH | dict(headers),
                     allow_redirects=False, timeout=5, **kwargs)


def _multipart_body(fields: dict[str, str], boundary: str = "b0undary") -> bytes:
    return b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                    .encode() for k, v in fields.items()) + f"--{boundary}--\r\n".encode()


def _finish(http: requests.Session, server: LocalServer, created: Any,
            data: bytes = DATA) -> str:
    """PUT ``data`` where ``created`` (a requests or httpx answer) points, preprocess, wait:
    the final status."""
    assert created.status_code == 302, created.text
    assert http.put(created.headers["Location"], data=data, timeout=5).status_code == 200
    file_id = created.headers["X-Together-File-Id"]
    assert http.post(f"{server.base_url}/files/{file_id}/preprocess", headers=AUTH,
                     timeout=5).status_code == 200
    return wait_status(server, file_id)


# -- the uploader's request ------------------------------------------------------------------

def test_the_uploader_sends_post_files_as_multipart_form_data(
        server: LocalServer, send: Upload, small: Path) -> None:
    result = send(small)
    (create,) = server.requests("create")
    assert create.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    stored = server.file(result.file_id)
    assert (stored.filename, stored.purpose, stored.file_type) == ("small.jsonl", "fine-tune",
                                                                   "jsonl")
    assert stored.checksum == hashlib.sha256(small.read_bytes()).hexdigest() == stored.sha256
    assert result.status == "COMPLETED"


def test_the_uploader_still_takes_a_409_for_an_identical_file(
        server: LocalServer, send: Upload, small: Path) -> None:
    first = send(small)
    again = send(small)
    assert again.reused and again.file_id == first.file_id
    assert [r.status for r in server.requests("create")] == [302, 409]


# -- what the server accepts -------------------------------------------------------------------

def test_multipart_form_data_as_sdk_3_sends_it(server: LocalServer,
                                               http: requests.Session) -> None:
    httpx = pytest.importorskip("httpx")
    with httpx.Client(headers=AUTH, follow_redirects=False, timeout=5) as sdk:
        # SDK 3.x: the fields as files without a filename, httpx writes the boundary
        created = sdk.post(f"{server.base_url}/files",
                           files={k: (None, v) for k, v in FIELDS.items()})
        assert created.request.headers["Content-Type"].startswith(
            "multipart/form-data; boundary=")
    assert _finish(http, server, created) == "COMPLETED"


def test_form_urlencoded_without_a_checksum_as_sdk_1_sends_it(
        server: LocalServer, http: requests.Session) -> None:
    fields = {k: v for k, v in FIELDS.items() if k != "checksum"}
    created = _post(http, server, data=fields)
    assert _finish(http, server, created) == "COMPLETED"
    stored = server.file(created.headers["X-Together-File-Id"])
    assert stored.checksum is None
    assert stored.sha256 == FIELDS["checksum"]  # what arrived is still hashed
    again = _post(http, server, data=fields)  # no checksum: nothing to call it identical by
    assert again.status_code == 302
    assert again.headers["X-Together-File-Id"] != stored.id


def test_without_a_checksum_any_bytes_are_taken(server: LocalServer,
                                                http: requests.Session) -> None:
    fields = {k: v for k, v in FIELDS.items() if k != "checksum"} | {"checksum": ""}
    created = _post(http, server, files={k: (None, v) for k, v in fields.items()})
    assert _finish(http, server, created, b'{"text": "other"}\n') == "COMPLETED"


def test_a_declared_checksum_is_still_checked(server: LocalServer,
                                              http: requests.Session) -> None:
    created = _post(http, server, files={k: (None, v) for k, v in FIELDS.items()})
    assert _finish(http, server, created, b'{"text": "other"}\n') == "FAILED"


def test_a_409_names_the_file_where_both_sdks_look(server: LocalServer,
                                                   http: requests.Session) -> None:
    _finish(http, server, _post(http, server, data=FIELDS))
    conflict = _post(http, server, files={k: (None, v) for k, v in FIELDS.items()})
    assert conflict.status_code == 409
    doc = conflict.json()
    assert doc["file_id"] == doc["error"]["file_id"] == conflict.headers["X-Together-File-Id"]
    assert doc["error"]["type"] == "file_exists"


# -- malformed bodies: a 400 in the API's shape, and the server carries on --------------------

def _bad(name: str, body: bytes, content_type: str | None) -> object:
    return pytest.param(body, content_type, id=name)


MP = "multipart/form-data; boundary=b0undary"
MALFORMED = [
    _bad("no-boundary", _multipart_body(FIELDS), "multipart/form-data"),
    _bad("other-boundary", _multipart_body(FIELDS, "elsewhere"), MP),
    _bad("truncated", _multipart_body(FIELDS)[:-40], MP),
    _bad("no-disposition", b"--b0undary\r\nX-Other: 1\r\n\r\nfine-tune\r\n--b0undary--\r\n", MP),
    _bad("no-name", b"--b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b0undary--\r\n",
         MP),
    _bad("nested", b"--b0undary\r\nContent-Disposition: form-data; name=\"purpose\"\r\n"
         b"Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n"
         b"--b0undary--\r\n", MP),
    _bad("too-many-parts", _multipart_body({f"f{i}": "x" for i in range(40)}), MP),
    _bad("too-many-fields", "&".join(f"f{i}=x" for i in range(40)).encode(),
         "application/x-www-form-urlencoded"),
    _bad("garbage", os.urandom(2048), MP),
    _bad("json", orjson.dumps(FIELDS), "application/json"),
    _bad("text", b"purpose=fine-tune", "text/plain"),
    _bad("bad-checksum", _multipart_body(FIELDS | {"checksum": "abc"}), MP),
    _bad("bad-purpose", _multipart_body(FIELDS | {"purpose": "chat"}), MP),
    _bad("empty", b"", MP),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_a_malformed_create_is_a_400(server: LocalServer, http: requests.Session, body: bytes,
                                     content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    resp = _post(http, server, data=body, headers=headers)
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] == "invalid_request_error"
    assert server.store.files == {}
    assert http.get(f"{server.base_url}/files", headers=AUTH, timeout=5).status_code == 200


def test_mangled_multipart_bodies_are_answered_never_crash(
        server: LocalServer, http: requests.Session) -> None:
    """Random damage to a valid body: each answer is a 302 or a JSON 400, none a dropped
    connection (what an exception in the handler would be)."""
    rng = random.Random(14)
    valid = _multipart_body(FIELDS)
    for _ in range(60):
        body = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(body))
            if rng.random() < 0.5:
                body[at] = rng.choice(b'\r\n-"=;: \x00\xff' + bytes(range(65, 91)))
            else:
                del body[at:at + rng.randint(1, 12)]
        resp = _post(http, server, data=bytes(body), headers={"Content-Type": MP})
        assert resp.status_code in (302, 400), resp.text
        if resp.status_code == 400:
            assert resp.json()["error"]["type"] == "invalid_request_error"


def test_a_body_too_large_is_a_413(server: LocalServer, http: requests.Session) -> None:
    resp = _post(http, server, data=b"x" * (65 << 10),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 413
    assert resp.json()["error"]["type"] == "invalid_request_error"


def _raw(server: LocalServer, head: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), orjson.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(("framing", "status"), [
    ("Content-Length: lots\n", 400),
    ("Content-Length: -5\n", 400),
    ("Transfer-Encoding: chunked\n", 411),
])
def test_a_body_of_unknown_length_is_refused(server: LocalServer, framing: str,
                                             status: int) -> None:
    got, doc = _raw(server, f"POST /v1/files HTTP/1.1\nHost: x\nAuthorization: Bearer {KEY}\n"
                            f"Content-Type: application/x-www-form-urlencoded\n{framing}\n",
                    b"5\r\npurpo\r\n0\r\n\r\n")
    assert got == status
    assert set(doc["error"]) >= {"message", "type"}


def test_one_shot_uses_the_same_parser(server: LocalServer, http: requests.Session) -> None:
    url = f"{server.base_url}/files/upload"
    fields = {"purpose": "fine-tune", "file_name": "d.jsonl"}
    done = http.post(url, headers=AUTH, timeout=5, data=fields,
                     files={"file": ("d.jsonl", DATA)})
    assert done.status_code == 200 and done.json()["processing_status"] == "COMPLETED"
    for kwargs in ({"data": fields}, {"files": {k: (None, v) for k, v in fields.items()}}):
        resp = http.post(url, headers=AUTH, timeout=5, **kwargs)
        assert resp.status_code == 400, resp.text  # no file: form-urlencoded, or no file part
        assert resp.json()["error"]["type"] == "invalid_request_error"


# -- multipart: initiate's retry policy, and the hash of the bytes sent ------------------------

def test_initiate_gets_a_policy_that_retries_only_connecting() -> None:
    policy = connect_only(retry_policy(retries=4))
    assert (policy.connect, policy.read, policy.status, policy.other) == (4, 0, 0, 0)
    for status in (429, 500, 502, 503):
        assert not policy.is_retry("POST", status, has_retry_after=True)
    base = "https://api.together.ai/v1"

    def reads(url: str) -> int | bool | None:
        adapter = session.get_adapter(url)
        assert isinstance(adapter, HTTPAdapter)
        return adapter.max_retries.read

    with make_session(BearerAuth(KEY, base)) as session:
        for path in ("/files/multipart/complete", "/files", "/files/multipart/abort"):
            assert reads(base + path) == 5
        assert reads(base + "/files/multipart/initiate") == 0
        assert reads("https://storage.example/files/multipart/initiate") == 5


def test_bytes_changed_during_a_multipart_upload_abort_it(server: LocalServer, send: Upload,
                                                          big: Path) -> None:
    """Same size and mtime, other bytes in the last part: only the hash of what was sent can
    tell, and the upload is aborted rather than completed."""
    before = big.stat()
    changed = False

    def rewrite_tail(phase: str, sent: int, total: int) -> None:
        nonlocal changed
        if phase == "upload" and not changed:
            changed = True
            with big.open("r+b") as f:
                f.seek(-200, os.SEEK_END)
                f.write(b" " * 199 + b"\n")
            os.utime(big, ns=(before.st_atime_ns, before.st_mtime_ns))

    with pytest.raises(FileChangedError, match="do not match the checksum"):
        send(big, **MULTIPART, progress=rewrite_tail)
    assert big.stat().st_mtime_ns == before.st_mtime_ns
    assert len(server.requests("part")) == 3
    assert server.requests("complete") == []
    assert [r.status for r in server.requests("abort")] == [200]
    assert server.store.files == {}


def test_a_multipart_upload_checks_each_part_against_what_was_sent(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"a" * 10 + b"b" * 10)
    parts = [Part(1, 0, 10), Part(2, 10, 10)]
    ok = _SentHash(str(path), parts)
    ok.add(2, hashlib.sha256(b"b" * 10).hexdigest())
    assert ok.hexdigest() is None  # part 1 is not in yet
    ok.add(1, hashlib.sha256(b"a" * 10).hexdigest())
    assert ok.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    changed = _SentHash(str(path), parts)
    with pytest.raises(FileChangedError, match="part 1 was sent with other bytes"):
        changed.add(1, hashlib.sha256(b"c" * 10).hexdigest())  # the file changed since
    partial = _SentHash(str(path), parts)
    with pytest.raises(FileChangedError):
        partial.add(1, None)  # not one full pass of the part's bytes


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_the_base_url_with_or_without_v1_reaches_the_api(server: LocalServer, small: Path,
                                                         suffix: str) -> None:
    """together SDK 3.x reads TOGETHER_BASE_URL as the host alone, 1.x and ftdata as the API
    root with /v1: one setting serves all three."""
    root = server.base_url.removesuffix("/v1")
    with FilesClient(KEY, root + suffix, retry=FAST_RETRY) as client:
        result = upload(small, client=client, poll=FAST_POLL)
    assert result.status == "COMPLETED"
    assert server.requests()[0].path == "/v1/files"
