"""Upload progress: the bar reaches 100% once every byte is in, then the wait for the server's
verdict shows as status lines instead of a bar frozen at 98%."""

from __future__ import annotations

import io
from pathlib import Path

import orjson

from tests.uploader.conftest import CHAT, Upload
from uploader.cli import _Bars
from uploader.server import LocalServer
from validator.cli.main import main


def test_the_upload_ends_at_100_percent_then_the_server_statuses_follow(
        server: LocalServer, send: Upload, small: Path) -> None:
    server.store.step_delay = 0.05  # each processing state lasts a moment
    calls: list[tuple[str, int, int]] = []
    result = send(small, progress=lambda *call: calls.append(call))
    assert result.status == "COMPLETED"
    size = small.stat().st_size
    uploads = [c for c in calls if c[0] == "upload"]
    assert uploads[-1] == ("upload", size, size)
    servers = [c[0] for c in calls if c[0].startswith("server:")]
    assert servers, calls
    assert calls.index(uploads[-1]) < calls.index((servers[0], 0, 0))
    assert len(servers) == len(set(servers))  # once per change of status
    assert not any(s.endswith(("COMPLETED", "FAILED", "INVALID_FORMAT")) for s in servers)
    assert set(servers) <= {"server:PENDING", "server:QUEUED", "server:RUNNING"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_prints_a_waiting_line_per_status() -> None:
    stream = _Terminal()
    bars = _Bars(stream, "train.jsonl")
    bars("upload", 10, 10)
    bars("server:QUEUED", 0, 0)
    bars("server:RUNNING", 0, 0)
    bars.close()
    text = stream.getvalue()
    assert "train.jsonl uploading: 100.0%" in text
    queued = text.index("train.jsonl: uploaded; waiting for the server to validate it (QUEUED)\n")
    assert text.index("(RUNNING)\n") > queued
    assert text.endswith("train.jsonl: uploaded; waiting for the server to validate it "
                         "(RUNNING)\n")


def test_upload_reads_standard_input_as_validate_does(cli_env: LocalServer) -> None:
    """``ftdata upload -`` spools standard input to a temporary file named by --name (an upload
    needs the size and checksum first), validates and uploads it, and leaves nothing behind."""
    data = orjson.dumps(CHAT) + b"\n"
    out, err = io.StringIO(), io.StringIO()
    code = main(["upload", "-", "--name", "piped.jsonl"], stdout=out, stderr=err,
                stdin=io.BytesIO(data))
    assert code == 0, err.getvalue()
    assert "COMPLETED: conversation" in out.getvalue()
    (record,) = cli_env.store.files.values()
    assert record.filename == "piped.jsonl"
    assert record.path.read_bytes() == data
    bad = main(["upload", "-", "--name", "bad.jsonl"], stdout=out, stderr=err,
               stdin=io.BytesIO(b"nope\n"))
    assert bad == 1 and len(cli_env.store.files) == 1  # invalid: nothing sent
    assert main(["upload", "x.jsonl", "--name", "y.jsonl"], stdout=out, stderr=err) == 2
