"""Waiting for the server to process a file: poll ``GET /files/{id}`` with a growing interval
until ``processing_status`` is terminal (COMPLETED, FAILED, INVALID_FORMAT).

Polling errors are the session's business (a 5xx poll is retried there); this only spaces the
polls out so a long validation on the server costs a handful of requests, not thousands. Only
files the server validates are waited for (:func:`uploader.protocol.server_validates`): for
other purposes the status may never turn terminal, so :func:`uploader.upload` never polls them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uploader.errors import ProcessingTimeout, UnexpectedResponse, printable
from uploader.protocol import TERMINAL_STATUSES

if TYPE_CHECKING:
    from uploader.api import FilesClient

__all__ = ["PollPolicy", "wait_processed"]


@dataclass(frozen=True)
class PollPolicy:
    """First wait ``interval`` seconds, then ``factor`` times longer, at most ``max_interval``;
    give up after ``timeout`` seconds in all."""

    interval: float = 0.5
    factor: float = 1.5
    max_interval: float = 15.0
    timeout: float = 3600.0


def wait_processed(client: FilesClient, file_id: str, policy: PollPolicy, *,
                   first: dict[str, Any] | None = None,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic,
                   on_status: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The file object once its processing_status is terminal. ``first`` is an already fetched
    file object, so a file that is done costs no extra request. A file object without
    processing_status (or a null one) has no pipeline to wait for (older API versions): it is
    returned as is. ``on_status`` hears each status polled, the terminal one included."""
    start = clock()
    interval = policy.interval
    doc = first if first is not None else client.retrieve(file_id)
    while True:
        status = _status(doc, file_id)
        if on_status is not None:
            on_status(status)
        if status in TERMINAL_STATUSES:
            break
        if clock() - start + interval > policy.timeout:
            raise ProcessingTimeout(
                f"file {file_id} is still {status} after {policy.timeout:g}s; check later "
                f"with `ftdata files get {file_id}`")
        sleep(interval)
        interval = min(interval * policy.factor, policy.max_interval)
        doc = client.retrieve(file_id)
    return doc


def _status(doc: dict[str, Any], file_id: str) -> str:
    status = doc.get("processing_status")
    if status is None:
        return "COMPLETED"
    if not isinstance(status, str):
        raise UnexpectedResponse(f"file {file_id}: processing_status is not a string")
    return printable(status)
