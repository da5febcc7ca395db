"""A local Together-compatible Files API, for dry runs without credentials and for tests.

    with LocalServer() as server:          # loopback only, free ports by default
        server.base_url                    # http://127.0.0.1:PORT/v1: the TOGETHER_BASE_URL
        server.api_key                     # the bearer key it accepts
        server.inject("part", 500, nth=2)  # the 2nd part PUT answers 500
        ...
        server.requests(listener="storage")  # recent requests, with their headers

The API and the presigned storage URLs are on two listeners, so "the key never reaches storage"
is a property of the wire that a test can check, not of a URL prefix. It only listens on
loopback: it has no TLS and a fixed key, and is not meant to be reachable from elsewhere.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from uploader.server.api import ApiHandler
from uploader.server.handler import Context, Handler, Server, Server6
from uploader.server.journal import MAX_BYTES, MAX_RECORDS, Fault, Journal, Recorded
from uploader.server.storage import StorageHandler
from uploader.server.store import Store, StoredFile
from uploader.session import is_loopback
from validator import UsageError

__all__ = ["DEMO_KEY", "Fault", "LocalServer", "Recorded", "StoredFile"]

DEMO_KEY = "local-demo-key"
CLOSE_TIMEOUT = 2.0


class LocalServer:
    """The API listener on ``host:port`` and the storage listener on ``host:storage_port``
    (0: any free port). ``step_delay`` is how long each processing state lasts; the request
    log keeps the newest ``journal_records`` requests in at most ``journal_bytes``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, storage_port: int = 0,
                 api_key: str = DEMO_KEY, step_delay: float = 0.0,
                 journal_records: int = MAX_RECORDS, journal_bytes: int = MAX_BYTES) -> None:
        if not is_loopback(host):
            raise UsageError(f"the local server only listens on loopback (127.0.0.1, ::1, "
                             f"localhost), not {host!r}")
        self.host = host
        self._ports = (port, storage_port)
        self.api_key = api_key
        self.journal = Journal(journal_records, journal_bytes)
        self._root = Path(tempfile.mkdtemp(prefix="ftdata-server-"))
        self.store = Store(self._root, step_delay)
        self._servers: list[Server] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> LocalServer:
        ctx = Context(self.store, self.journal, self.api_key)
        handlers: tuple[type[Handler], ...] = (ApiHandler, StorageHandler)
        for handler, port in zip(handlers, self._ports, strict=True):
            try:
                server = self._bind(port, handler)
            except OSError as exc:  # port in use, or no such address: nothing is left behind
                self.close()
                what = "API" if handler is ApiHandler else "storage"
                raise UsageError(f"cannot serve the {what} listener on {self.host}:{port}: "
                                 f"{exc.strerror or exc}") from None
            server.ctx = ctx
            self._servers.append(server)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      daemon=True, name=f"ftdata-{handler.listener}")
            thread.start()
            self._threads.append(thread)
        ctx.storage_url = self.storage_url
        return self

    def _bind(self, port: int, handler: type[Handler]) -> Server:
        return (Server6 if ":" in self.host else Server)((self.host, port), handler)

    def _url(self, index: int) -> str:
        port = self._servers[index].server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """The API base URL, for TOGETHER_BASE_URL."""
        return self._url(0) + "/v1"

    @property
    def storage_url(self) -> str:
        return self._url(1)

    def inject(self, kind: str, status: int | None = 500, **options: Any) -> Fault:
        """Plan a fault (see :class:`~uploader.server.journal.Fault` for the options)."""
        return self.journal.inject(Fault(kind, status, **options))

    def requests(self, kind: str | None = None, listener: str | None = None) -> list[Recorded]:
        """The requests received so far (the newest, when there were very many: see
        :class:`~uploader.server.journal.Journal`), oldest first, optionally of one kind or
        listener."""
        return self.journal.requests(kind, listener)

    def file(self, file_id: str) -> StoredFile:
        return self.store.files[file_id]

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stop listening and remove the files, in about ``timeout`` seconds at most: request
        threads are daemon threads nobody waits for, and processing threads get what is left
        of ``timeout`` to finish (a SIGTERM to ``ftdata serve`` must end it)."""
        deadline = time.monotonic() + timeout
        for server in self._servers:
            server.shutdown()  # the accept loop polls every 50 ms
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.store.close(max(0.0, deadline - time.monotonic()))
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
