"""Files over the multipart threshold: ``initiate`` -> ``PUT`` each part to its presigned URL
(up to 4 at once) -> ``complete`` with the sorted part numbers and ETags.

Each part streams from the file through its own :class:`~uploader.body.FileRange`, so memory is
(concurrency x a 16 KiB send buffer), whatever the part size. A failed part is retried on its
own by the session's policy, where the SDKs give up the whole upload on the first part error;
once a part fails for good the others stop and the upload is aborted, so nothing is left
dangling on the server. Initiate is the one call that is not retried once it may have reached
the server (:data:`uploader.session.NOT_IDEMPOTENT`): a repeat could open a second upload.

The bytes sent are hashed, part by part, and chained into the sha256 of the whole (see
:class:`_SentHash`): if they are not the bytes whose checksum initiate declared, the upload is
aborted with :class:`~uploader.errors.FileChangedError` instead of completed. An interrupt
(Ctrl-C, SIGTERM, SIGHUP) at any point after initiate answered aborts it too, with one quick try
(:func:`uploader.cleanup.best_effort`) that never raises over the interrupt.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from uploader.api import FilesClient, conflict_file_id
from uploader.body import BLOCK_SIZE, FileRange, Outgoing, open_regular
from uploader.cleanup import best_effort
from uploader.errors import FileChangedError, UnexpectedResponse, UploadError
from uploader.protocol import (
    MAX_PARTS,
    PART_CONCURRENCY,
    PART_MIN_BYTES,
    PART_TARGET_BYTES,
    unwrap_file,
)
from validator import UsageError

__all__ = ["Part", "plan_parts", "upload_multipart"]

log = logging.getLogger("uploader")
_MIB = 2**20
_INTERRUPT_WAIT = 1.0  # how long an interrupt waits for part threads before the abort


@dataclass(frozen=True)
class Part:
    number: int  # 1-based, as the API counts
    offset: int
    length: int


def plan_parts(size: int, part_size: int = PART_TARGET_BYTES) -> list[Part]:
    """Cut ``size`` bytes into parts of ``part_size`` (at least 5 MiB); when that makes more
    than 250 parts, the parts grow (to whole MiB) so there are at most 250."""
    if part_size < PART_MIN_BYTES:
        raise UsageError(f"part size {part_size:,} bytes is under the minimum of 5 MiB")
    if size <= 0:
        raise UsageError("an empty file cannot be sent in parts")
    if -(-size // part_size) > MAX_PARTS:
        part_size = -(-size // MAX_PARTS)
        part_size = -(-part_size // _MIB) * _MIB
    return [Part(n, offset, min(part_size, size - offset))
            for n, offset in enumerate(range(0, size, part_size), start=1)]


@dataclass(frozen=True)
class _Target:
    url: str
    headers: dict[str, str]


class _Cancelled(Exception):
    """Another part failed for good: stop sending this one."""


def upload_multipart(client: FilesClient, out: Outgoing, *, part_size: int = PART_TARGET_BYTES,
                     concurrency: int = PART_CONCURRENCY,
                     on_read: Callable[[int], None] | None = None,
                     ) -> tuple[str, dict[str, Any] | None, bool]:
    """Send ``out`` in parts; return ``(file_id, file object from complete, reused)``."""
    parts = plan_parts(out.size, part_size)
    what = "POST /files/multipart/initiate"
    resp = client.send("POST", client.url("/files/multipart/initiate"), what=what,
                       expect=(200, 201, 409), json={
                           "file_name": out.name, "file_size": out.size,
                           "num_parts": len(parts), "purpose": out.purpose,
                           "file_type": out.file_type, "checksum": out.checksum})
    if resp.status_code == 409:
        existing = conflict_file_id(resp)
        if existing is None:
            raise UnexpectedResponse(f"{what}: 409 without the existing file's id", status=409,
                                     url=resp.url)
        return existing, None, True
    doc = client.parse(resp, what)
    upload_id, file_id = doc.get("upload_id"), doc.get("file_id")
    try:
        upload_id, file_id, targets = _targets(doc, len(parts), resp.url)
        etags, sent = _put_parts(client, out.path, parts, targets=targets,
                                 concurrency=concurrency, on_read=on_read)
        if sent != out.checksum:
            raise FileChangedError(out.path, "changed while it was being uploaded (the bytes "
                                             "sent do not match the checksum)")
        out.snapshot.check("while it was being uploaded")
        done = client.json("POST", "/files/multipart/complete", expect=(200, 201),
                           what="POST /files/multipart/complete", json={
                               "upload_id": upload_id, "file_id": file_id,
                               "parts": [{"part_number": n, "etag": etags[n]}
                                         for n in sorted(etags)]})
    except Exception:  # never leave an upload dangling
        if isinstance(upload_id, str) and isinstance(file_id, str):
            _abort(client, upload_id, file_id)
        raise
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: one quick try, never raising over it
        if isinstance(upload_id, str) and isinstance(file_id, str):
            best_effort(client, "POST", "/files/multipart/abort",
                        what="POST /files/multipart/abort",
                        json={"upload_id": upload_id, "file_id": file_id})
        raise
    return file_id, unwrap_file(done), False


def _targets(doc: dict[str, Any], count: int, url: str) -> tuple[str, str, dict[int, _Target]]:
    """Check the initiate answer: an upload id, a file id and one URL per planned part."""
    upload_id, file_id, parts = doc.get("upload_id"), doc.get("file_id"), doc.get("parts")
    if not isinstance(upload_id, str) or not isinstance(file_id, str) \
            or not isinstance(parts, list):
        raise UnexpectedResponse("initiate: the answer lacks upload_id, file_id or parts",
                                 url=url)
    targets: dict[int, _Target] = {}
    for item in parts:
        if not isinstance(item, dict) or not isinstance(item.get("PartNumber"), int) \
                or not isinstance(item.get("URL"), str):
            raise UnexpectedResponse("initiate: a part lacks PartNumber or URL", url=url)
        headers = item.get("Headers") or {}
        if not isinstance(headers, dict):
            raise UnexpectedResponse("initiate: a part's Headers is not an object", url=url)
        targets[item["PartNumber"]] = _Target(item["URL"], {str(k): str(v)
                                                             for k, v in headers.items()})
    if sorted(targets) != list(range(1, count + 1)):
        raise UnexpectedResponse(f"initiate: expected part URLs 1..{count}, got "
                                 f"{len(targets)}", url=url)
    return upload_id, file_id, targets


class _SentHash:
    """The sha256 of the bytes sent, though parts go out at once and in any order.

    sha256 cannot be resumed out of order, so each part's PUT hashes the bytes it sent, and as
    parts finish, in file order, the part is read again (from the page cache it was just read
    into) into one running hash of the whole, its own hash checked against the PUT's: a part
    that changed between the two reads raises at once. When every part is in, ``hexdigest``
    is the hash of the bytes the server received."""

    def __init__(self, path: str, parts: Sequence[Part]) -> None:
        self.path = path
        self._parts = sorted(parts, key=lambda p: p.number)
        self._sent: dict[int, str | None] = {}
        self._next = 0
        self._whole = hashlib.sha256()

    def add(self, number: int, sent: str | None) -> None:
        """Part ``number`` was sent and its bytes hashed to ``sent`` (None: not one full pass)."""
        self._sent[number] = sent
        while self._next < len(self._parts) and self._parts[self._next].number in self._sent:
            part = self._parts[self._next]
            if self._chain(part) != self._sent[part.number]:
                raise FileChangedError(self.path, f"changed while it was being uploaded (part "
                                                  f"{part.number} was sent with other bytes)")
            self._next += 1

    def _chain(self, part: Part) -> str:
        sha = hashlib.sha256()
        with open_regular(self.path) as handle:
            handle.seek(part.offset)
            left = part.length
            while left > 0:
                block = handle.read(min(BLOCK_SIZE, left))
                if not block:
                    raise FileChangedError(self.path, "shrank while it was being uploaded")
                sha.update(block)
                self._whole.update(block)
                left -= len(block)
        return sha.hexdigest()

    def hexdigest(self) -> str | None:
        """The whole file's hash as sent; None until every part is in."""
        return self._whole.hexdigest() if self._next == len(self._parts) else None


