"""A deadline on each HTTP answer, so a server that drips its answer cannot hold a request forever.

The socket timeouts of a session, ``(connect, read)``, bound each socket read: a server that
sends one byte of its status line, headers or body every few seconds never trips them. Here
every answer also has a deadline, ``answer_timeout`` seconds **from the moment the request is
sent** (its last body byte written) **to the last byte of the answer read**, body included even
when it is read after ``Session.request`` returned (``stream=True``).

Why from the end of sending: a PUT of a 250 MiB part or a 5 GiB file to storage legitimately
takes long while sending, and how long depends on the uplink, not on the server; a deadline
from the start would have to be scaled by a guess of that speed. What a slow-drip server
controls is its answer, and that is what this bounds. Sending stays bounded as before, by the
socket timeout on each block written (urllib3 writes 16 KiB blocks).

How: the pools of the session's adapter (:func:`install`, HTTP and HTTPS alike, through
a proxy too; a SOCKS manager keeps its own classes and is left alone) build
:class:`DeadlineHTTPConnection` / :class:`DeadlineHTTPSConnection`, whose answers read the
socket through :class:`_DeadlineReader`: each read waits at most ``min(read timeout, time left)``
and, once the deadline has passed, raises :class:`AnswerTooSlow` and the connection is closed,
never reused. A connection whose answer was read in time goes back to the pool as usual.

:class:`AnswerTooSlow` is not one of the errors urllib3 retries (it is neither a timeout nor an
``OSError``): a server that took the whole deadline to not answer gets no second deadline, so
one call waits on answers at most ``answer_timeout`` in its last attempt, plus whatever earlier
attempts took before being retried for another reason (each bounded by the deadline too).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3 import poolmanager as _poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

__all__ = [
    "DEFAULT_ANSWER_TIMEOUT",
    "AnswerTooSlow",
    "DeadlineHTTPConnection",
    "DeadlineHTTPSConnection",
    "answer_budget",
    "install",
]

DEFAULT_ANSWER_TIMEOUT = 600.0  # seconds from the request sent to its answer read, body included

# The budget of the requests sent in this context (set by the session's adapter for the length
# of one send), and the deadline of the answer being opened (set by the connection for the
# length of one getresponse): both are arguments passed down through urllib3 and http.client,
# which have no parameter for them.
_BUDGET: ContextVar[float | None] = ContextVar("ftdata_answer_budget", default=None)
_ANSWER_BY: ContextVar[tuple[float, float] | None] = ContextVar("ftdata_answer_by", default=None)


class AnswerTooSlow(HTTPError):
    """The answer was not read whole within its deadline. Not retried (see the module)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(f"the server answered too slowly: no complete answer within "
                         f"{timeout:g} s of sending the request")


@contextlib.contextmanager
def answer_budget(seconds: float | None) -> Iterator[None]:
    """Requests sent inside get ``seconds`` for their answers (None: no deadline)."""
    token = _BUDGET.set(seconds)
    try:
        yield
    finally:
        _BUDGET.reset(token)


class _DeadlineReader(io.RawIOBase):
    """The raw socket stream of one answer; each read waits no later than the deadline."""

    def __init__(self, sock: Any, deadline: float, budget: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # holds the socket open, as http.client's
        self._deadline = deadline
        self._budget = budget

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise AnswerTooSlow(self._budget)
        base = self._sock.gettimeout()
        self._sock.settimeout(left if base is None else min(base, left))
        try:
            return int(self._raw.readinto(buffer))
        except TimeoutError:
            if time.monotonic() >= self._deadline - 0.001:
                raise AnswerTooSlow(self._budget) from None
            raise  # the read timeout came first: urllib3 reports (and may retry) it as before
        finally:
            with contextlib.suppress(OSError):
                self._sock.settimeout(base)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading its status line, headers and body by the deadline."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        answer_by = _ANSWER_BY.get()
        if answer_by is not None:
            plain = self.fp
            self.fp = io.BufferedReader(_DeadlineReader(sock, *answer_by))
            plain.close()  # after the new file holds the socket: closing cannot free it


class DeadlineHTTPConnection(HTTPConnection):
    """urllib3's connection; an answer opened while a budget is set gets its deadline."""

    response_class = _DeadlineResponse

    def getresponse(self) -> Any:
        # urllib3 calls this as soon as the request is sent: the deadline starts now.
        budget = _BUDGET.get()
        token = _ANSWER_BY.set(None if budget is None else (time.monotonic() + budget, budget))
        try:
            return super().getresponse()
        finally:
            _ANSWER_BY.reset(token)


class DeadlineHTTPSConnection(DeadlineHTTPConnection, HTTPSConnection):
    """The same over TLS: the reader wraps the TLS socket (or a TLS-in-TLS transport)."""


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {"http": _DeadlineHTTPPool,
                                                      "https": _DeadlineHTTPSPool}


def install(manager: PoolManager) -> PoolManager:
    """``manager`` (a PoolManager or ProxyManager) building deadline connections from now on.
    A manager with pool classes of its own (SOCKS) is left as it is."""
    if manager.pool_classes_by_scheme is _poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = POOL_CLASSES
    return manager
