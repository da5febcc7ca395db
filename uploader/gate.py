"""The gate: ``upload()`` validates a file and sends it only if it passes, then brings back the
server's own verdict.

Order of events, and why:

1. The client is built first (from TOGETHER_API_KEY / TOGETHER_BASE_URL when none is given), so a
   missing key fails before a long validation, yet no request is sent before the verdict.
2. The file is validated (``check=True``) while a hasher follows the validator's progress
   through the same bytes: the checksum the protocol declares up front costs no second pass
   over the disk. ``check=False`` hashes in a pass of its own. An invalid file raises
   :class:`~uploader.errors.ValidationFailed` carrying the report, and nothing is sent.
3. Size and mtime are compared before the first request and again after the last byte; a
   single PUT also re-hashes what it sends. A changed file is refused
   (:class:`~uploader.errors.FileChangedError`) and never processed.
4. Single upload up to the threshold (5 GiB at most), multipart above it.
5. The server validates the file itself; ``wait=True`` polls until it has a verdict, which is
   in the result. ``INVALID_FORMAT`` from the server is a result, not an exception.
6. Files of purposes the server does not validate (``eval``, ``batch-api``, ``calibration``)
   are preprocessed like any other, as the SDKs do, and returned as the file object right
   then, whatever ``wait`` says: their status or report may never come
   (``UploadResult.server_validated`` is False).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uploader.api import FilesClient, check_file
from uploader.body import LockstepHasher, NotRegularFile, Outgoing, Snapshot, open_regular
from uploader.errors import ValidationFailed
from uploader.multipart import upload_multipart
from uploader.poll import PollPolicy, wait_processed
from uploader.protocol import (
    FILE_TYPES,
    PART_CONCURRENCY,
    PART_MIN_BYTES,
    PART_TARGET_BYTES,
    SINGLE_MAX_BYTES,
    TERMINAL_STATUSES,
    server_validates,
)
from uploader.single import upload_single
from validator import (
    Config,
    FileAccessError,
    Report,
    UsageError,
    check_purpose,
    compression,
    file_type,
    sniff_compression,
    validate_file,
)

__all__ = ["Progress", "UploadResult", "upload"]

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phase is ``validate``, ``hash`` or ``upload`` (bytes), then
``server:STATUS`` (done and total 0) while the server validates the file. Calls come
one at a time (serialised across part threads)."""


@dataclass(frozen=True)
class UploadResult:
    """The server's file object as last seen, and how it got there."""

    file: dict[str, Any]
    reused: bool  # the server already had an identical file (409): nothing was sent
    multipart: bool
    report: Report | None  # the local validation report; None with check=False
    purpose: str = "fine-tune"

    @property
    def server_validated(self) -> bool:
        """Whether the server validates files of this purpose. False (eval, batch-api,
        calibration): no verdict or report is to be expected, and none was waited for."""
        return server_validates(self.purpose)

    @property
    def file_id(self) -> str:
        return str(self.file.get("id", ""))

    @property
    def status(self) -> str | None:
        """``processing_status``: COMPLETED, INVALID_FORMAT, FAILED, not yet terminal, or None
        when the server did not say."""
        status = self.file.get("processing_status")
        return status if isinstance(status, str) else None

    @property
    def validation_report(self) -> dict[str, Any] | None:
        report = self.file.get("validation_report")
        return report if isinstance(report, dict) else None


