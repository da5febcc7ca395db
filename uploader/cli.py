"""``ftdata upload``, ``ftdata serve`` and ``ftdata files``: commands the ``ftdata.commands``
entry point adds to the validator's CLI (see :mod:`validator.cli`), so ``ftdata validate`` never
loads requests or this package.

Exit codes follow ``ftdata validate``: 0 uploaded and accepted (or not waited for, or of a
purpose the server does not validate), 1 invalid (locally, or ``INVALID_FORMAT``/``FAILED`` on
the server), 2 could not upload at all (usage, unreadable file, network or API error, a
malformed answer; the validator's ``main`` prints those). The only output on stderr besides
errors is the progress bar, drawn when stderr is a terminal. The API key is read from the
environment and never written anywhere.

What the server sent is printed with its control characters escaped, and a field it did not
send (the report's schema "may evolve") is printed as ``unknown``, never taken for false.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any, ClassVar, TextIO

import orjson

from uploader.api import FilesClient
from uploader.errors import ValidationFailed, printable
from uploader.gate import UploadResult, upload
from uploader.protocol import (
    PART_TARGET_BYTES,
    PURPOSES,
    REPORT_FIELDS,
    SINGLE_MAX_BYTES,
    server_validates,
)
from uploader.server import DEMO_KEY, LocalServer
from validator import (
    RENDERERS,
    ConfigError,
    Progress,
    UsageError,
    add_config_options,
    config_from_args,
    format_size,
    parse_size,
    resolve_purpose,
)

__all__ = ["register"]


def _size(value: str) -> int:
    try:
        return parse_size(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the upload, serve and files commands (the ``ftdata.commands`` entry point)."""
    up = sub.add_parser(
        "upload", help="validate a dataset, then upload it to the Together Files API",
        description="Validate FILE and upload it only if it passes; print the server's "
        "verdict. Key from TOGETHER_API_KEY, API from TOGETHER_BASE_URL "
        "(default https://api.together.ai/v1). Exit 0 accepted, 1 invalid, 2 not uploaded.")
    up.add_argument("file", metavar="FILE",
                    help="the dataset; - reads standard input (spooled to a temporary file "
                    "first: an upload needs the size and checksum up front)")
    up.add_argument("--name", metavar="NAME",
                    help="with -: the file name sent to the server, whose extension picks "
                    "the file type (default stdin.jsonl)")
    up.add_argument("--purpose", choices=(*PURPOSES, "auto"),
                    help="default: the configured purpose, else fine-tune (auto: CSV is eval, "
                    "the rest fine-tune); the server validates fine-tune files only: for the "
                    "others the file object is returned once uploaded, without waiting")
    up.add_argument("--no-check", action="store_true",
                    help="skip local validation (the server still validates fine-tune files)")
    up.add_argument("--no-wait", action="store_true",
                    help="return once uploaded, without waiting for the server's verdict")
    up.add_argument("--output", "-o", choices=("text", "json"), default="text",
                    help="json: the final file object with its validation_report")
    up.add_argument("--multipart-threshold", type=_size, default=SINGLE_MAX_BYTES,
                    metavar="SIZE", help="upload in parts above this size (default and "
                    "maximum 5GiB)")
    up.add_argument("--part-size", type=_size, default=PART_TARGET_BYTES, metavar="SIZE",
                    help="multipart part size (default 250MiB, at least 5MiB; grown to keep "
                    "at most 250 parts)")
    up.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    add_config_options(up)  # [tool.ftdata] and the severity flags, as for ftdata validate
    up.set_defaults(run=_upload)

    serve = sub.add_parser(
        "serve", help="run a local Together-compatible Files API for dry runs",
        description="Serve the Files API on loopback until Ctrl-C; files live in a temporary "
        "directory removed on exit.")
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address")
    serve.add_argument("--port", type=int, default=0, help="API port (default: any free one)")
    serve.add_argument("--storage-port", type=int, default=0,
                       help="port of the presigned-URL storage listener")
    serve.add_argument("--key", default=DEMO_KEY, help="the bearer key the server accepts")
    serve.add_argument("--step-delay", type=float, default=0.2, metavar="SECONDS",
                       help="how long each processing state lasts")
    serve.set_defaults(run=_serve)

    files = sub.add_parser("files", help="list, show or delete files on the Files API")
    actions = files.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list uploaded files")
    listing.add_argument("--output", "-o", choices=("text", "json"), default="text")
    listing.set_defaults(run=_files_list)
    get = actions.add_parser("get", help="show one file and its validation_report")
    get.add_argument("file_id", metavar="FILE_ID")
    get.add_argument("--output", "-o", choices=("text", "json"), default="text")
    get.set_defaults(run=_files_get)
    delete = actions.add_parser("delete", help="delete a file")
    delete.add_argument("file_id", metavar="FILE_ID")
    delete.set_defaults(run=_files_delete)


