"""A server that drips its answer cannot hold a call (the answer deadline of uploader.deadline),
and the key never travels to a proxy over plain http (uploader.session's adapter)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.uploader.conftest import FAST_RETRY, KEY, Upload
from uploader import FilesClient, TransportError
from uploader.deadline import POOL_CLASSES, DeadlineHTTPConnection, DeadlineHTTPSConnection
from uploader.errors import SlowAnswer
from uploader.server import LocalServer
from uploader.session import BearerAuth, make_session
from validator.errors import UsageError

PROXY_VARS = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
FILES = b'{"object": "list", "data": []}'
DRIP = 0.2


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.seen: list[tuple[str, dict[str, str], tuple[str, int]]] = []
        self.stop = threading.Event()
        super().__init__(("127.0.0.1", 0), handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Records each request; ``answer`` says what to send back."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: expected here
            self.close_connection = True

    def _any(self) -> None:
        self.server.seen.append((self.requestline, dict(self.headers.items()),
                                 self.client_address))
        size = int(self.headers.get("Content-Length") or 0)
        self.read_body(size)
        self.answer()

    do_GET = do_PUT = do_POST = do_CONNECT = _any

    def read_body(self, size: int) -> None:
        while size > 0:
            size -= len(self.rfile.read(min(size, 1 << 16)))

    def answer(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(FILES), FILES))
        self.wfile.flush()


def _drip(prefix: bytes) -> type[_Handler]:
    """A handler that sends ``prefix`` at once, then one byte every DRIP seconds, forever."""
    class Drip(_Handler):
        def answer(self) -> None:
            self.wfile.write(prefix)
            self.wfile.flush()
            while not self.server.stop.is_set():
                self.wfile.write(b"x" if prefix.endswith(b"\r\n\r\n") else b"X")
                self.wfile.flush()
                time.sleep(DRIP)
    return Drip


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    started: list[_Server] = []

    def start(handler: type[_Handler], tls: ssl.SSLContext | None = None) -> _Server:
        srv = _Server(handler)
        if tls is not None:
            srv.socket = tls.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()


# -- the answer deadline ---------------------------------------------------------------------

PHASES = {
    "status line": b"",
    "headers": b"HTTP/1.1 200 OK\r\n",
    "body": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n",
}


@pytest.mark.parametrize("phase", PHASES)
def test_a_dripping_answer_ends_with_a_clear_error(serve: Any, phase: str) -> None:
    srv = serve(_drip(PHASES[phase]))
    with FilesClient(KEY, srv.url + "/v1", retry=FAST_RETRY, timeout=(2.0, 10.0),
                     answer_timeout=1.5) as client:
        began = time.monotonic()
        with pytest.raises(SlowAnswer, match="answered too slowly") as caught:
            client.list_files()
        took = time.monotonic() - began
    assert 1.4 < took < 4, took
    assert isinstance(caught.value, TransportError)  # callers of the timeout path still catch it
    assert "1.5 s" in str(caught.value) and KEY not in str(caught.value)
    assert len(srv.seen) == 1  # not retried: one deadline, not one per retry


def test_a_dripping_answer_over_https_ends_too(serve: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    fine, srv = serve(_Handler, tls), serve(_drip(PHASES["body"]), tls)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trust_env stays on: it is honoured
    with FilesClient(KEY, fine.url.replace("http:", "https:") + "/v1", retry=FAST_RETRY,
                     answer_timeout=1.0) as client:
        assert client.list_files() == []
        assert client.list_files() == []
    assert len({client_address for _, _, client_address in fine.seen}) == 1
    url = srv.url.replace("http:", "https:") + "/v1"
    with FilesClient(KEY, url, retry=FAST_RETRY, answer_timeout=1.0) as client:
        began = time.monotonic()
        with pytest.raises(SlowAnswer):
            client.list_files()
    assert time.monotonic() - began < 4


def test_a_fast_answer_and_connection_reuse_are_unaffected(serve: Any) -> None:
    srv = serve(_Handler)
    with FilesClient(KEY, srv.url + "/v1", retry=FAST_RETRY, answer_timeout=0.5) as client:
        assert client.list_files() == []
        time.sleep(0.8)  # longer than a deadline: each answer has its own, not the connection
        assert client.list_files() == []
        assert client.send("PUT", srv.url + "/storage", what="PUT", data=b"x" * 100_000)
    assert len(srv.seen) == 3
    assert len({client_address for _, _, client_address in srv.seen}) == 1  # one connection


def test_the_deadline_starts_once_the_body_is_sent(serve: Any) -> None:
    """A storage server that takes its time reading a big PUT, then answers at once: sending
    is not bounded by the answer deadline, so the upload works."""
    class SlowReader(_Handler):
        def read_body(self, size: int) -> None:
            while size > 0:
                size -= len(self.rfile.read(min(size, 1 << 18)))
                time.sleep(0.06)

    srv = serve(SlowReader)
    body = b"x" * (16 << 20)  # 64 reads of 256 KiB, ~4 s: far more than the deadline
    with FilesClient(KEY, srv.url + "/v1", retry=FAST_RETRY, answer_timeout=2.5) as client:
        began = time.monotonic()
        client.send("PUT", srv.url + "/storage", what="PUT to storage", data=body)
    assert time.monotonic() - began > 2.5


def test_the_deadline_covers_https_and_proxies_too() -> None:
    session = make_session(BearerAuth(KEY, "https://api.together.ai/v1"))
    with session:
        adapter: Any = session.get_adapter("https://api.together.ai/v1")
        pool = adapter.poolmanager.connection_from_url("https://api.together.ai/v1")
        assert pool.ConnectionCls is DeadlineHTTPSConnection
        pool = adapter.poolmanager.connection_from_url("http://127.0.0.1:9/")
        assert pool.ConnectionCls is DeadlineHTTPConnection
        proxied = adapter.proxy_manager_for("http://proxy.invalid:3128")
        assert proxied.pool_classes_by_scheme is POOL_CLASSES


# -- proxies ---------------------------------------------------------------------------------

@pytest.fixture
def proxy(serve: Any, monkeypatch: pytest.MonkeyPatch) -> _Server:
    """A "proxy" that records every request it gets (and answers 200), set in every variable
    requests reads; no NO_PROXY."""
    srv: _Server = serve(_Handler)
    for name in PROXY_VARS:
        monkeypatch.setenv(name, srv.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return srv


def test_the_proxy_variables_would_take_the_request(proxy: _Server, server: LocalServer) -> None:
    """The setting works: a plain requests session sends loopback http to the proxy."""
    requests.get(server.base_url + "/files", timeout=5)
    assert len(proxy.seen) == 1 and server.base_url in proxy.seen[0][0]


def test_plain_http_to_loopback_never_goes_through_a_proxy(proxy: _Server, client: FilesClient,
                                                           send: Upload, small: Path,
                                                           server: LocalServer) -> None:
    assert client.list_files() == []
    result = send(small)  # the API, then storage: both plain http on loopback
    assert result.file_id
    assert proxy.seen == []
    assert server.requests(listener="api") and server.requests(listener="storage")


def test_the_key_never_leaves_over_plain_http(proxy: _Server) -> None:
    session = make_session(BearerAuth(KEY, "http://api.example.invalid/v1"))
    with session, pytest.raises(UsageError, match="clear text") as caught:
        session.get("http://api.example.invalid/v1/files", timeout=5)
    assert KEY not in str(caught.value)
    assert proxy.seen == []  # refused before anything was sent


def test_plain_http_storage_elsewhere_gets_no_key(proxy: _Server, server: LocalServer) -> None:
    """A Location or part URL on plain http off the machine may be fetched (through the proxy,
    as the environment says), but never with the key."""
    with FilesClient(KEY, server.base_url, retry=FAST_RETRY) as client:
        client.send("PUT", "http://storage.example.invalid/f?X-Amz-Signature=s", what="PUT",
                    data=b"abc")
    ((line, headers, _),) = proxy.seen
    assert line.startswith("PUT http://storage.example.invalid/f")
    assert "Authorization" not in headers and KEY not in str(headers)


def test_https_proxies_are_still_honoured(proxy: _Server,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An https request goes through HTTPS_PROXY as a CONNECT tunnel, which carries no key."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("https_proxy", proxy.url)
    with FilesClient(KEY, "https://api.example.invalid/v1",
                     retry=FAST_RETRY.new(connect=0, read=0, status=0)) as client, \
            pytest.raises(TransportError):
        client.list_files()  # the "proxy" answers the CONNECT with a 200 but speaks no TLS
    line, headers, _ = proxy.seen[0]
    assert line.startswith("CONNECT api.example.invalid:443")
    assert "Authorization" not in headers and KEY not in str(headers)


def test_the_interrupt_clean_up_follows_the_same_rules(proxy: _Server, client: FilesClient,
                                                       server: LocalServer) -> None:
    """The one quick DELETE on the way out of an interrupt is made by a session of the same
    kind: no proxy for loopback http, the key only to the API."""
    from uploader.cleanup import best_effort

    assert best_effort(client, "DELETE", "/files/file-missing", what="DELETE") is False  # 404
    assert best_effort(client, "GET", "/files", what="GET /files") is True
    assert proxy.seen == []
    assert any(r.method == "GET" for r in server.requests(listener="api"))