def upload(
    path: str | os.PathLike[str],
    purpose: str = "fine-tune",
    check: bool = True,
    *,
    client: FilesClient | None = None,
    config: Config | None = None,
    wait: bool = True,
    poll: PollPolicy | None = None,
    multipart_threshold: int = SINGLE_MAX_BYTES,
    part_size: int = PART_TARGET_BYTES,
    concurrency: int = PART_CONCURRENCY,
    progress: Progress | None = None,
) -> UploadResult:
    """Validate ``path`` for ``purpose`` and upload it to the Files API if it passes.

    Raises :class:`~uploader.errors.ValidationFailed` (nothing sent) for an invalid file,
    :class:`~uploader.errors.FileChangedError` when the file changes on the way, and the other
    :mod:`uploader.errors` when the upload cannot be done. ``multipart_threshold`` (at most
    5 GiB) and ``part_size`` (at least 5 MiB) choose and shape multipart uploads.
    """
    path = os.fspath(path)
    kind = _check_options(path, purpose, multipart_threshold, part_size, concurrency)
    own = client is None
    client = client if client is not None else FilesClient.from_env()
    try:
        snapshot = Snapshot.take(path)
        report, checksum = _validate_and_hash(path, purpose, check=check, config=config,
                                              size=snapshot.size, progress=progress)
        if report is not None and not report.valid:
            raise ValidationFailed(report)
        snapshot.check("after it was validated")
        out = Outgoing(snapshot, os.path.basename(path), kind, purpose, checksum)
        on_read = None if progress is None else _counter(progress, "upload", out.size)
        multipart = out.size > multipart_threshold
        done: dict[str, Any] | None = None
        if multipart:
            file_id, done, reused = upload_multipart(client, out, part_size=part_size,
                                                     concurrency=concurrency, on_read=on_read)
        else:
            file_id, reused = upload_single(client, out, on_read)
        if done is None:
            done = client.retrieve(file_id)
        else:
            check_file(done, what="POST /files/multipart/complete")
        if reused and done.get("processing_status") == "PENDING":
            client.preprocess(file_id)  # an earlier run stopped between PUT and preprocess
        if progress is not None and not reused:
            progress("upload", out.size, out.size)  # every byte is in: the bar ends at 100%
        if wait and server_validates(purpose):
            on_status = None if progress is None else _status_reporter(progress)
            done = wait_processed(client, file_id, poll or PollPolicy(), first=done,
                                  on_status=on_status)
        return UploadResult(done, reused, multipart, report, purpose)
    finally:
        if own:
            client.close()


def _packed(path: str) -> str | None:
    """``gzip`` or ``zstd`` when the file's bytes are compressed whatever its name says (the
    validator reads them decompressed; the upload would send them as they are). This is the
    first open of the file: one that is not a regular file (a FIFO, a device) is refused here,
    before anything reads it or waits on it."""
    try:
        handle = open_regular(path)
    except NotRegularFile:
        raise
    except FileAccessError:
        return None  # missing or unreadable: the checks that follow say so
    with handle:
        return sniff_compression(handle.read(8))


def _check_options(path: str, purpose: str, threshold: int, part_size: int,
                   concurrency: int) -> str:
    kind = file_type(path)
    if kind is None or compression(path) is not None:
        raise UsageError(f"{path}: cannot upload this file type: the server takes "
                         f"{', '.join('.' + t for t in FILE_TYPES)} (decompress a .jsonl.gz or "
                         ".jsonl.zst first)")
    packed = _packed(path)
    if packed is not None:
        tool = "gunzip" if packed == "gzip" else "zstd -d"
        raise UsageError(f"{path}: the file holds {packed}-compressed bytes under a plain name: "
                         "the server reads the bytes as they are, so decompress it first "
                         f"({tool} -c {path} > plain.{kind})")
    check_purpose(purpose)
    if not 0 <= threshold <= SINGLE_MAX_BYTES:
        raise UsageError("the multipart threshold must be between 0 and 5 GiB: the API takes "
                         "single uploads of 5 GiB at most")
    if part_size < PART_MIN_BYTES:
        raise UsageError(f"part size {part_size:,} bytes is under the minimum of 5 MiB")
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1")
    return kind


def _validate_and_hash(path: str, purpose: str, *, check: bool, config: Config | None,
                       size: int, progress: Progress | None) -> tuple[Report | None, str]:
    with LockstepHasher(path) as hasher:
        if not check:
            return None, hasher.finish(None if progress is None
                                       else _counter(progress, "hash", size))

        def follow(done: int) -> None:
            hasher.advance(done)
            if progress is not None:
                progress("validate", done, size)

        report = validate_file(path, purpose, config=config, progress=follow)
        return report, hasher.finish()


def _status_reporter(progress: Progress) -> Callable[[str], None]:
    """Statuses for ``progress``: the phase ``server:STATUS`` (done and total 0), once per
    change of status."""
    last: list[str] = []

    def report(status: str) -> None:
        if status not in TERMINAL_STATUSES and last != [status]:  # the verdict says the end
            last[:] = [status]
            progress(f"server:{status}", 0, 0)

    return report


def _counter(progress: Progress, phase: str, total: int) -> Callable[[int], None]:
    """A callback taking byte counts, reporting running totals to ``progress``."""
    done = 0

    def add(n: int) -> None:
        nonlocal done
        done += n
        progress(phase, done, total)

    return add
