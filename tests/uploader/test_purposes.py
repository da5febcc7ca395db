"""Purposes the server does not validate (eval, batch-api, calibration): the upload returns the
file object as soon as it is uploaded and preprocessed, never polls for a status or report that
may never come, and the local server models them (stored at once, no validation_report)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import pytest

from tests.uploader.conftest import CHAT, MULTIPART, Upload, write_jsonl
from uploader.server import LocalServer
from uploader.server.store import Store
from validator.cli.main import main

BATCH = {"custom_id": "req-1", "body": {"model": "m", "messages": [
    {"role": "user", "content": "What is 2+2?"}]}}


def _file(tmp_path: Path, purpose: str) -> Path:
    if purpose == "batch-api":
        return write_jsonl(tmp_path / "batch.jsonl", BATCH)
    return write_jsonl(tmp_path / f"{purpose}.jsonl", CHAT, CHAT)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("purpose", ["eval", "batch-api", "calibration"])
def test_the_file_object_comes_back_without_polling(server: LocalServer, send: Upload,
                                                    tmp_path: Path, purpose: str) -> None:
    server.store.step_delay = 5.0  # a pipeline would take 10 s: none runs for these purposes
    result = send(_file(tmp_path, purpose), purpose=purpose)
    assert not result.server_validated and result.purpose == purpose
    assert (result.status, result.validation_report) == ("COMPLETED", None)
    assert result.file["purpose"] == purpose and "validation_report" not in result.file
    assert [r.kind for r in server.requests()] == ["create", "put", "preprocess", "get"]
    assert server.file(result.file_id).history == ["PENDING", "COMPLETED"]


def test_it_does_not_wait_for_a_status_that_never_comes(server: LocalServer, send: Upload,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that leaves an eval file PENDING for ever: upload returns at once anyway."""
    monkeypatch.setattr(Store, "process", lambda self, record: None)
    result = send(_file(tmp_path, "eval"), purpose="eval")
    assert result.status == "PENDING"
    assert len(server.requests("get")) == 1  # the file object, fetched once, never polled


def test_a_multipart_eval_upload_returns_what_complete_answered(server: LocalServer,
                                                                send: Upload,
                                                                medium: Path) -> None:
    result = send(medium, purpose="eval", **MULTIPART)
    assert result.multipart and result.status == "COMPLETED"
    assert result.validation_report is None
    assert server.requests("get") == []


def test_fine_tune_is_still_waited_for_and_no_wait_still_returns_early(
        server: LocalServer, send: Upload, small: Path, tmp_path: Path) -> None:
    assert send(small).server_validated
    server.store.step_delay = 2.0
    early = send(write_jsonl(tmp_path / "other.jsonl", CHAT), wait=False)
    assert early.status in ("QUEUED", "RUNNING") and early.validation_report is None


def test_an_eval_csv_through_the_one_shot_endpoint_is_not_validated(server: LocalServer) -> None:
    import requests

    form: dict[str, tuple[str | None, bytes]] = {
        "file": ("e.csv", b"q,a\n1,2\n"), "purpose": (None, b"eval"),
        "file_name": (None, b"e.csv"), "file_type": (None, b"csv")}
    with requests.post(f"{server.base_url}/files/upload", timeout=5, files=form,
                       headers={"Authorization": f"Bearer {server.api_key}"}) as resp:
        doc = resp.json()
    assert resp.status_code == 200
    assert doc["processing_status"] == "COMPLETED" and "validation_report" not in doc


def test_the_server_still_fails_an_eval_file_whose_bytes_do_not_match(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = store.new_file("e.jsonl", "eval", "jsonl", "0" * 64)
    record.uploaded, record.sha256 = True, "1" * 64
    store.process(record)
    assert (record.status, record.report, record.history) == ("FAILED", None,
                                                              ["PENDING", "FAILED"])
    store.close()


@pytest.mark.parametrize("purpose", ["eval", "batch-api", "calibration"])
def test_the_cli_says_the_server_does_not_validate_it(cli_env: LocalServer, tmp_path: Path,
                                                      purpose: str) -> None:
    path = _file(tmp_path, purpose)
    code, out, err = run("upload", "--purpose", purpose, str(path))
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert re.fullmatch(rf"{path}: uploaded as file-[0-9a-f-]+ \(\d+ B, in one request\)", first)
    assert re.fullmatch(rf"file-[0-9a-f-]+: purpose {purpose}: not validated by the server "
                        r"for this purpose \(status COMPLETED\)", second)
    fid = second.split(":")[0]
    code, out, _ = run("files", "get", fid)
    assert code == 0
    assert out.splitlines()[1] == second


def test_an_eval_csv_from_the_cli_in_json(cli_env: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "eval.csv"
    path.write_text("question,answer\n1+1,2\n")
    code, out, _ = run("upload", "--purpose", "eval", "-o", "json", str(path))
    assert code == 0
    doc = orjson.loads(out)
    assert (doc["purpose"], doc["FileType"], doc["processing_status"]) == ("eval", "csv",
                                                                          "COMPLETED")
    assert "validation_report" not in doc


def test_a_pending_eval_file_is_not_called_still_processing(cli_env: LocalServer,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setattr(Store, "process", lambda self, record: None)
    code, out, _ = run("upload", "--purpose", "eval", str(_file(tmp_path, "eval")))
    assert code == 0
    assert out.splitlines()[1].endswith(
        ": purpose eval: not validated by the server for this purpose (status PENDING)")
    assert "still processing" not in out
