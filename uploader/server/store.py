"""The local server's files: records and bytes on disk, and the processing pipeline that runs
the validator on them like the real service does.

Bytes go to a temporary directory, written as they arrive in 1 MiB blocks, so the server holds
no file in memory either. Processing moves a fine-tune file PENDING -> QUEUED -> RUNNING ->
COMPLETED or INVALID_FORMAT (FAILED when its bytes do not match the declared checksum) in a
thread of its own.

Files of the other purposes (eval, batch-api, calibration) are not validated, as on the real
service, and get no ``validation_report``. The service documents no status for them (it may
never come, so clients must not wait for one); this server settles on the simplest honest
answer: preprocessing stores such a file at once as COMPLETED (FAILED on a checksum mismatch),
with no QUEUED or RUNNING in between, so ``ftdata files get`` has a status to show. Until it is
preprocessed it stays PENDING.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uploader.protocol import server_validates
from validator import validate_file

__all__ = ["MultipartUpload", "Store", "StoredFile", "receive"]

log = logging.getLogger("uploader.server")
BLOCK = 1 << 20


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    file_type: str
    checksum: str | None  # as declared; None when the client sent none (SDK 1.x)
    path: Path
    created_at: int
    bytes: int = 0
    uploaded: bool = False  # every byte is in; what the deprecated ``Processed`` reports
    receiving: bool = False  # a PUT to its URL is in progress
    sha256: str | None = None  # of the bytes received
    status: str = "PENDING"
    history: list[str] = field(default_factory=lambda: ["PENDING"])
    report: dict[str, Any] | None = None
    signature: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def to_json(self) -> dict[str, Any]:
        """The file object, with the API's odd keys (FileType, Processed, LineCount)."""
        doc: dict[str, Any] = {
            "id": self.id, "object": "file", "created_at": self.created_at,
            "filename": self.filename, "bytes": self.bytes, "purpose": self.purpose,
            "Processed": self.uploaded, "FileType": self.file_type,
            "LineCount": (self.report or {}).get("nlines", 0),
            "processing_status": self.status,
        }
        if self.report is not None:
            doc["validation_report"] = self.report
        return doc


@dataclass
class MultipartUpload:
    id: str
    file: StoredFile
    num_parts: int
    size: int
    headers: dict[str, str]  # the headers every part PUT must carry
    signature: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    parts: dict[int, tuple[str, int, Path]] = field(default_factory=dict)  # etag, size, where
    receiving: set[int] = field(default_factory=set)  # parts whose PUT is in progress
    state: str = "open"  # open, completing, completed, aborted


def receive(read: Callable[[int], bytes], length: int, dest: Path) -> tuple[int, str, str]:
    """Copy ``length`` bytes of a request body to ``dest``: (bytes received, sha256, md5)."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    got = 0
    with dest.open("wb") as out:
        while got < length:
            block = read(min(BLOCK, length - got))
            if not block:
                break
            out.write(block)
            sha.update(block)
            md5.update(block)
            got += len(block)
    return got, sha.hexdigest(), md5.hexdigest()


class Store:
    """Files and multipart uploads by id; ``lock`` guards every change."""

    def __init__(self, root: Path, step_delay: float = 0.0) -> None:
        self.root = root
        self.step_delay = step_delay
        self.lock = threading.RLock()
        self.files: dict[str, StoredFile] = {}
        self.uploads: dict[str, MultipartUpload] = {}
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def new_file(self, filename: str, purpose: str, file_type: str,
                 checksum: str | None) -> StoredFile:
        file_id = f"file-{uuid.uuid4()}"
        record = StoredFile(file_id, filename, purpose, file_type, checksum,
                            self.root / f"{file_id}.{file_type}", int(time.time()))
        with self.lock:
            self.files[file_id] = record
        return record

    def same_checksum(self, checksum: str) -> StoredFile | None:
        """The file with this checksum, if any (an uploaded one first); never one for an
        upload that declared no checksum."""
        if not checksum:
            return None
        with self.lock:
            found = [f for f in self.files.values() if f.checksum == checksum]
        found.sort(key=lambda f: not f.uploaded)
        return found[0] if found else None

    def delete(self, file_id: str) -> StoredFile | None:
        with self.lock:
            record = self.files.pop(file_id, None)
        if record is not None:
            record.path.unlink(missing_ok=True)
        return record

    def set_status(self, record: StoredFile, status: str) -> None:
        with self.lock:
            record.status = status
            record.history.append(status)

    # -- processing ------------------------------------------------------------------------

    def process(self, record: StoredFile) -> None:
        """Queue ``record`` and judge it in a worker thread (idempotent); a file of a purpose
        that is not validated is settled at once, without a pipeline."""
        with self.lock:
            if record.status != "PENDING":
                return
            if not server_validates(record.purpose):
                status, record.report = self.judge(record)
                self.set_status(record, status)
                return
            self.set_status(record, "QUEUED")
        worker = threading.Thread(target=self._run, args=(record,), daemon=True,
                                  name=f"ftdata-process-{record.id}")
        self._workers = [w for w in self._workers if w.is_alive()]  # none kept once done
        self._workers.append(worker)
        worker.start()

    def _run(self, record: StoredFile) -> None:
        try:
            if self._stop.wait(self.step_delay):
                return
            self.set_status(record, "RUNNING")
            if self._stop.wait(self.step_delay):
                return
            status, report = self.judge(record)
        except Exception:  # a worker must never die silently with the file stuck in RUNNING
            log.exception("processing %s failed", record.id)
            status, report = "FAILED", None
        with self.lock:
            record.report = report
            self.set_status(record, status)

    @staticmethod
    def judge(record: StoredFile) -> tuple[str, dict[str, Any] | None]:
        """The verdict: FAILED when the bytes do not match a declared checksum; the
        validator's for fine-tune files; other purposes skip validation, as on the real
        service. Without a declared checksum there is nothing to compare ``sha256`` with."""
        if record.checksum is not None and record.sha256 != record.checksum:
            return "FAILED", None
        if record.purpose != "fine-tune":
            return "COMPLETED", None
        report = validate_file(record.path, record.purpose)
        report.file_id = record.id
        return ("COMPLETED" if report.valid else "INVALID_FORMAT"), report.to_server_dict()

    def close(self, timeout: float = 3.0) -> None:
        """Stop the processing threads: each ends at its next step; ``timeout`` bounds the
        wait for them all (one stuck judging a file is a daemon thread, left to the exit)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
