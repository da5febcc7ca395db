"""Files up to 5 GiB: ``POST /files`` (``multipart/form-data`` fields, no redirect following)
-> ``302`` to a presigned URL -> ``PUT`` the bytes there without the key ->
``POST /files/{id}/preprocess``.

The PUT body hashes what it sends; if those bytes are not the ones whose checksum was declared
(the file changed under us, even with its mtime put back), or the PUT fails for good, the file
is deleted on the server instead of being processed. So is the file of an upload interrupted
(Ctrl-C, SIGTERM, SIGHUP) before its preprocess is done, with one quick try
(:func:`uploader.cleanup.best_effort`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from uploader.api import FilesClient, answer_url, conflict_file_id
from uploader.body import FileRange, Outgoing
from uploader.cleanup import best_effort
from uploader.errors import FileChangedError, UnexpectedResponse, UploadError, printable
from uploader.protocol import FILE_ID_HEADER
from validator import FtdataError

__all__ = ["discard", "discard_quickly", "upload_single"]

log = logging.getLogger("uploader")


def upload_single(client: FilesClient, out: Outgoing,
                  on_read: Callable[[int], None] | None = None) -> tuple[str, bool]:
    """Send ``out``; return ``(file_id, reused)``. ``reused``: a 409 named an identical file
    already on the server, so nothing was sent."""
    fields = {"purpose": out.purpose, "file_name": out.name, "file_type": out.file_type,
              "checksum": out.checksum}
    resp = client.send(  # (None, value): a text field, no filename: the documented form
        "POST", client.url("/files"), what="POST /files", expect=(302, 409),
        files={name: (None, value) for name, value in fields.items()},
    )
    if resp.status_code == 409:
        existing = conflict_file_id(resp)
        if existing is None:
            raise UnexpectedResponse("POST /files: 409 without the existing file's id",
                                     status=409, url=resp.url)
        return existing, True
    location = resp.headers.get("Location")
    file_id = resp.headers.get(FILE_ID_HEADER)
    if not location or not file_id:
        raise UnexpectedResponse(f"POST /files: 302 without Location or {FILE_ID_HEADER}",
                                 status=302, url=resp.url)
    try:
        target = answer_url(location, what="POST /files: Location", resp=resp)
        with FileRange(out.path, 0, out.size, on_read=on_read, hash_it=True) as body:
            client.send("PUT", target, what="PUT to storage", data=body)
            if body.sha256 != out.checksum:
                raise FileChangedError(out.path, "changed while it was being uploaded (the "
                                                 "bytes sent do not match the checksum)")
        out.snapshot.check("while it was being uploaded")
    except FtdataError:
        discard(client, file_id)  # an empty or wrong file must not linger or be processed
        raise
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: the record must not linger either
        discard_quickly(client, file_id)
        raise
    try:
        client.preprocess(file_id)
    except FtdataError:
        raise  # every byte is in: a new upload finds the file (409) and preprocesses it
    except BaseException:
        discard_quickly(client, file_id)  # interrupted: the upload did not happen
        raise
    return file_id, False


def discard_quickly(client: FilesClient, file_id: str) -> None:
    """Delete the file once, quickly, never raising: on the way out of an interrupt."""
    best_effort(client, "DELETE", f"/files/{quote(file_id, safe='')}",
                what=f"DELETE /files/{printable(file_id)}")


def discard(client: FilesClient, file_id: str) -> None:
    """Delete a file that must not be processed; a failure here must not hide the real error."""
    try:
        client.delete(file_id)
    except UploadError as exc:
        log.warning("could not delete file %s after a failed upload: %s", file_id, exc)
