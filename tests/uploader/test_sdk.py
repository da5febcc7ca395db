"""The official ``together`` SDKs as clients of ``ftdata serve``, over real HTTP (SPEC §5).

SDK 3.x is a test dependency of the project. SDK 1.x cannot share its venv (same package), so
it runs in its own, built on first use like the benchmark venvs (``benchmarks/.venvs/``); the
1.x tests skip when that venv cannot be built (no package index).

The two generations read ``TOGETHER_BASE_URL`` differently: 1.x wants the API root with
``/v1`` (what ``ftdata serve`` prints), 3.x the host alone (it adds ``/v1`` to its paths).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.uploader.conftest import BAD, CHAT, KEY, sdk3, write_jsonl
from uploader.server import LocalServer

together = pytest.importorskip("together")  # the dev extra installs it

TERMINAL = ("COMPLETED", "FAILED", "INVALID_FORMAT")


def _finished(client: Any, file_id: str, timeout: float = 30.0) -> Any:
    """Poll ``files.retrieve`` as an SDK user does, until the status is terminal."""
    deadline = time.monotonic() + timeout
    while True:
        file = client.files.retrieve(file_id)
        if file.processing_status in TERMINAL or time.monotonic() > deadline:
            return file
        time.sleep(0.02)


def test_sdk3_single_upload_completes_with_a_valid_report(server: LocalServer,
                                                         small: Path) -> None:
    client = sdk3(server)
    sent = client.files.upload(file=small, purpose="fine-tune")
    done = _finished(client, sent.id)
    assert done.processing_status == "COMPLETED"
    report = done.validation_report
    assert report is not None and report.valid is True
    assert report.dataset_format == "conversation" and report.error_type is None
    assert done.bytes == small.stat().st_size
    # what the SDK sent: the documented multipart/form-data create, a PUT, a preprocess
    first = server.requests()[0]
    assert (first.method, first.path) == ("POST", "/v1/files")


def test_sdk3_invalid_file_ends_invalid_format(server: LocalServer, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "invalid.jsonl", CHAT, BAD)
    client = sdk3(server)
    sent = client.files.upload(file=path, purpose="fine-tune")  # 3.x only checks JSON objects
    done = _finished(client, sent.id)
    assert done.processing_status == "INVALID_FORMAT"
    report = done.validation_report
    assert report is not None and report.valid is False
    assert report.error_type == "INVALID_FORMAT"
    assert report.error is not None and report.error.startswith("Line 2: ")


def test_sdk3_multipart_upload(server: LocalServer, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """3.x switches to multipart above 5 GB; lowered here so 12 MiB go in 5 MiB parts."""
    files = pytest.importorskip("together.lib.resources.files")
    monkeypatch.setattr(files, "MULTIPART_THRESHOLD_GB", 1 / 1024)  # 1 MiB
    monkeypatch.setattr(files, "TARGET_PART_SIZE_MB", 5)
    line = orjson.dumps(CHAT) + b"\n"
    path = tmp_path / "big.jsonl"
    path.write_bytes(line * (12 * 2**20 // len(line) + 1))
    client = sdk3(server)
    sent = client.files.upload(file=path, purpose="fine-tune", check=False)
    done = _finished(client, sent.id)
    assert done.processing_status == "COMPLETED"
    assert done.validation_report is not None and done.validation_report.valid is True
    paths = [r.path for r in server.requests()]
    assert "/v1/files/multipart/initiate" in paths and "/v1/files/multipart/complete" in paths
    record = server.store.files.get(sent.id)
    assert record is not None and record.path.read_bytes() == path.read_bytes()


# SDK 1.x, in its own venv: upload, then poll retrieve, and print the file as JSON.
_SDK1 = r"""
import json, sys, time
from together import Together
client = Together(api_key=sys.argv[1], base_url=sys.argv[2], max_retries=0)
sent = client.files.upload(file=sys.argv[3], purpose="fine-tune", check=False)
for _ in range(1500):
    file = client.files.retrieve(sent.id)
    status = getattr(file, "processing_status", None)
    status = getattr(status, "value", status)
    if status in ("COMPLETED", "FAILED", "INVALID_FORMAT"):
        break
    time.sleep(0.02)
print(json.dumps({"id": sent.id, "status": status,
                  "report": getattr(file, "validation_report", None)}, default=str))
"""


@pytest.fixture(scope="module")
def sdk1() -> Path:
    from benchmarks.sdk import SDKS, SdkUnavailable, ensure

    try:
        return ensure(SDKS["1.x"], log=False).python
    except SdkUnavailable as exc:
        pytest.skip(f"together 1.x venv: {exc}")


def _run_sdk1(python: Path, server: LocalServer, path: Path) -> dict[str, Any]:
    done = subprocess.run([str(python), "-c", _SDK1, KEY, server.base_url, str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_sdk1_single_upload_completes(server: LocalServer, small: Path, sdk1: Path) -> None:
    """1.x sends the create form-urlencoded and no checksum; the real service took that."""
    result = _run_sdk1(sdk1, server, small)
    assert result["status"] == "COMPLETED"
    record = server.store.files.get(result["id"])
    assert record is not None and record.report is not None and record.report["valid"] is True
    assert record.path.read_bytes() == small.read_bytes()


def test_sdk1_invalid_file_ends_invalid_format(server: LocalServer, tmp_path: Path,
                                               sdk1: Path) -> None:
    path = write_jsonl(tmp_path / "invalid.jsonl", CHAT, BAD)
    result = _run_sdk1(sdk1, server, path)
    assert result["status"] == "INVALID_FORMAT"
    record = server.store.files.get(result["id"])
    assert record is not None and record.report is not None
    assert record.report["error"].startswith("Line 2: ")
