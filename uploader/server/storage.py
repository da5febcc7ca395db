"""The storage listener: what presigned URLs point at, on a port of its own like a real bucket.

It takes no API key, only the signature in the URL; a request that carries an Authorization
header anyway is refused (as S3 refuses two auth mechanisms at once), so a client that leaks
the key to storage fails loudly instead of silently. Bodies are written to disk as they arrive.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

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
        return True

    def put_file(self, file_id: str) -> None:
        record = self.ctx.store.files.get(file_id)
        if record is None:
            self.error(404, "no such upload", "not_found")
            return
        if not self._signed(record.signature):
            return
        length = self.left
        got, sha, md5 = receive(self.read, length, record.path)
        if got < length:  # the client went away mid-body
            self.close_connection = True
            return
        with self.ctx.store.lock:
            record.bytes, record.sha256, record.uploaded = got, sha, True
        self.answer(200, headers={"ETag": f'"{md5}"'})

    def put_part(self, upload_id: str, number: str) -> None:
        upload = self.ctx.store.uploads.get(upload_id)
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
        length = self.left
        part_path = self.ctx.store.root / f"{upload_id}.{n}.part"
        got, _, md5 = receive(self.read, length, part_path)
        if got < length:
            self.close_connection = True
            return
        with self.ctx.store.lock:
            upload.parts[n] = (md5, got, part_path)
        self.answer(200, headers={"ETag": f'"{md5}"'})
