"""Server answers read defensively: a validation_report missing fields is read as unknown (the
docs say its schema may evolve), never as false and never a KeyError; a malformed answer (a
field of the wrong type, a report that is not an object, deep, huge or broken JSON) is an
UnexpectedResponse or ApiError, read with bounded memory, over real HTTP to the local server."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.uploader.conftest import Upload
from uploader import ApiError, FilesClient, UnexpectedResponse
from uploader.api import check_file
from uploader.protocol import MAX_ANSWER_BYTES
from uploader.server import LocalServer
from uploader.server.api import ApiHandler
from uploader.server.store import Store, StoredFile
from validator.cli.main import main

Raw = Callable[..., None]
FLAGS = ("has sample weights", "has message weights", "is multimodal", "has tools",
         "has parallel tool calls", "has reasoning")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def raw(monkeypatch: pytest.MonkeyPatch) -> Raw:
    """``raw(action, body, status=200, headers=None)``: the local server answers the endpoint
    whose handler method is ``action`` with exactly these bytes."""
    def plan(action: str, body: bytes, status: int = 200,
             headers: dict[str, str] | None = None) -> None:
        def answer(self: ApiHandler, *groups: str) -> None:
            self.answer(status, body, headers=headers)
        monkeypatch.setattr(ApiHandler, action, answer)
    return plan


def _judged_as(monkeypatch: pytest.MonkeyPatch, status: str, report: Any) -> None:
    """The server's verdict on every file from now on."""
    def judge(record: StoredFile) -> tuple[str, Any]:
        return status, report
    monkeypatch.setattr(Store, "judge", staticmethod(judge))


# -- missing fields are unknown ------------------------------------------------------------

@pytest.mark.parametrize("report", [{}, {"valid": True}, {"nlines": 3, "error": None},
                                    {"valid": True, "dataset_format": None, "nlines": None}])
def test_a_report_with_few_fields_is_read_without_error(send: Upload, small: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        report: dict[str, Any]) -> None:
    _judged_as(monkeypatch, "COMPLETED", report)
    result = send(small)
    assert (result.status, result.validation_report) == ("COMPLETED", report)


