"""The Files API client: one session, one place where HTTP answers become the project's errors.

Callers get parsed answers or an :mod:`uploader.errors` exception with the status, the URL
without its query string and the server's own message; never a ``requests`` exception, never a
URL with a presigned signature, never the key.

Every answer is untrusted input. At most :data:`~uploader.protocol.MAX_ANSWER_BYTES` of a body
are read (a JSON answer over that is an error; an error answer's message is cut there), JSON is
parsed by orjson, whose depth limit makes a deeply nested answer an ordinary error, and a file
object's fields are checked for their documented types before anything reads them
(:func:`check_file`): a missing or null field is unknown, one of another type is
:class:`~uploader.errors.UnexpectedResponse`. URLs that come in answers (the ``Location`` of
``POST /files``, multipart part URLs) must be absolute http(s) URLs (:func:`answer_url`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import requests
from urllib3.util.retry import Retry

from uploader.deadline import DEFAULT_ANSWER_TIMEOUT, AnswerTooSlow
from uploader.errors import (
    ApiError,
    AuthenticationError,
    MissingApiKey,
    SlowAnswer,
    TransportError,
    UnexpectedResponse,
    printable,
    strip_query,
)
from uploader.protocol import (
    DEFAULT_BASE_URL,
    FILE_ID_HEADER,
    MAX_ANSWER_BYTES,
    PART_CONCURRENCY,
    REPORT_FIELDS,
)
from uploader.session import (
    DEFAULT_TIMEOUT,
    BearerAuth,
    Timeout,
    is_loopback,
    make_session,
    origin,
)
from validator import UsageError

__all__ = ["FilesClient", "answer_url", "check_file", "conflict_file_id", "load_json"]

log = logging.getLogger("uploader")
_URL_MAX = 16 << 10  # presigned URLs run to a few KiB
_READ_BLOCK = 64 << 10
# The file object fields the uploader reads, with their JSON types when present.
_FILE_FIELDS: dict[str, type] = {"id": str, "processing_status": str, "purpose": str,
                                 "filename": str, "bytes": int}
_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


def _check_base_url(url: str) -> str:
    scheme, host, _ = origin(url)
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"base URL {strip_query(url)!r} is not an http(s) URL")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(f"refusing to send the API key in clear text to {host}: use https "
                         "(plain http is only allowed to a loopback address)")
    url = url.rstrip("/")
    if urlsplit(url).path == "":
        # together SDK 3.x reads TOGETHER_BASE_URL as the host alone (it adds /v1 to its
        # paths); 1.x and this client as the API root. The same setting serves both.
        url += "/v1"
    return url


def load_json(body: bytes) -> Any:
    """``body`` parsed, or None when it is not JSON. orjson refuses nesting deeper than 1024
    levels with an ordinary error, where the stdlib parser would raise RecursionError."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _json_name(value: object) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _checked(doc: dict[str, Any], fields: dict[str, type], prefix: str, what: str,
             url: str | None) -> None:
    for name, kind in fields.items():
        value = doc.get(name)
        if value is None:
            continue  # missing or null: unknown, which is not false
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise UnexpectedResponse(f"{what}: {prefix}{name} is {_json_name(value)}, not "
                                     f"{_JSON_NAMES[kind]}", url=url)
        if isinstance(value, int) and value < 0:
            raise UnexpectedResponse(f"{what}: {prefix}{name} is negative", url=url)


def check_file(doc: dict[str, Any], *, what: str, url: str | None = None) -> dict[str, Any]:
    """``doc``, once the file object fields and ``validation_report`` fields that the uploader
    reads have their documented types wherever they are present (SPEC §4: a missing field is
    unknown, never false; fields it does not know are left alone)."""
    _checked(doc, _FILE_FIELDS, "", what, url)
    report = doc.get("validation_report")
    if report is not None:
        if not isinstance(report, dict):
            raise UnexpectedResponse(f"{what}: validation_report is {_json_name(report)}, "
                                     "not an object", url=url)
        _checked(report, REPORT_FIELDS, "validation_report.", what, url)
    return doc


def _url_problem(value: object) -> str | None:
    """Why ``value`` is not an absolute http(s) URL to send a request to, or None."""
    if not isinstance(value, str) or not value:
        return "is missing"
    if len(value) > _URL_MAX:
        return f"is longer than {_URL_MAX:,} characters"
    if not value.isascii() or not value.isprintable() or " " in value:
        return "holds spaces, control or non-ASCII characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "is not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host"
    return None


def answer_url(value: object, *, what: str, resp: requests.Response) -> str:
    """``value``, a URL taken from the answer ``resp`` (a ``Location``, a part URL), once it
    is an absolute http(s) URL; else UnexpectedResponse, without echoing it (it may hold a
    signature, or characters that rewrite a terminal)."""
    problem = _url_problem(value)
    if problem is not None:
        raise UnexpectedResponse(f"{what} {problem}", status=resp.status_code, url=resp.url)
    assert isinstance(value, str)
    return value


