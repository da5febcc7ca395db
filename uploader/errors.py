"""The uploader's one error module: exceptions for "could not upload", never for data problems.

A file the server judges ``INVALID_FORMAT`` is not an exception: the upload worked and the
result says so. An exception means the upload, or a Files API call, could not be done::

    FtdataError (validator.errors)    base of everything ftdata raises on purpose
    └── UploadError                   .status, .url (query string removed), .server_message
        ├── MissingApiKey             TOGETHER_API_KEY is not set; nothing was sent
        ├── ValidationFailed          the local validator rejected the file (.report); nothing sent
        ├── FileChangedError          the file changed between validation and the end of the upload
        ├── ApiError                  the API or storage answered an HTTP error, after retries
        │   └── AuthenticationError   401/403 from the API: the key is wrong or lacks rights
        ├── TransportError            no answer at all: refused, reset or timed out, after retries
        │   └── SlowAnswer            the answer did not arrive whole within its deadline
        ├── UnexpectedResponse        an answer SPEC §5 does not allow (302 without Location, ...)
        └── ProcessingTimeout         the server did not finish processing the file in time

Messages never hold the API key, and URLs in them never hold a query string: presigned storage
URLs carry their signature there, and a signature is a credential for as long as it lives.
What a server said reaches a message with its control characters escaped (:func:`printable`),
so an answer cannot move the cursor or rewrite the terminal it is printed on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from validator import FtdataError

if TYPE_CHECKING:
    from validator import Report

__all__ = [
    "ApiError",
    "AuthenticationError",
    "FileChangedError",
    "MissingApiKey",
    "ProcessingTimeout",
    "SlowAnswer",
    "TransportError",
    "UnexpectedResponse",
    "UploadError",
    "ValidationFailed",
    "printable",
    "strip_query",
]

# C0 and C1 controls, zero-width and bidirectional formatting characters
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control and formatting characters escaped (``\\x1b``, ``\\u202e``)."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def strip_query(url: str) -> str:
    """``url`` without query string, fragment or user info: safe to show and to log."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class UploadError(FtdataError):
    """Base of the uploader's errors: what failed, and where the server said so."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None,
                 server_message: str | None = None) -> None:
        self.message = message
        self.status = status
        self.url = printable(strip_query(url)) if url else None
        self.server_message = printable(server_message) if server_message else server_message
        text = message
        if status is not None:
            text += f": HTTP {status}"
        if self.url:
            text += f" from {self.url}" if status is not None else f" ({self.url})"
        if self.server_message:
            text += f": {self.server_message}"
        super().__init__(printable(text))


class MissingApiKey(UploadError):
    """No API key: set TOGETHER_API_KEY (or pass ``api_key``)."""


class ValidationFailed(UploadError):
    """The local validator found errors; the report says which. No request was sent."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(f"{report.path}: not uploaded: {report.errors} error(s) found; "
                         f"first: {report.error}")


class FileChangedError(UploadError):
    """The file is not the one that was validated and hashed; nothing was processed."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        super().__init__(f"{path}: {what}: not uploaded; upload again once it stops changing")


class ApiError(UploadError):
    """An HTTP error answer (4xx, or 5xx/429 once retries are spent)."""

    def __init__(self, message: str, *, status: int, url: str, server_message: str | None,
                 error_type: str | None = None) -> None:
        self.error_type = error_type
        super().__init__(message, status=status, url=url, server_message=server_message)


class AuthenticationError(ApiError):
    """401 or 403 from the API: check TOGETHER_API_KEY and TOGETHER_BASE_URL."""


class TransportError(UploadError):
    """No HTTP answer: the connection was refused, reset or timed out, after every retry."""


class SlowAnswer(TransportError):
    """The server did not finish its answer (status line, headers and body) within the answer
    deadline after the request was sent: it answered too slowly, or dripped its answer."""

    def __init__(self, message: str, *, timeout: float, url: str | None = None) -> None:
        self.timeout = timeout
        super().__init__(message, url=url)


class UnexpectedResponse(UploadError):
    """The server answered something the protocol does not allow."""


class ProcessingTimeout(UploadError):
    """The file did not reach a terminal processing_status within the wait timeout."""
