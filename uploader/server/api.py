"""The Files API listener: every endpoint of SPEC §5 under ``/v1``, behind a bearer key, and
the model endpoints (``GET /fine-tunes/models/limits``, :mod:`uploader.server.models`;
``POST /fine-tunes/preview``, :mod:`uploader.server.preview`).

``POST /files`` takes its fields as ``multipart/form-data`` (the docs, SDK 3.x) or
form-urlencoded (SDK 1.x), with ``checksum`` optional (SDK 1.x sends none). Idempotent where the
client may repeat itself after a lost answer: a repeated ``POST /files`` or ``initiate`` for a
checksum whose bytes never arrived gets the same file again, one whose bytes are in gets ``409``
naming it; ``preprocess``, ``complete`` and ``abort`` may be repeated. Without a checksum there
is nothing to recognize a repeat by: every ``POST /files`` is a new file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
from collections.abc import Callable
from typing import Any

import orjson

from uploader.protocol import FILE_ID_HEADER, FILE_TYPES, MAX_PARTS, PART_MIN_BYTES, PURPOSES
from uploader.server.handler import BadForm, Form, Handler, Route, parse_form
from uploader.server.models import Refusal, model_limits
from uploader.server.preview import preview_rows
from uploader.server.store import MultipartUpload, StoredFile

__all__ = ["ApiHandler"]

_ID = r"(file-[0-9a-f-]+)"
_JSON_MAX = 1 << 20
_FORM_MAX = 64 << 10  # POST /files: four short fields
_ONE_SHOT_MAX = 64 << 20  # POST /files/upload holds the body in memory: keep it small
_PART_HEADERS = {"Content-Type": "application/octet-stream"}


def _r(method: str, path: str, kind: str, action: str) -> Route:
    return Route(method, re.compile("/v1" + path), kind, action)


class ApiHandler(Handler):
    listener = "api"
    routes = (
        _r("POST", "/files", "create", "create"),
        _r("POST", "/files/upload", "upload", "one_shot"),
        _r("POST", "/files/multipart/initiate", "initiate", "initiate"),
        _r("POST", "/files/multipart/complete", "complete", "complete"),
        _r("POST", "/files/multipart/abort", "abort", "abort"),
        _r("GET", "/files", "list", "list_files"),
        _r("GET", f"/files/{_ID}", "get", "get_file"),
        _r("DELETE", f"/files/{_ID}", "delete", "delete_file"),
        _r("GET", f"/files/{_ID}/content", "content", "content"),
        _r("POST", f"/files/{_ID}/preprocess", "preprocess", "preprocess"),
        _r("GET", "/fine-tunes/models/limits", "limits", "limits"),
        _r("POST", "/fine-tunes/preview", "preview", "preview"),
    )

    def authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.ctx.api_key}"
        if hmac.compare_digest(given.encode(), expected.encode()):
            return True
        self.error(401, "invalid or missing API key: send Authorization: Bearer <key>",
                   "authentication_error")
        return False

    # -- helpers ---------------------------------------------------------------------------

    def _json_body(self) -> dict[str, Any] | None:
        if self.left > _JSON_MAX:
            self.error(413, "request body too large", "invalid_request_error")
            return None
        try:
            doc = orjson.loads(self.read(self.left) or b"{}")
        except orjson.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            self.error(400, "the body must be a JSON object", "invalid_request_error")
            return None
        return doc

    def _form(self, limit: int, *, files: bool, too_big: str) -> Form | None:
        """The body as a form of at most ``limit`` bytes (see :func:`parse_form`); None after
        answering 413 or 400."""
        if self.left > limit:
            self.error(413, too_big, "invalid_request_error")
            return None
        try:
            return parse_form(self.headers.get("Content-Type"), self.read(self.left),
                              files=files)
        except BadForm as exc:
            self.error(400, str(exc), "invalid_request_error")
            return None

    def _fields(self, doc: dict[str, Any], names: tuple[str, ...]) -> bool:
        """Check the common upload fields; answer 400 naming the first bad one."""
        checks: dict[str, Callable[[Any], bool]] = {
            "purpose": lambda v: v in PURPOSES, "file_type": lambda v: v in FILE_TYPES,
            "file_name": lambda v: isinstance(v, str) and bool(v),
            "checksum": lambda v: isinstance(v, str) and bool(re.fullmatch("[0-9a-f]{64}", v))}
        for name in names:
            if not checks[name](doc.get(name)):
                self.error(400, f"missing or invalid field {name!r}", "invalid_request_error",
                           param=name)
                return False
        return True

    def _conflict(self, existing: StoredFile) -> None:
        # file_id both in the error (where the docs put it) and at the top (where SDK 3.x looks)
        self.send_json(409, {"error": {"message": f"a file with this checksum already exists: "
                                                  f"{existing.id}", "type": "file_exists",
                                       "file_id": existing.id}, "file_id": existing.id},
                       headers={FILE_ID_HEADER: existing.id})

    def _file(self, file_id: str) -> StoredFile | None:
        record = self.ctx.store.files.get(file_id)
        if record is None:
            self.error(404, f"no file {file_id}", "not_found")
        return record

    def _presigned(self, path: str, signature: str) -> str:
        return f"{self.ctx.storage_url}{path}?X-Amz-Signature={signature}&X-Amz-Expires=3600"

    # -- single upload ---------------------------------------------------------------------

    def create(self) -> None:
        parsed = self._form(_FORM_MAX, files=False, too_big="request body too large")
        if parsed is None:
            return
        form: dict[str, Any] = dict(parsed[0])
        form["checksum"] = form.get("checksum") or None  # optional: SDK 1.x sends none
        if not self._fields(form, ("purpose", "file_name", "file_type")
                            + (("checksum",) if form["checksum"] else ())):
            return
        record = self._reserve(form, reuse_pending=True)
        if record is None:
            return
        self.answer(302, headers={"Location": self._presigned(f"/storage/{record.id}",
                                                              record.signature),
                                  FILE_ID_HEADER: record.id})

    def _reserve(self, form: dict[str, Any], *, reuse_pending: bool) -> StoredFile | None:
        """The file record for an upload of ``form``'s checksum, or None after answering 409
        (an identical file is already uploaded). ``reuse_pending``: a record whose bytes never
        arrived is handed out again rather than duplicated."""
        store = self.ctx.store
        if form["checksum"] is None:  # nothing to recognize an identical file by
            return store.new_file(form["file_name"], form["purpose"], form["file_type"], None)
        with store.lock:
            existing = store.same_checksum(form["checksum"])
            if existing is not None and existing.uploaded:
                self._conflict(existing)
                return None
            if reuse_pending and existing is not None:
                return existing
            return store.new_file(form["file_name"], form["purpose"], form["file_type"],
                                  form["checksum"])

    def preprocess(self, file_id: str) -> None:
        record = self._file(file_id)
        if record is None:
            return
        if not record.uploaded:
            self.error(400, f"{file_id} has no content yet: PUT it to its upload URL first",
                       "invalid_request_error")
            return
        self.ctx.store.process(record)
        self.send_json(200, record.to_json())

    def one_shot(self) -> None:
        """``POST /files/upload``: a multipart/form-data body with the file in it."""
        parsed = self._form(_ONE_SHOT_MAX, files=True,
                            too_big="use POST /files for files over 64 MiB")
        if parsed is None:
            return
        form: dict[str, Any] = dict(parsed[0])
        content = parsed[1].get("file", b"")
        form.setdefault("file_type", "jsonl")
        form["checksum"] = hashlib.sha256(content).hexdigest()
        if not self._fields(form, ("purpose", "file_name", "file_type")):
            return
        if "file" not in parsed[1]:
            self.error(400, "missing field 'file' (the file's part)", "invalid_request_error",
                       param="file")
            return
        record = self._reserve(form, reuse_pending=False)
        if record is None:
            return
        store = self.ctx.store
        record.path.write_bytes(content)
        record.bytes, record.sha256, record.uploaded = len(content), form["checksum"], True
        status, record.report = store.judge(record)  # the one-shot answers with the verdict
        store.set_status(record, status)
        self.send_json(200, record.to_json())

    # -- multipart -------------------------------------------------------------------------

    def initiate(self) -> None:
        doc = self._json_body()
        if doc is None or not self._fields(doc, ("purpose", "file_name", "file_type",
                                                 "checksum")):
            return
        size, count = doc.get("file_size"), doc.get("num_parts")
        if not isinstance(size, int) or not isinstance(count, int) or size <= 0 \
                or not 1 <= count <= MAX_PARTS or count > -(-size // PART_MIN_BYTES):
            self.error(400, f"file_size and num_parts (1..{MAX_PARTS}, parts of 5 MiB or "
                       "more) do not fit", "invalid_request_error")
            return
        store = self.ctx.store
        with store.lock:
            existing = store.same_checksum(doc["checksum"])
            if existing is not None and existing.uploaded:
                self._conflict(existing)
                return
            upload = next((u for u in store.uploads.values() if u.state == "open"
                           and u.file is existing and u.num_parts == count), None)
            if upload is None:
                record = store.new_file(doc["file_name"], doc["purpose"], doc["file_type"],
                                        doc["checksum"])
                upload = MultipartUpload(f"mpu-{record.id[5:]}", record, count, size,
                                         dict(_PART_HEADERS))
                store.uploads[upload.id] = upload
        self.send_json(200, {
            "upload_id": upload.id, "file_id": upload.file.id,
            "parts": [{"PartNumber": n, "Headers": upload.headers,
                       "URL": self._presigned(f"/parts/{upload.id}/{n}", upload.signature)}
                      for n in range(1, count + 1)]})

    def _upload(self, doc: dict[str, Any]) -> MultipartUpload | None:
        upload = self.ctx.store.uploads.get(str(doc.get("upload_id")))
        if upload is None or upload.file.id != doc.get("file_id"):
            self.error(404, "no such multipart upload", "not_found")
            return None
        return upload

    def complete(self) -> None:
        doc = self._json_body()
        upload = None if doc is None else self._upload(doc)
        if doc is None or upload is None:
            return
        with self.ctx.store.lock:  # checked and claimed at once: no PUT or complete between
            busy = bool(upload.receiving) or upload.state == "completing"
            problem = self._incomplete(upload, doc.get("parts"))
            if problem is None:
                upload.state = "completing"
        if problem == "completed":  # a repeat after a lost answer
            self.send_json(200, {"file": upload.file.to_json()})
            return
        if problem is not None:
            self.error(409 if busy else 400, problem,
                       "conflict" if busy else "invalid_request_error")
            return
        record = upload.file
        sha = hashlib.sha256()
        try:
            with record.path.open("wb") as out:
                for n in range(1, upload.num_parts + 1):
                    with upload.parts[n][2].open("rb") as part:
                        while block := part.read(1 << 20):
                            sha.update(block)
                            out.write(block)
        except BaseException:
            upload.state = "open"  # a complete that broke off may be tried again
            raise
        for _, _, part_path in upload.parts.values():
            part_path.unlink()
        record.bytes, record.sha256, record.uploaded = upload.size, sha.hexdigest(), True
        upload.state = "completed"
        self.ctx.store.process(record)
        self.send_json(200, {"file": record.to_json()})

    @staticmethod
    def _incomplete(upload: MultipartUpload, listed: object) -> str | None:
        """Why ``upload`` cannot be completed with ``listed`` now (``completed``: it was)."""
        if upload.state in ("completed", "completing"):
            return "completed" if upload.state == "completed" else "already being completed"
        if upload.receiving:
            return "parts are still being uploaded: complete once every PUT has answered"
        wanted = [{"part_number": n, "etag": upload.parts[n][0]} if n in upload.parts else None
                  for n in range(1, upload.num_parts + 1)]
        if upload.state != "open" or listed != wanted:
            return ("parts must list every part once, sorted by part_number, with the ETag its "
                    "PUT returned")
        if sum(upload.parts[n][1] for n in upload.parts) != upload.size:
            return "the parts do not add up to file_size"
        return None

    def abort(self) -> None:
        doc = self._json_body()
        upload = None if doc is None else self._upload(doc)
        if upload is None:
            return
        with self.ctx.store.lock:
            aborted = upload.state == "open"
            if aborted:
                upload.state = "aborted"  # a part still arriving is dropped when it ends
        if aborted:
            for _, _, part_path in upload.parts.values():
                part_path.unlink(missing_ok=True)
            self.ctx.store.delete(upload.file.id)
        self.send_json(200, {"upload_id": upload.id, "file_id": upload.file.id,
                             "status": upload.state})

    # -- models ----------------------------------------------------------------------------

    def limits(self) -> None:
        """``GET /fine-tunes/models/limits?model_name=M``: see :mod:`uploader.server.models`."""
        self._answer(model_limits(self.record.query))

    def preview(self) -> None:
        """``POST /fine-tunes/preview``: see :mod:`uploader.server.preview`."""
        doc = self._json_body()
        if doc is not None:
            self._answer(preview_rows(doc, self.ctx.store))

    def _answer(self, answer: dict[str, Any] | Refusal) -> None:
        if isinstance(answer, Refusal) and answer.param:
            self.error(answer.status, answer.message, answer.type, param=answer.param)
        elif isinstance(answer, Refusal):
            self.error(answer.status, answer.message, answer.type)
        else:
            self.send_json(200, answer)

    # -- reading and deleting --------------------------------------------------------------

    def list_files(self) -> None:
        with self.ctx.store.lock:
            files = [f.to_json() for f in self.ctx.store.files.values()]
        self.send_json(200, {"object": "list", "data": files})

    def get_file(self, file_id: str) -> None:
        record = self._file(file_id)
        if record is not None:
            self.send_json(200, record.to_json())

    def delete_file(self, file_id: str) -> None:
        if self._file(file_id) is not None:
            self.ctx.store.delete(file_id)
            self.send_json(200, {"id": file_id, "object": "file", "deleted": True})

    def content(self, file_id: str) -> None:
        record = self._file(file_id)
        if record is None:
            return
        if not record.uploaded:
            self.error(404, f"{file_id} has no content yet", "not_found")
            return
        self.finish_body()
        self.record.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(record.bytes))
        self.end_headers()
        with record.path.open("rb") as data:
            shutil.copyfileobj(data, self.wfile, 1 << 20)