def conflict_file_id(resp: requests.Response) -> str | None:
    """The file id a 409 names: the header, else ``file_id``/``id`` at the top or in ``error``."""
    found = resp.headers.get(FILE_ID_HEADER)
    if found:
        return found
    doc = load_json(resp.content)
    for where in (doc, doc.get("error") if isinstance(doc, dict) else None):
        if isinstance(where, dict):
            for key in ("file_id", "id"):
                if isinstance(where.get(key), str) and where[key]:
                    return str(where[key])
    return None


class FilesClient:
    """The Together Files API at ``base_url`` with ``api_key``.

    ``retry`` is the urllib3 policy (:func:`uploader.session.retry_policy` by default),
    ``timeout`` (connect, read) applies to every socket operation and ``answer_timeout`` (10
    minutes; None for none) to each whole answer, from the request sent to its last byte read:
    past it the call fails with :class:`~uploader.errors.SlowAnswer`. Close it, or use it as a
    context manager.
    """

    def __init__(self, api_key: str | None, base_url: str = DEFAULT_BASE_URL, *,
                 retry: Retry | None = None, timeout: Timeout = DEFAULT_TIMEOUT,
                 answer_timeout: float | None = DEFAULT_ANSWER_TIMEOUT) -> None:
        if not api_key:
            raise MissingApiKey("no API key: set TOGETHER_API_KEY")
        self.base_url = _check_base_url(base_url)
        self._auth = BearerAuth(api_key, self.base_url)
        self.session = make_session(self._auth, retry=retry, timeout=timeout,
                                    answer_timeout=answer_timeout,
                                    pool_maxsize=max(10, PART_CONCURRENCY * 2))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> FilesClient:
        """Key from TOGETHER_API_KEY, base URL from TOGETHER_BASE_URL (default the public API)."""
        env = os.environ if environ is None else environ
        return cls(env.get("TOGETHER_API_KEY"), env.get("TOGETHER_BASE_URL") or DEFAULT_BASE_URL,
                   **options)

    def __repr__(self) -> str:
        return f"FilesClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FilesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def send(self, method: str, url: str, *, what: str, expect: Collection[int] = (200,),
             **kwargs: Any) -> requests.Response:
        """One request (retried by the session's policy); an answer outside ``expect`` raises.

        Redirects are never followed, so a key cannot ride a redirect to another host. At most
        MAX_ANSWER_BYTES of the answer are read: more is an error for an expected answer, and
        cut for an error answer (whose message is all that is read of it)."""
        problem = _url_problem(url)
        if problem is not None:  # a URL from an answer that no one checked: never send it
            raise UnexpectedResponse(f"{what}: not sent: the URL {problem}")
        seen: list[requests.Response] = []
        try:
            resp = self.session.request(method, url, allow_redirects=False, stream=True,
                                        hooks={"response": _keep(seen)}, **kwargs)
            whole = _read_body(resp, MAX_ANSWER_BYTES)
        except AnswerTooSlow as exc:  # never retried: see uploader.deadline
            raise SlowAnswer(f"{what} failed: {exc}", timeout=exc.timeout, url=url) from None
        except requests.RequestException as exc:
            raise TransportError(f"{what} failed: {self._reason(exc)}", url=url) from None
        except ValueError:  # requests parses a redirect's Location even when not following it
            for answer in seen:
                answer.close()
            raise UnexpectedResponse(f"{what}: the answer has a malformed header (a Location "
                                     "that is not a URL?)", url=url) from None
        log.debug("%s %s -> %s", method, strip_query(url), resp.status_code)
        if resp.status_code not in expect:
            raise self._error(what, resp)
        if not whole:
            raise UnexpectedResponse(f"{what}: the answer is larger than "
                                     f"{MAX_ANSWER_BYTES:,} bytes", status=resp.status_code,
                                     url=resp.url)
        return resp

    def json(self, method: str, path: str, *, what: str, expect: Collection[int] = (200,),
             **kwargs: Any) -> dict[str, Any]:
        """An API call whose answer is a JSON object."""
        return self.parse(self.send(method, self.url(path), what=what, expect=expect, **kwargs),
                          what)

    def parse(self, resp: requests.Response, what: str) -> dict[str, Any]:
        doc = load_json(resp.content)
        if not isinstance(doc, dict):
            raise UnexpectedResponse(f"{what}: the answer is not a JSON object",
                                     status=resp.status_code, url=resp.url)
        return doc

    # -- endpoints -------------------------------------------------------------------------

    def retrieve(self, file_id: str) -> dict[str, Any]:
        """The file object, its fields checked (:func:`check_file`) and its id the one asked
        for."""
        path = _file_path(file_id)
        what = f"GET {printable(path)}"
        doc = check_file(self.json("GET", path, what=what), what=what, url=self.url(path))
        if doc.get("id") not in (None, file_id):
            raise UnexpectedResponse(f"{what}: the answer is the file object of another file",
                                     url=self.url(path))
        return doc

    def list_files(self) -> list[dict[str, Any]]:
        data = self.json("GET", "/files", what="GET /files").get("data")
        if not isinstance(data, list):
            raise UnexpectedResponse("GET /files: the answer has no data list",
                                     url=self.url("/files"))
        for doc in data:
            if not isinstance(doc, dict):
                raise UnexpectedResponse(f"GET /files: a file in data is {_json_name(doc)}, "
                                         "not an object", url=self.url("/files"))
            check_file(doc, what="GET /files", url=self.url("/files"))
        return data

    def delete(self, file_id: str) -> dict[str, Any]:
        path = _file_path(file_id)
        return self.json("DELETE", path, what=f"DELETE {printable(path)}")

    def preprocess(self, file_id: str) -> dict[str, Any]:
        path = _file_path(file_id) + "/preprocess"
        return self.json("POST", path, what=f"POST {printable(path)}")

    # -- errors ----------------------------------------------------------------------------

    def _error(self, what: str, resp: requests.Response) -> ApiError | UnexpectedResponse:
        if 300 <= resp.status_code < 400:
            target = printable(strip_query(resp.headers.get("Location", "?")))
            return UnexpectedResponse(
                f"{what}: redirected to {target}; redirects are not followed so the key cannot "
                "leak: point TOGETHER_BASE_URL at the final address", status=resp.status_code,
                url=resp.url)
        message, error_type = self._server_message(resp)
        cls = AuthenticationError if resp.status_code in (401, 403) else ApiError
        if cls is AuthenticationError and resp.url.startswith(self.base_url):
            what += " (check TOGETHER_API_KEY)"
        return cls(f"{what} failed", status=resp.status_code, url=resp.url,
                   server_message=message, error_type=error_type)

    def _server_message(self, resp: requests.Response) -> tuple[str | None, str | None]:
        """``error.message`` and ``error.type`` of a JSON error, else the start of the text."""
        message: str | None = None
        error_type: str | None = None
        doc = load_json(resp.content)
        if isinstance(doc, dict):
            err = doc.get("error", doc)
            if isinstance(err, dict):
                message = err.get("message") if isinstance(err.get("message"), str) else None
                error_type = err.get("type") if isinstance(err.get("type"), str) else None
            elif isinstance(err, str):
                message = err
        if message is None:
            message = resp.content[:1200].decode("utf-8", "replace").strip()[:300] or None
        if message is not None:  # a JSON message is whole: keep what a reader can take in
            message = self._auth.redact(_strip_urls(message[:2000]))
        return message, error_type

    def _reason(self, exc: requests.RequestException) -> str:
        """The innermost cause of a transport failure, in words, without URLs or the key."""
        cause = _innermost(exc)
        if isinstance(cause, TimeoutError) or "timed out" in str(cause).lower():
            text = "timed out"
        elif isinstance(cause, OSError) and cause.strerror:
            text = cause.strerror.lower()
        else:
            text = str(cause).rpartition(": ")[2] or type(cause).__name__
        return self._auth.redact(_strip_urls(text))


