"""The request handler both listeners share: routing to a kind, recording, fault injection,
and answers that keep an HTTP/1.1 connection in a sane state.

Every request is recorded (with its headers) before anything else happens, so a test can
assert on exactly what reached the wire; then a fault planned for its kind, if any, is applied.
The server logs through ``logging`` (never prints) and never logs headers.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import orjson

from uploader.server.journal import Fault, Journal, Recorded
from uploader.server.store import Store

__all__ = ["Context", "Handler", "Route", "Server", "Server6"]

log = logging.getLogger("uploader.server")
_DRAIN_MAX = 16 << 20  # unread bodies up to this are read and dropped to keep the connection


@dataclass
class Context:
    """What the handlers share: the files, the journal, the key and where storage is."""

    store: Store
    journal: Journal
    api_key: str
    storage_url: str = ""  # http://host:port, for the presigned URLs


class Server(ThreadingHTTPServer):
    daemon_threads = True
    ctx: Context

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Server6(Server):
    address_family = socket.AF_INET6


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: str
    action: str  # name of the handler method; it gets the pattern's groups


class Handler(BaseHTTPRequestHandler):
    """Base of the API and storage handlers: subclasses set ``listener`` and ``routes``."""

    protocol_version = "HTTP/1.1"
    server_version = "ftdata-local-files-api"
    timeout = 60  # an idle keep-alive connection is closed after this
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    listener: ClassVar[str] = ""
    routes: ClassVar[tuple[Route, ...]] = ()
    server: Server
    record: Recorded
    left: int  # request body bytes not read yet

    @property
    def ctx(self) -> Context:
        return self.server.ctx

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        path, _, query = self.path.partition("?")
        action: Callable[..., None] | None = None
        kind = "unknown"
        groups: tuple[str | Any, ...] = ()
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match and route.method == self.command:
                kind, groups, action = route.kind, match.groups(), getattr(self, route.action)
                break
        self.left = int(self.headers.get("Content-Length") or 0)
        self.record = Recorded(self.listener, self.command, path, query, dict(self.headers),
                               kind)
        fault = self.ctx.journal.begin(self.record)
        try:
            if fault is not None and self._apply(fault):
                return
            if action is None:
                self.error(404, f"no route for {self.command} {path}", "not_found")
            elif self.authorized():
                action(*groups)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nobody to answer
        finally:
            self.ctx.journal.end(self.record)

    def authorized(self) -> bool:
        return True

    def _apply(self, fault: Fault) -> bool:
        """Apply ``fault``; True when it answered (or dropped) the request itself."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.read(min(self.left, max(1, self.left // 2)))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.status is None:
            return False
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        self.error(fault.status, fault.message, "injected_fault", headers=headers)
        return True

    # -- bodies ----------------------------------------------------------------------------

    def read(self, size: int) -> bytes:
        data = self.rfile.read(min(size, self.left))
        self.left -= len(data)
        return data

    def finish_body(self) -> None:
        """Before answering: read what is left of the body, or close after the answer."""
        if self.left > _DRAIN_MAX:
            self.close_connection = True
            return
        while self.left > 0 and self.read(1 << 20):
            pass

    # -- answers ---------------------------------------------------------------------------

    def answer(self, status: int, body: bytes = b"", content_type: str = "application/json",
               headers: dict[str, str] | None = None) -> None:
        self.finish_body()
        self.record.status = status
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        self.answer(status, orjson.dumps(doc), headers=headers)

    def error(self, status: int, message: str, error_type: str,
              headers: dict[str, str] | None = None, **extra: Any) -> None:
        """A JSON error in the API's shape: ``{"error": {"message", "type", ...}}``."""
        self.send_json(status, {"error": {"message": message, "type": error_type, **extra}},
                       headers)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s %s -> %s", self.listener, self.command, self.path.partition("?")[0],
                 code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s: " + format, self.listener, *args)
