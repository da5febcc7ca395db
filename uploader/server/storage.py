"""The storage listener: what presigned URLs point at, on a port of its own like a real bucket.

It takes no API key, only the signature in the URL; a request that carries an Authorization
header anyway is refused (as S3 refuses two auth mechanisms at once), so a client that leaks
the key to storage fails loudly instead of silently. Bodies are written to disk as they arrive.

A presigned URL takes one PUT: a second one, while the first is still sending or once it is
done, is a ``409`` (taken under the store's lock, so two PUTs cannot both start), so bytes that
were hashed, judged and given a status cannot be swapped under it. A PUT cut short (the client
went away) frees the URL again for the client's retry. A body over 5 GiB, S3's limit for one
PUT, is refused before it is read.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

from uploader.protocol import SINGLE_MAX_BYTES
from uploader.server.handler import Handler, Route
from uploader.server.store import receive

__all__ = ["StorageHandler"]


class StorageHandler(Handler):
    listener = "storage"
    routes = (
        Route("PUT", re.compile(r"/storage/(file-[0-9a-f-]+)"), "put", "put_file"),
        Route("PUT", re.compile(r"/parts/(mpu-[0-9a-f-]+)/(\d+)"), "part", "put_part"),
    )

    def _signed(self, signature: str) -> bool:
        given = parse_qs(self.record.query).get("X-Amz-Signature", [""])[0]
        if "Authorization" in self.headers:
            self.error(400, "only one auth mechanism allowed: presigned URLs take no "
                       "Authorization header", "invalid_argument")
            return False
        if not hmac.compare_digest(given.encode(), signature.encode()):
            self.error(403, "signature does not match", "access_denied")
            return False
        if "Content-Length" not in self.headers:
            self.error(411, "Content-Length required", "missing_content_length")
            return False
        if self.left > SINGLE_MAX_BYTES:
            self.error(413, "a PUT takes at most 5 GiB: use a multipart upload",
                       "entity_too_large")
            return False
        return True

    def _taken(self, used: bool, busy: bool) -> bool:
        """Answer 409 when the URL was used or is in use; True when it did."""
        if busy or used:
            self.error(409, "a PUT to this URL is already in progress" if busy else
                       "this URL was already used: a presigned URL takes one PUT", "conflict")
        return busy or used

    def put_file(self, file_id: str) -> None:
        store = self.ctx.store
        record = store.files.get(file_id)
        if record is None:
            self.error(404, "no such upload", "not_found")
            return
        if not self._signed(record.signature):
            return
        with store.lock:
            used, busy = record.uploaded, record.receiving
            if not (used or busy):
                record.receiving = True
        if self._taken(used, busy):
            return
        got: tuple[int, str, str] | None = None
        try:
            got = receive(self.read, self.left, record.path)
        finally:
            with store.lock:
                record.receiving = False
                if got is not None and self.left == 0:  # every byte is in
                    record.bytes, record.sha256, record.uploaded = got[0], got[1], True
        self._answer_put(got if self.left == 0 else None)

    def put_part(self, upload_id: str, number: str) -> None:
        store = self.ctx.store
        upload = store.uploads.get(upload_id)
        n = int(number)
        if upload is None or upload.state != "open" or not 1 <= n <= upload.num_parts:
            self.error(404, "no such upload or part", "not_found")
            return
        if not self._signed(upload.signature):
            return
        for name, value in upload.headers.items():
            if self.headers.get(name) != value:
                self.error(403, f"signed header {name} missing or changed", "access_denied")
                return
        with store.lock:
            used, busy = n in upload.parts, n in upload.receiving
            if not (used or busy):
                upload.receiving.add(n)
        if self._taken(used, busy):
            return
        part_path = store.root / f"{upload_id}.{n}.part"
        got: tuple[int, str, str] | None = None
        try:
            got = receive(self.read, self.left, part_path)
        finally:
            with store.lock:
                upload.receiving.discard(n)
                kept = got is not None and self.left == 0 and upload.state == "open"
                if got is not None and kept:
                    upload.parts[n] = (got[2], got[0], part_path)
            if not kept:
                part_path.unlink(missing_ok=True)  # cut short, or aborted meanwhile
        if got is not None and self.left == 0 and not kept:
            self.error(404, "the upload was completed or aborted meanwhile", "not_found")
            return
        self._answer_put(got if kept else None)

    def _answer_put(self, got: tuple[int, str, str] | None) -> None:
        """200 with the body's MD5 as ETag; None: the client went away mid-body."""
        if got is None:
            self.close_connection = True
            return
        self.answer(200, headers={"ETag": f'"{got[2]}"'})
