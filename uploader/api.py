"""The Files API client: one session, one place where HTTP answers become the project's errors.

Callers get parsed answers or an :mod:`uploader.errors` exception with the status, the URL
without its query string and the server's own message; never a ``requests`` exception, never a
URL with a presigned signature, never the key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from typing import Any

import requests
from urllib3.util.retry import Retry

from uploader.errors import (
    ApiError,
    AuthenticationError,
    MissingApiKey,
    TransportError,
    UnexpectedResponse,
    strip_query,
)
from uploader.protocol import DEFAULT_BASE_URL, FILE_ID_HEADER, PART_CONCURRENCY
from uploader.session import (
    DEFAULT_TIMEOUT,
    BearerAuth,
    Timeout,
    is_loopback,
    make_session,
    origin,
)
from validator import UsageError

__all__ = ["FilesClient", "conflict_file_id"]

log = logging.getLogger("uploader")


def _check_base_url(url: str) -> str:
    scheme, host, _ = origin(url)
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"base URL {strip_query(url)!r} is not an http(s) URL")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(f"refusing to send the API key in clear text to {host}: use https "
                         "(plain http is only allowed to a loopback address)")
    return url.rstrip("/")


def conflict_file_id(resp: requests.Response) -> str | None:
    """The file id a 409 names: the header, else ``file_id``/``id`` at the top or in ``error``."""
    found = resp.headers.get(FILE_ID_HEADER)
    if found:
        return found
    try:
        doc = resp.json()
    except ValueError:
        return None
    for where in (doc, doc.get("error") if isinstance(doc, dict) else None):
        if isinstance(where, dict):
            for key in ("file_id", "id"):
                if isinstance(where.get(key), str) and where[key]:
                    return str(where[key])
    return None


class FilesClient:
    """The Together Files API at ``base_url`` with ``api_key``.

    ``retry`` is the urllib3 policy (:func:`uploader.session.retry_policy` by default) and
    ``timeout`` applies to every request. Close it, or use it as a context manager.
    """

    def __init__(self, api_key: str | None, base_url: str = DEFAULT_BASE_URL, *,
                 retry: Retry | None = None, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        if not api_key:
            raise MissingApiKey("no API key: set TOGETHER_API_KEY")
        self.base_url = _check_base_url(base_url)
        self._auth = BearerAuth(api_key, self.base_url)
        self.session = make_session(self._auth, retry=retry, timeout=timeout,
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

        Redirects are never followed, so a key cannot ride a redirect to another host."""
        try:
            resp = self.session.request(method, url, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise TransportError(f"{what} failed: {self._reason(exc)}", url=url) from None
        log.debug("%s %s -> %s", method, strip_query(url), resp.status_code)
        if resp.status_code not in expect:
            raise self._error(what, resp)
        return resp

    def json(self, method: str, path: str, *, what: str, expect: Collection[int] = (200,),
             **kwargs: Any) -> dict[str, Any]:
        """An API call whose answer is a JSON object."""
        return self.parse(self.send(method, self.url(path), what=what, expect=expect, **kwargs),
                          what)

    def parse(self, resp: requests.Response, what: str) -> dict[str, Any]:
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise UnexpectedResponse(f"{what}: the answer is not a JSON object",
                                     status=resp.status_code, url=resp.url)
        return doc

    # -- endpoints -------------------------------------------------------------------------

    def retrieve(self, file_id: str) -> dict[str, Any]:
        return self.json("GET", f"/files/{file_id}", what=f"GET /files/{file_id}")

    def list_files(self) -> list[dict[str, Any]]:
        data = self.json("GET", "/files", what="GET /files").get("data")
        if not isinstance(data, list):
            raise UnexpectedResponse("GET /files: the answer has no data list", url=self.url(""))
        return [f for f in data if isinstance(f, dict)]

    def delete(self, file_id: str) -> dict[str, Any]:
        return self.json("DELETE", f"/files/{file_id}", what=f"DELETE /files/{file_id}")

    def preprocess(self, file_id: str) -> dict[str, Any]:
        return self.json("POST", f"/files/{file_id}/preprocess",
                         what=f"POST /files/{file_id}/preprocess")

    # -- errors ----------------------------------------------------------------------------

    def _error(self, what: str, resp: requests.Response) -> ApiError | UnexpectedResponse:
        if 300 <= resp.status_code < 400:
            target = strip_query(resp.headers.get("Location", "?"))
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
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            err = doc.get("error", doc)
            if isinstance(err, dict):
                message = err.get("message") if isinstance(err.get("message"), str) else None
                error_type = err.get("type") if isinstance(err.get("type"), str) else None
            elif isinstance(err, str):
                message = err
        if message is None:
            message = resp.text.strip()[:300] or None
        if message is not None:
            message = self._auth.redact(_strip_urls(message))
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