def _file_path(file_id: str) -> str:
    """``/files/{id}`` with the id quoted: an id from an answer or the command line cannot
    reach another path, add a query or break the URL."""
    return f"/files/{quote(file_id, safe='')}"


def _keep(seen: list[requests.Response]) -> Callable[..., requests.Response]:
    """A response hook that keeps the response, so it can be closed if requests fails after
    receiving it."""
    def hook(resp: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        seen.append(resp)
        return resp
    return hook


def _read_body(resp: requests.Response, limit: int) -> bool:
    """Read at most ``limit`` bytes of ``resp``'s body (decoded) into ``resp.content``; True
    when that was the whole body. A body cut short has its connection closed, not reused."""
    buffer = bytearray()
    whole = True
    try:
        for chunk in resp.iter_content(_READ_BLOCK):
            if len(buffer) + len(chunk) > limit:
                buffer += chunk[:limit - len(buffer)]
                whole = False
                break
            buffer += chunk
    finally:
        resp.close()  # a body read to its end hands the connection back; a cut one closes it
    resp._content = bytes(buffer)
    return whole


def _innermost(exc: BaseException) -> BaseException:
    """Follow ``reason`` and exception ``args`` (how requests and urllib3 wrap) to the root."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def _strip_urls(text: str) -> str:
    """``text`` with every URL in it cut to scheme, host and path."""
    return " ".join(strip_query(w) if "://" in w else w for w in text.split(" "))
