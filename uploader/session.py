"""The HTTP session every request goes through, set up once so no request can miss a guarantee.

- Retries are a policy value (urllib3 ``Retry``) mounted on the session, not loops in callers:
  429, 5xx and connection errors are retried with exponential backoff, jitter and a cap, and a
  ``Retry-After`` answer is honoured up to its own cap. Bodies are rewound by urllib3 through
  ``seek``/``tell`` (see :class:`uploader.body.FileRange`), so a retried PUT resends every byte.
- Requests that are not idempotent (:data:`NOT_IDEMPOTENT`: multipart initiate) go through an
  adapter of their own, mounted on their URL, whose policy (:func:`connect_only`) retries only
  a failure to connect: never once the request may have reached the server.
- Every request has a timeout, even one a caller forgot to give: ``(connect, read)`` on each
  socket operation, and a deadline on its whole answer, ``answer_timeout`` seconds from the
  request sent to the answer read (:mod:`uploader.deadline`, which says why it starts once the
  body is sent), so a server dripping its answer a byte at a time cannot hold a call forever.
- Plain http carries the key only directly to loopback. A plain-http request to a loopback
  host never goes through a proxy: requests merges ``HTTP_PROXY``/``ALL_PROXY`` from the
  environment into every request (over ``session.proxies``), and a proxy would get
  ``Authorization: Bearer <key>`` in clear text, so the adapter drops the proxies of those
  requests at the last step, where nothing can merge them back. ``trust_env`` stays on: an
  https proxy sees only a CONNECT tunnel it cannot read, and ``REQUESTS_CA_BUNDLE`` and
  company proxies for https still work. A request that would carry the key over plain http to
  any other host is refused before it is sent (:func:`uploader.api` refuses such a base URL
  already; this covers any other way in).
- The API key is attached by :class:`BearerAuth` only to requests whose scheme, host and port
  are the API base URL's: never to presigned storage URLs. Setting it as the session's ``auth``
  also keeps requests from reading ``~/.netrc`` credentials into storage requests.
- TLS verification is never switched off.
- A key that cannot travel in a header (:func:`check_api_key`: whitespace, a control character,
  a character outside latin-1) is refused before any request, without a word of it in the
  message: the http layer's own error would quote the whole header, ``Bearer <key>``.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from uploader.deadline import DEFAULT_ANSWER_TIMEOUT, answer_budget, install
from uploader.errors import MissingApiKey
from validator import UsageError, __version__

__all__ = [
    "DEFAULT_ANSWER_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "NOT_IDEMPOTENT",
    "RETRY_METHODS",
    "RETRY_STATUSES",
    "BearerAuth",
    "Timeout",
    "check_api_key",
    "connect_only",
    "is_loopback",
    "make_session",
    "origin",
    "retry_policy",
]

Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 120.0)  # (connect, read between bytes), not a total

# 501 and 505 say "never", so retrying them only delays the error.
RETRY_STATUSES = frozenset({429, *range(500, 600)} - {501, 505})
# POST is safe to repeat here: POST /files is idempotent through its checksum (a repeat gets
# 409 and the file id), and preprocess, complete and abort are idempotent on the server.
RETRY_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
# ...but not these API paths: a second initiate opens a second multipart upload, which nothing
# would ever complete or abort. They are retried only when no connection could be made.
NOT_IDEMPOTENT = ("/files/multipart/initiate",)


def retry_policy(*, retries: int = 5, backoff: float = 0.5, backoff_max: float = 30.0,
                 jitter: float = 0.5, retry_after_max: int = 60) -> Retry:
    """The retry policy: ``retries`` per kind (connect, read, status), sleeping
    ``backoff * 2**(n-1)`` plus up to ``jitter`` seconds, at most ``backoff_max``; a server's
    Retry-After is obeyed up to ``retry_after_max`` seconds. Tests pass tiny values."""
    return Retry(
        total=None,
        connect=retries,
        read=retries,
        status=retries,
        other=0,  # TLS and protocol errors other than a dropped connection do not heal
        redirect=0,
        allowed_methods=RETRY_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        backoff_jitter=jitter,
        respect_retry_after_header=True,
        retry_after_max=retry_after_max,
        raise_on_status=False,  # hand back the last answer so its message reaches the error
        raise_on_redirect=False,
    )


def connect_only(retry: Retry) -> Retry:
    """``retry`` for a request that must not run twice: a failure to connect (refused, no
    route, connect timeout: nothing was sent) is retried as before; a read error or timeout, a
    dropped connection and every status (5xx, 429) are not, the request may have been done."""
    return retry.new(read=0, status=0, other=0, status_forcelist=frozenset(),
                     respect_retry_after_header=False)


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: what "the same server" means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: the only place plain http may carry the key."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_key(key: str) -> None:
    """Raise :class:`MissingApiKey` unless ``key`` can be sent as ``Bearer <key>``: no
    whitespace (a key read from a CRLF file ends in ``\\r``), no control or formatting
    character, nothing outside latin-1. The message says what is wrong, never which key."""
    problem = None
    if any(ord(c) > 0xFF for c in key):
        problem = "holds a character that cannot be sent in an HTTP header (not latin-1)"
    elif key != key.strip():
        problem = ("starts or ends with whitespace or a line break (read from a file with "
                   "CRLF line ends?)")
    elif any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in key):
        problem = "holds whitespace or a control character"
    if problem is not None:
        raise MissingApiKey(f"the API key (TOGETHER_API_KEY) {problem}: it was not used and "
                            "nothing was sent; set it to the bare key")


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <key>`` on requests to the API origin, and on no other request."""

    def __init__(self, key: str, api_url: str) -> None:
        check_api_key(key)
        self._key = key
        self.api_url = api_url.rstrip("/")
        self.origin = origin(api_url)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.url is not None and origin(request.url) == self.origin:
            request.headers["Authorization"] = f"Bearer {self._key}"
        else:
            request.headers.pop("Authorization", None)
        return request

    def redact(self, text: str) -> str:
        """``text`` with the key blanked out: for anything that echoes what it was sent."""
        return text.replace(self._key, "[redacted]") if self._key else text

    def __repr__(self) -> str:
        scheme, host, port = self.origin
        return f"BearerAuth(origin='{scheme}://{host}:{port}')"


