"""The local server's own limits, over real HTTP on loopback: request framing it cannot trust is
a 400 before any body is read, the request log is bounded, and a presigned URL takes one PUT."""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.uploader.conftest import KEY
from uploader.server import LocalServer
from uploader.server.journal import Journal

AUTH = {"Authorization": f"Bearer {KEY}"}
CHECKSUM = hashlib.sha256(b"x").hexdigest()


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` as it is; the answer's head (the server must not wait for more)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


FRAMINGS = {
    "negative": b"Content-Length: -1\r\n",
    "minus-zero": b"Content-Length: -0\r\n",
    "plus": b"Content-Length: +5\r\n",
    "hex": b"Content-Length: 0x10\r\n",
    "words": b"Content-Length: lots\r\n",
    "conflicting-lines": b"Content-Length: 5\r\nContent-Length: 7\r\n",
    "conflicting-list": b"Content-Length: 5, 7\r\n",
    "negative-second": b"Content-Length: 5\r\nContent-Length: -1\r\n",
    "chunked-second": b"Content-Length: 5\r\nTransfer-Encoding: identity\r\n"
                      b"Transfer-Encoding: chunked\r\n",
}


@pytest.mark.parametrize("name", sorted(FRAMINGS))
@pytest.mark.parametrize("listener", ["api", "storage"])
def test_untrusted_framing_is_refused_before_any_body(server: LocalServer, name: str,
                                                      listener: str) -> None:
    if listener == "api":
        port, target = _port(server.base_url), b"/v1/files/multipart/initiate"
    else:
        port, target = _port(server.storage_url), b"/storage/file-0?X-Amz-Signature=x"
    method, auth = (b"POST", f"Authorization: Bearer {KEY}\r\n".encode()) \
        if listener == "api" else (b"PUT", b"")
    head = method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth \
        + FRAMINGS[name] + b"\r\n"
    answer = _raw(port, head)  # headers only: a server that reads a body waits, and times out
    assert _status(answer) in ((411,) if name == "chunked-second" else (400,)), answer
    assert b"Connection: close" in answer


def test_identical_content_lengths_are_one(server: LocalServer) -> None:
    answer = _raw(_port(server.base_url), b"POST /v1/files/multipart/initiate HTTP/1.1\r\n"
                  b"Host: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n"
                  b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
    assert _status(answer) == 400 and b"close" not in answer  # the fields, not the framing


def test_a_storage_put_over_5_gib_is_refused_before_its_body(server: LocalServer) -> None:
    created = requests.post(f"{server.base_url}/files", headers=AUTH, allow_redirects=False,
                            timeout=5, data={"purpose": "fine-tune", "file_name": "d.jsonl",
                                             "file_type": "jsonl", "checksum": CHECKSUM})
    url = urlsplit(created.headers["Location"])
    answer = _raw(_port(server.storage_url), f"PUT {url.path}?{url.query} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1\r\nContent-Length: {6 * 2**30}\r\n\r\n".encode())
    assert _status(answer) == 413


def test_the_request_log_is_bounded_by_count() -> None:
    with LocalServer(api_key=KEY, journal_records=50) as server:
        conn = http.client.HTTPConnection("127.0.0.1", _port(server.base_url), timeout=5)
        for _ in range(200):
            conn.request("GET", "/v1/files")  # no key: refused, and still logged
            conn.getresponse().read()
        conn.close()
        kept = server.requests()
        assert len(kept) == 50
        assert [r.seq for r in kept] == list(range(151, 201))  # the newest, counted right
        assert {r.status for r in kept} == {401}


def test_the_request_log_is_bounded_by_size() -> None:
    with LocalServer(api_key=KEY, journal_bytes=256 << 10) as server:
        conn = http.client.HTTPConnection("127.0.0.1", _port(server.base_url), timeout=5)
        for _ in range(40):
            conn.request("GET", "/v1/files", headers={"X-Padding": "p" * (40 << 10)})
            conn.getresponse().read()
        conn.close()
        kept = server.requests()
        assert 1 <= len(kept) <= 6
        assert kept[-1].seq == 40
    assert Journal().max_records <= 10_000 and Journal().max_bytes <= 64 << 20


def _start_put(url: str, body: bytes, headers: str = "") -> socket.socket:
    """A PUT of ``body`` to ``url`` whose last byte is held back: in use, not done."""
    parts = urlsplit(url)
    assert parts.port is not None
    sock = socket.create_connection(("127.0.0.1", parts.port), timeout=5)
    sock.sendall(f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:-1])
    return sock


def _finish_put(sock: socket.socket, body: bytes) -> int:
    with sock:
        sock.sendall(body[-1:])
        return _status(sock.recv(65536))


def _wait_for(path: Path) -> None:
    for _ in range(500):
        if path.exists():
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


def test_a_presigned_url_takes_one_put(server: LocalServer) -> None:
    first, other = b'{"text": "first"}\n', b'{"text": "other"}\n'
    created = requests.post(f"{server.base_url}/files", headers=AUTH, allow_redirects=False,
                            timeout=5, data={"purpose": "fine-tune", "file_name": "d.jsonl",
                                             "file_type": "jsonl",
                                             "checksum": hashlib.sha256(first).hexdigest()})
    url, file_id = created.headers["Location"], created.headers["X-Together-File-Id"]
    held = _start_put(url, first)
    _wait_for(server.file(file_id).path)
    during = requests.put(url, data=other, timeout=5)
    assert during.status_code == 409
    assert "already" in during.json()["error"]["message"]
    assert _finish_put(held, first) == 200
    after = requests.put(url, data=other, timeout=5)
    assert after.status_code == 409
    assert server.file(file_id).sha256 == hashlib.sha256(first).hexdigest()
    content = requests.get(f"{server.base_url}/files/{file_id}/content", headers=AUTH, timeout=5)
    assert content.content == first


def test_a_part_url_takes_one_put_and_complete_waits_for_none(server: LocalServer) -> None:
    first, other = b"a" * 10, b"b" * 10
    doc = requests.post(f"{server.base_url}/files/multipart/initiate", headers=AUTH, timeout=5,
                        json={"file_name": "d.jsonl", "file_size": 10, "num_parts": 1,
                              "purpose": "fine-tune", "file_type": "jsonl",
                              "checksum": hashlib.sha256(first).hexdigest()}).json()
    part = doc["parts"][0]
    signed = "".join(f"{k}: {v}\r\n" for k, v in part["Headers"].items())
    held = _start_put(part["URL"], first, signed)
    _wait_for(server.store.root / f"{doc['upload_id']}.1.part")
    assert requests.put(part["URL"], data=other, headers=part["Headers"],
                        timeout=5).status_code == 409
    finish = {"upload_id": doc["upload_id"], "file_id": doc["file_id"],
              "parts": [{"part_number": 1, "etag": hashlib.md5(first).hexdigest()}]}
    early = requests.post(f"{server.base_url}/files/multipart/complete", headers=AUTH,
                          json=finish, timeout=5)
    assert early.status_code == 409
    assert _finish_put(held, first) == 200
    assert requests.put(part["URL"], data=other, headers=part["Headers"],
                        timeout=5).status_code == 409
    done = requests.post(f"{server.base_url}/files/multipart/complete", headers=AUTH,
                         json=finish, timeout=5)
    assert done.status_code == 200
    assert server.file(doc["file_id"]).sha256 == hashlib.sha256(first).hexdigest()