def test_the_cli_prints_unknown_for_missing_fields(cli_env: LocalServer, small: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _judged_as(monkeypatch, "COMPLETED", {"valid": True, "dataset_has_tools": True})
    code, out, err = run("upload", str(small))
    assert (code, err) == (0, "")
    verdict = out.splitlines()[1]
    assert verdict.endswith(": COMPLETED: format unknown, samples unknown; has tools; unknown: "
                            + ", ".join(f for f in FLAGS if f != "has tools"))
    assert "False" not in verdict and "None" not in verdict


def test_files_get_with_an_empty_report(cli_env: LocalServer, send: Upload, small: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _judged_as(monkeypatch, "COMPLETED", {})
    fid = send(small).file_id
    code, out, _ = run("files", "get", fid)
    assert code == 0  # a missing "valid" is not false
    assert out.splitlines()[1] == (f"{fid}: COMPLETED: format unknown, samples unknown "
                                   f"(validity unknown); unknown: {', '.join(FLAGS)}")


def test_an_invalid_file_without_an_error_message(cli_env: LocalServer, send: Upload,
                                                  small: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _judged_as(monkeypatch, "INVALID_FORMAT", {"valid": False})
    fid = send(small).file_id
    code, out, _ = run("files", "get", fid)
    assert code == 1
    assert out.splitlines()[1] == f"{fid}: INVALID_FORMAT: error unknown"


def test_a_file_object_with_almost_nothing_in_it(cli_env: LocalServer, raw: Raw) -> None:
    raw("get_file", b'{"id": "file-0"}')
    code, out, err = run("files", "get", "file-0")
    assert (code, err) == (0, "")
    assert out == ("file-0: unknown, size unknown, purpose unknown\n"
                   "file-0: status unknown (the server sent no processing_status)\n")


def test_files_list_prints_unknown_for_missing_fields(cli_env: LocalServer, raw: Raw) -> None:
    raw("list_files", b'{"object": "list", "data": [{"id": "file-0"}, {}]}')
    code, out, _ = run("files", "list")
    assert code == 0
    assert out == ("file-0  unknown  unknown  size unknown  unknown\n"
                   "unknown  unknown  unknown  size unknown  unknown\n")


def test_a_null_processing_status_is_not_waited_for(client: FilesClient, raw: Raw) -> None:
    from uploader.poll import PollPolicy, wait_processed

    raw("get_file", b'{"id": "file-0", "processing_status": null}')
    doc = wait_processed(client, "file-0", PollPolicy(timeout=1))
    assert doc["processing_status"] is None


def test_unknown_fields_are_kept(send: Upload, small: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _judged_as(monkeypatch, "COMPLETED", {"valid": True, "nlines": 2, "token_count": "many",
                                          "dataset_has_audio": True})
    result = send(small)
    assert result.validation_report is not None
    assert result.validation_report["token_count"] == "many"


# -- fields of the wrong type --------------------------------------------------------------

@pytest.mark.parametrize(("report", "message"), [
    ({"nlines": "12"}, "validation_report.nlines is a string, not an integer"),
    ({"nlines": 1.5}, "validation_report.nlines is a number, not an integer"),
    ({"nlines": True}, "validation_report.nlines is a boolean, not an integer"),
    ({"nlines": -1}, "validation_report.nlines is negative"),
    ({"valid": "false"}, "validation_report.valid is a string, not a boolean"),
    ({"dataset_has_tools": 0}, "validation_report.dataset_has_tools is an integer, not a "
                               "boolean"),
    ({"error": {"message": "x"}}, "validation_report.error is an object, not a string"),
    ([], "validation_report is an array, not an object"),
    ("Line 1: bad", "validation_report is a string, not an object"),
    (7, "validation_report is an integer, not an object"),
])
def test_a_malformed_report_is_a_clear_error(client: FilesClient, raw: Raw, report: Any,
                                             message: str) -> None:
    raw("get_file", orjson.dumps({"id": "file-0", "processing_status": "COMPLETED",
                                  "validation_report": report}))
    with pytest.raises(UnexpectedResponse) as caught:
        client.retrieve("file-0")
    assert str(caught.value).startswith(f"GET /files/file-0: {message} (http://127.0.0.1:")


def test_an_upload_whose_report_has_nlines_as_a_string(send: Upload, small: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _judged_as(monkeypatch, "COMPLETED", {"valid": True, "nlines": "2"})
    with pytest.raises(UnexpectedResponse,
                       match=r"validation_report\.nlines is a string, not an integer"):
        send(small)


@pytest.mark.parametrize(("doc", "message"), [
    ({"id": "file-0", "processing_status": ["COMPLETED"]}, "processing_status is an array"),
    ({"id": "file-0", "bytes": "12"}, "bytes is a string, not an integer"),
    ({"id": 17}, "id is an integer, not a string"),
    ({"id": "file-1"}, "the file object of another file"),
])
def test_a_malformed_file_object_is_a_clear_error(client: FilesClient, raw: Raw,
                                                  doc: dict[str, Any], message: str) -> None:
    raw("get_file", orjson.dumps(doc))
    with pytest.raises(UnexpectedResponse, match=message):
        client.retrieve("file-0")


def test_files_get_of_a_malformed_report_exits_2(cli_env: LocalServer, raw: Raw) -> None:
    raw("get_file", orjson.dumps({"id": "file-0", "validation_report": {"nlines": "3"}}))
    code, out, err = run("files", "get", "file-0")
    assert (code, out) == (2, "")
    assert "validation_report.nlines is a string, not an integer" in err


def test_a_listing_with_a_malformed_file_is_a_clear_error(client: FilesClient,
                                                          raw: Raw) -> None:
    raw("list_files", b'{"data": [{"id": "file-0"}, "file-1"]}')
    with pytest.raises(UnexpectedResponse, match="a file in data is a string, not an object"):
        client.list_files()


def test_check_file_leaves_a_good_object_alone() -> None:
    doc = {"id": "file-0", "processing_status": "COMPLETED", "bytes": 3, "LineCount": "odd",
           "validation_report": {"valid": None, "nlines": 0, "future": [1]}}
    assert check_file(doc, what="x") is doc


# -- deep, huge and broken JSON --------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"[" * 100_000,
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    b"<html>502 Bad Gateway</html>",
    b'{"id": "file-0", "filename": "\xff\xfe"}',
    b"",
    b'["file-0"]',
])
def test_an_answer_that_is_not_a_json_object_is_a_clear_error(client: FilesClient, raw: Raw,
                                                              body: bytes) -> None:
    raw("get_file", body)
    with pytest.raises(UnexpectedResponse, match="the answer is not a JSON object"):
        client.retrieve("file-0")


def test_a_deep_error_answer_still_gives_a_message(client: FilesClient, raw: Raw) -> None:
    raw("get_file", b"[" * 100_000, status=404)
    with pytest.raises(ApiError) as caught:
        client.retrieve("file-0")
    assert caught.value.status == 404
    assert caught.value.server_message is not None
    assert caught.value.server_message == "[" * 300


def test_a_huge_answer_is_refused_after_the_cap(client: FilesClient, raw: Raw) -> None:
    padding = b" " * (MAX_ANSWER_BYTES + 1)
    raw("get_file", b'{"id": "file-0"' + padding + b"}")
    with pytest.raises(UnexpectedResponse, match="the answer is larger than 16,777,216 bytes"):
        client.retrieve("file-0")
    raw("get_file", b'{"id": "file-0"}')
    assert client.retrieve("file-0") == {"id": "file-0"}  # the cut connection was not reused


def test_reading_a_huge_answer_takes_bounded_memory(client: FilesClient, raw: Raw) -> None:
    import tracemalloc

    body = b'{"id": "file-0", "x": "' + b"a" * (64 << 20) + b'"}'
    raw("get_file", body)
    tracemalloc.start()
    try:
        with pytest.raises(UnexpectedResponse, match="larger than"):
            client.retrieve("file-0")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_ANSWER_BYTES  # the cap (and one copy of it), not the 64 MiB body


def test_a_huge_error_answer_is_cut(client: FilesClient, server: LocalServer) -> None:
    server.inject("get", 400, message="x" * (MAX_ANSWER_BYTES + 10))
    with pytest.raises(ApiError) as caught:
        client.retrieve("file-0")
    assert caught.value.status == 400
    assert caught.value.server_message is not None
    assert len(caught.value.server_message) <= 300


def test_a_deep_409_names_no_file(send: Upload, small: Path, raw: Raw) -> None:
    raw("create", b"[" * 100_000, status=409)
    with pytest.raises(UnexpectedResponse, match="409 without the existing file's id"):
        send(small)


def test_control_characters_from_the_server_are_escaped(client: FilesClient,
                                                        server: LocalServer) -> None:
    server.inject("get", 400, message="\x1b[2J\x1b]0;owned\x07 gone \u202eevil")
    with pytest.raises(ApiError) as caught:
        client.retrieve("file-0")
    text = str(caught.value)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.endswith(": \\x1b[2J\\x1b]0;owned\\x07 gone \\u202eevil")


def test_control_characters_in_a_file_object_are_escaped_in_text(cli_env: LocalServer,
                                                                 raw: Raw) -> None:
    raw("get_file", orjson.dumps({"id": "file-0", "filename": "a\x1b[31mb.jsonl",
                                  "processing_status": "COMPLETED", "purpose": "eval"}))
    code, out, _ = run("files", "get", "file-0")
    assert code == 0
    assert "\x1b" not in out and "a\\x1b[31mb.jsonl" in out


def test_a_file_id_cannot_reach_another_path(cli_env: LocalServer) -> None:
    code, _, err = run("files", "get", "../files?x=1")
    assert code == 2 and "HTTP 404" in err
    (request,) = cli_env.requests()
    assert request.path == "/v1/files/..%2Ffiles%3Fx%3D1" and request.query == ""
