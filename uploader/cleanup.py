"""Clean-up on the way out of an interrupt: Ctrl-C, or SIGTERM and SIGHUP, which ``ftdata``
turns into a ``KeyboardInterrupt`` in the main thread.

The interrupted upload must not leave a file record or an open multipart upload behind, but
the clean-up must not hold the process either (a service manager that sent SIGTERM waits a few
seconds, then kills): one try, with a short timeout, outside the session's retry policy, and
never an exception over the interrupt that is on its way out.
"""

from __future__ import annotations

import logging
from typing import Any

from urllib3.util.retry import Retry

from uploader.api import FilesClient
from uploader.session import BearerAuth, make_session

__all__ = ["CLEANUP_TIMEOUT", "best_effort"]

log = logging.getLogger("uploader")
CLEANUP_TIMEOUT = (2.0, 3.0)  # (connect, read): what one clean-up request may take
CLEANUP_ANSWER_TIMEOUT = 5.0  # and its whole answer


def best_effort(client: FilesClient, method: str, path: str, *, what: str,
                **kwargs: Any) -> bool:
    """``method path`` on the API, tried once; True when it answered 2xx. Nothing is raised
    (a second Ctrl-C still is: whoever presses it twice wants out now)."""
    auth = client.session.auth
    try:
        if not isinstance(auth, BearerAuth):
            raise TypeError("the client's session has no BearerAuth")
        # the client's own session rules (no proxy for loopback http, the key only to the API
        # origin, a deadline on the answer), with no retries
        with make_session(auth, retry=Retry(0, read=False), timeout=CLEANUP_TIMEOUT,
                          answer_timeout=CLEANUP_ANSWER_TIMEOUT) as once:
            resp = once.request(method, client.url(path), allow_redirects=False, stream=True,
                                **kwargs)
            resp.close()
        if 200 <= resp.status_code < 300:
            return True
        reason = f"HTTP {resp.status_code}"
    except Exception as exc:
        reason = type(exc).__name__  # never the exception's text: it may quote headers
    log.warning("interrupted: %s did not work (%s)", what, reason)
    return False
