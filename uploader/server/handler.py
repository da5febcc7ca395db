"""The request handler both listeners share: routing to a kind, recording, fault injection,
and answers that keep an HTTP/1.1 connection in a sane state.

Every request is recorded (with its headers) before anything else happens, so a test can
assert on exactly what reached the wire; then a fault planned for its kind, if any, is applied.
The server logs through ``logging`` (never prints) and never logs headers.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import orjson

from uploader.server.journal import Fault, Journal, Recorded
from uploader.server.store import Store

__all__ = ["BadForm", "Context", "Form", "Handler", "Route", "Server", "Server6", "parse_form"]

log = logging.getLogger("uploader.server")
_DRAIN_MAX = 16 << 20  # unread bodies up to this are read and dropped to keep the connection
_FORM_PARTS_MAX = 32  # fields or parts in a form: each part costs a parsed message

Form = tuple[dict[str, str], dict[str, bytes]]  # text fields, file parts (the first of a name)


class BadForm(ValueError):
    """A body that cannot be read as the form it claims to be: its text is the 400's message."""


def parse_form(content_type: str | None, body: bytes, *, files: bool) -> Form:
    """``body`` as ``multipart/form-data`` or, unless ``files`` (a file needs multipart),
    ``application/x-www-form-urlencoded`` (also assumed when there is no Content-Type).
    Anything malformed raises :class:`BadForm`, never another exception. The caller bounds
    ``body``; the number of fields is bounded here."""
    kind = content_type.partition(";")[0].strip().lower() if content_type else None
    try:
        if kind == "multipart/form-data":
            return _multipart(str(content_type), body)
        if not files and kind in (None, "application/x-www-form-urlencoded"):
            pairs = parse_qs(body.decode("utf-8", "replace"), max_num_fields=_FORM_PARTS_MAX)
            return {k: v[0] for k, v in pairs.items()}, {}
    except BadForm:
        raise
    except ValueError as exc:  # parse_qs past max_num_fields
        raise BadForm(f"malformed form body: {exc}") from None
    except Exception as exc:  # the email parser on hostile input: a 400, never a traceback
        raise BadForm(f"malformed multipart/form-data body ({type(exc).__name__})") from None
    accepted = "multipart/form-data" + ("" if files else " or application/x-www-form-urlencoded")
    raise BadForm(f"the body must be {accepted}, not {content_type}")


def _multipart(content_type: str, body: bytes) -> Form:
    """Parts named by ``Content-Disposition: form-data; name=...``; one with a ``filename``
    (or named ``file``) is a file."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    boundary = parser.parsebytes(head).get_boundary()
    if not boundary:
        raise BadForm("multipart/form-data without a boundary parameter in Content-Type")
    if body.count(b"--" + boundary.encode("latin-1", "replace")) > _FORM_PARTS_MAX + 1:
        raise BadForm(f"more than {_FORM_PARTS_MAX} parts in the form")
    message = parser.parsebytes(head + body)
    cut = (email.errors.StartBoundaryNotFoundDefect, email.errors.CloseBoundaryNotFoundDefect)
    if not message.is_multipart() or any(isinstance(d, cut) for d in message.defects):
        raise BadForm("the multipart/form-data body does not start with the boundary its "
                      "Content-Type names, or ends before the closing delimiter")
    fields: dict[str, str] = {}
    found: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_content_disposition() != "form-data" or not isinstance(name, str) \
                or not name or not isinstance(payload, bytes):
            raise BadForm('every part needs "Content-Disposition: form-data; name=..." and a '
                          "body that is not itself multipart")
        if part.get_filename() is not None or name == "file":
            found.setdefault(name, payload)
        else:
            fields.setdefault(name, payload.decode("utf-8", "replace"))
    return fields, found


@dataclass
class Context:
    """What the handlers share: the files, the journal, the key and where storage is."""

    store: Store
    journal: Journal
    api_key: str
    storage_url: str = ""  # http://host:port, for the presigned URLs


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a request thread stuck in its work never holds up close()
    block_on_close = False
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
        framing = self._framing()
        self.record = Recorded(self.listener, self.command, path, query, dict(self.headers),
                               kind)
        fault = self.ctx.journal.begin(self.record)
        try:
            if framing is not None:  # where the body ends is unknown: answer, then hang up
                self.close_connection = True
                self.error(*framing, "invalid_request_error")
                return
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

    def _framing(self) -> tuple[int, str] | None:
        """Set ``left`` from Content-Length; the error to answer, before any body is read, when
        the body's length cannot be known: a Transfer-Encoding (on any of its lines), a
        Content-Length that is not a byte count (``-1``, ``+5``, ``0x10``), or several that
        disagree (lines or a list: which one a proxy reads is anyone's guess)."""
        self.left = 0
        codings = [c.strip().lower() for line in self.headers.get_all("Transfer-Encoding", [])
                   for c in line.split(",")]
        if any(c != "identity" for c in codings):
            return 411, "send the body with a Content-Length, not a Transfer-Encoding"
        given = [v.strip() for line in self.headers.get_all("Content-Length", [])
                 for v in line.split(",")]
        if not all(v.isascii() and v.isdigit() for v in given):
            return 400, "Content-Length is not a byte count"
        if len({int(v) for v in given}) > 1:
            return 400, "several Content-Length values that disagree"
        self.left = int(given[0]) if given else 0
        return None

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