class _Bars:
    """One progress bar per phase (validate, hash, upload) on a terminal stream."""

    LABELS: ClassVar[dict[str, str]] = {"validate": "validating", "hash": "hashing",
                                        "upload": "uploading"}

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.phase = ""
        self.bar: Progress | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase.startswith("server:"):  # no bytes to count: one line per status
            self.close()
            self.phase = phase
            status = printable(phase.removeprefix("server:"))
            self.stream.write(f"{self.name}: uploaded; waiting for the server to validate it "
                              f"({status})\n")
            self.stream.flush()
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = Progress(self.stream, f"{self.name} {self.LABELS.get(phase, phase)}",
                                total)
        assert self.bar is not None
        self.bar(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _upload(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.name and args.file != "-":
        raise UsageError("--name names standard input: pass - as FILE")
    if args.file != "-":
        return _upload_file(args, out, err)
    import shutil  # noqa: PLC0415 - only for standard input
    import tempfile  # noqa: PLC0415

    name = os.path.basename(args.name or "stdin.jsonl")
    with tempfile.TemporaryDirectory(prefix="ftdata-upload-") as folder:
        path = os.path.join(folder, name)  # the name the server is sent
        with open(path, "xb") as spool:
            shutil.copyfileobj(args.stdin, spool, 1 << 20)
        args.file = path
        return _upload_file(args, out, err)


def _upload_file(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = config_from_args(args, file=args.file)  # the file's [tool.ftdata]
    purpose = resolve_purpose(args.purpose or config.purpose or "fine-tune", args.file)
    bars = None if args.no_progress or not err.isatty() else _Bars(err, args.file)
    with FilesClient.from_env() as client:
        try:
            result = upload(args.file, purpose, check=not args.no_check, client=client,
                            config=config,
                            wait=not args.no_wait, multipart_threshold=args.multipart_threshold,
                            part_size=args.part_size, progress=bars)
        except ValidationFailed as exc:
            out.write(RENDERERS[args.output]([exc.report]))
            err.write(f"ftdata: {args.file}: not uploaded: fix the errors above, or pass "
                      "--no-check to let the server judge it\n")
            return 1
        finally:
            if bars is not None:
                bars.close()
    if args.output == "json":
        out.write(_json(result.file))
    else:
        out.write(_describe(args.file, result))
    return _exit_code(result.file)


def _exit_code(doc: dict[str, Any]) -> int:
    """1 when the server judged the file invalid or could not process it, else 0."""
    report = doc.get("validation_report")
    invalid = isinstance(report, dict) and report.get("valid") is False
    return 1 if invalid or doc.get("processing_status") in ("INVALID_FORMAT", "FAILED") else 0


def _describe(path: str, result: UploadResult) -> str:
    fid = _shown(result.file_id or None)
    if result.reused:
        lines = [f"{path}: the server already has this file as {fid}; nothing was sent"]
    else:
        how = "in parts" if result.multipart else "in one request"
        lines = [f"{path}: uploaded as {fid} ({_human(result.file.get('bytes'))}, {how})"]
    return "\n".join([*lines, _verdict(result.file, result.purpose)]) + "\n"


def _shown(value: object) -> str:
    """A value the server sent, fit for a terminal: ``unknown`` when it did not send one."""
    return "unknown" if value is None else printable(str(value))


_FLAGS = [name for name, kind in REPORT_FIELDS.items()
          if kind is bool and name.startswith("dataset_")]


def _verdict(doc: dict[str, Any], purpose: object = None) -> str:
    """One line for the server's verdict. ``purpose``: the one uploaded for, else the file
    object's. Reports and file objects are read as :func:`uploader.api.check_file` let them
    through: each field of the right type, or missing (unknown)."""
    fid, status = _shown(doc.get("id")), doc.get("processing_status")
    purpose = purpose if purpose is not None else doc.get("purpose")
    report = doc.get("validation_report")
    if not isinstance(report, dict):
        if status == "FAILED":
            return f"{fid}: FAILED: the server could not process the file"
        if status == "INVALID_FORMAT":
            return f"{fid}: INVALID_FORMAT (the server sent no validation_report)"
        if purpose is not None and not server_validates(purpose):
            return (f"{fid}: purpose {_shown(purpose)}: not validated by the server for this "
                    f"purpose (status {_shown(status)})")
        if status == "COMPLETED":
            return f"{fid}: COMPLETED (the server sent no validation_report)"
        if status is None:
            return f"{fid}: status unknown (the server sent no processing_status)"
        return (f"{fid}: {_shown(status)}: still processing; `ftdata files get {fid}` shows "
                "the verdict")
    shown_status = "status unknown" if status is None else _shown(status)
    if status == "INVALID_FORMAT" or report.get("valid") is False:
        error = report.get("error")
        return f"{fid}: {shown_status}: {'error unknown' if error is None else _shown(error)}"
    if "dataset_format" not in report:
        kind = "format unknown"
    else:
        kind = _shown(report["dataset_format"]) if report["dataset_format"] is not None \
            else "pre-tokenized Parquet" if str(doc.get("filename", "")).lower().endswith(
                ".parquet") else "no dataset format"
    nlines = report.get("nlines")
    count = f"{nlines:,} samples" if isinstance(nlines, int) else "samples unknown"
    flags = [_shown(name.removeprefix("dataset_").replace("_", " "))
             for name, value in report.items() if name.startswith("dataset_") and value is True]
    unknown = [name.removeprefix("dataset_").replace("_", " ") for name in _FLAGS
               if report.get(name) is None]
    line = f"{fid}: {shown_status}: {kind}, {count}"
    if report.get("valid") is None:
        line += " (validity unknown)"
    if flags:
        line += f"; {', '.join(flags)}"
    if unknown:
        line += f"; unknown: {', '.join(unknown)}"
    return line


def _human(n: object) -> str:
    if not isinstance(n, int | float) or isinstance(n, bool):
        return "size unknown"
    return format_size(float(n))


def _json(doc: Any) -> str:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    server = LocalServer(args.host, args.port, storage_port=args.storage_port, api_key=args.key,
                         step_delay=args.step_delay).start()
    shown_key = args.key if args.key == DEMO_KEY else "<the key given with --key>"
    out.write(f"ftdata: local Files API on {server.base_url} (storage on {server.storage_url})\n"
              f"  export TOGETHER_BASE_URL={server.base_url.removesuffix('/v1')}\n"
              f"  export TOGETHER_API_KEY={shown_key}\n"
              "(ftdata and together SDK 3.x read the base URL without /v1; SDK 1.x wants "
              f"{server.base_url})\n"
              "Ctrl-C stops it.\n")
    out.flush()
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("uploader.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    stopped = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        logger.removeHandler(handler)
        server.close()  # bounded (LocalServer.close), so a SIGTERM always ends it
        if previous is not None:  # only now: a second SIGTERM must not break off the close
            signal.signal(signal.SIGTERM, previous)
    return 0


def _files_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with FilesClient.from_env() as client:
        files = client.list_files()
    if args.output == "json":
        out.write(_json(files))
        return 0
    for doc in files:
        out.write(f"{_shown(doc.get('id'))}  {_shown(doc.get('purpose'))}  "
                  f"{_shown(doc.get('processing_status'))}  {_human(doc.get('bytes'))}  "
                  f"{_shown(doc.get('filename'))}\n")
    return 0


def _files_get(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with FilesClient.from_env() as client:
        doc = client.retrieve(args.file_id)
    if args.output == "json":
        out.write(_json(doc))
    else:
        out.write(f"{_shown(doc.get('id'))}: {_shown(doc.get('filename'))}, "
                  f"{_human(doc.get('bytes'))}, purpose {_shown(doc.get('purpose'))}\n"
                  f"{_verdict(doc)}\n")
    return _exit_code(doc)


def _files_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with FilesClient.from_env() as client:
        client.delete(args.file_id)
    out.write(f"deleted {args.file_id}\n")
    return 0