class _Adapter(HTTPAdapter):
    """An HTTPAdapter that gives every request a timeout when the caller gave none, a deadline
    on its answer, no proxy for plain http to loopback, and no key over plain http elsewhere."""

    def __init__(self, retry: Retry, timeout: Timeout, pool_maxsize: int,
                 answer_timeout: float | None) -> None:
        self.default_timeout = timeout
        self.answer_timeout = answer_timeout
        super().__init__(max_retries=retry, pool_maxsize=pool_maxsize)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        install(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return install(super().proxy_manager_for(proxy, **proxy_kwargs))

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        if not args and kwargs.get("timeout") is None:  # Session.send passes keywords only
            kwargs["timeout"] = self.default_timeout
        scheme, host, _ = origin(request.url or "")
        if scheme == "http":
            if is_loopback(host):
                kwargs["proxies"] = {}  # straight to loopback, whatever the environment says
            elif "Authorization" in request.headers:
                raise UsageError(f"refusing to send the API key in clear text to {host}: use "
                                 "https (plain http is only allowed to a loopback address)")
        with answer_budget(self.answer_timeout):
            return super().send(request, *args, **kwargs)


def make_session(auth: BearerAuth, *, retry: Retry | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT,
                 answer_timeout: float | None = DEFAULT_ANSWER_TIMEOUT,
                 pool_maxsize: int = 10) -> requests.Session:
    """A session with the retry policy, default timeout, answer deadline (``answer_timeout``
    seconds, None for none; see :mod:`uploader.deadline`) and origin-bound auth mounted; the
    :data:`NOT_IDEMPOTENT` paths under ``auth.api_url`` get the :func:`connect_only` policy.

    Worst case of one call, with ``n`` = 1 + the policy's connect + read + status retries: ``n``
    times (connect timeout + sending + ``answer_timeout``), plus the backoff sleeps; a deadline
    that passes ends the call (it is not retried), so only earlier attempts that ended in time
    for another reason (a 5xx, a read timeout) add their time.
    """
    session = requests.Session()
    policy = retry if retry is not None else retry_policy()
    adapter = _Adapter(policy, timeout, pool_maxsize, answer_timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    once = _Adapter(connect_only(policy), timeout, pool_maxsize, answer_timeout)
    for path in NOT_IDEMPOTENT:  # the longest matching prefix picks the adapter
        session.mount(auth.api_url + path, once)
    session.auth = auth
    session.verify = True
    session.headers["User-Agent"] = f"ftdata/{__version__}"
    return session