def _put_parts(client: FilesClient, path: str, parts: Sequence[Part], *,
               targets: dict[int, _Target], concurrency: int,
               on_read: Callable[[int], None] | None) -> tuple[dict[int, str], str | None]:
    """PUT every part, ``concurrency`` at a time: the part number -> ETag of each, and the
    sha256 of every byte sent (:class:`_SentHash`, chained here as the parts finish)."""
    lock = threading.Lock()
    stop = threading.Event()

    def counted(n: int) -> None:
        if stop.is_set():
            raise _Cancelled
        if on_read is not None:
            with lock:
                on_read(n)

    def put(part: Part) -> tuple[int, str, str | None]:
        target = targets[part.number]
        with FileRange(path, part.offset, part.length, on_read=counted, hash_it=True) as body:
            resp = client.send("PUT", target.url, what=f"PUT part {part.number}", data=body,
                               headers=target.headers)
            sent = body.sha256  # of the last full pass: a retry rewinds and hashes anew
        etag = resp.headers.get("ETag", "").strip().strip('"')
        if not etag:
            raise UnexpectedResponse(f"PUT part {part.number}: no ETag in the answer",
                                     status=resp.status_code, url=resp.url)
        return part.number, etag, sent

    todo: queue.SimpleQueue[Part] = queue.SimpleQueue()
    for part in parts:
        todo.put(part)
    done: queue.SimpleQueue[tuple[tuple[int, str, str | None] | None, BaseException | None]] \
        = queue.SimpleQueue()

    def worker() -> None:
        while not stop.is_set():
            try:
                part = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((put(part), None))
            except BaseException as exc:  # handed to the main thread, which raises it
                done.put((None, exc))

    # Daemon threads: after an interrupt, one waiting on a slow answer must not hold the exit.
    threads = [threading.Thread(target=worker, daemon=True, name=f"ftdata-part-{n}")
               for n in range(min(concurrency, len(parts)))]
    for thread in threads:
        thread.start()
    etags: dict[int, str] = {}
    hashed = _SentHash(path, parts)
    try:
        for _ in parts:
            result, error = done.get()  # a signal interrupts the wait
            if error is not None:
                raise error
            assert result is not None
            number, etag, sent = result
            etags[number] = etag
            hashed.add(number, sent)  # re-reads while the other parts are on the wire
    except Exception:
        stop.set()  # the others stop at their next block; wait for them before the abort
        for thread in threads:
            thread.join()
        raise
    except BaseException:  # interrupted: a part waiting on its answer is left to the exit
        stop.set()
        deadline = time.monotonic() + _INTERRUPT_WAIT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        raise
    for thread in threads:
        thread.join()
    return etags, hashed.hexdigest()


def _abort(client: FilesClient, upload_id: str, file_id: str) -> None:
    try:
        client.json("POST", "/files/multipart/abort", what="POST /files/multipart/abort",
                    json={"upload_id": upload_id, "file_id": file_id})
    except UploadError as exc:  # the first failure is the one to report
        log.warning("could not abort multipart upload %s: %s", upload_id, exc)
