"""``ftdata upload``, ``ftdata files`` and ``ftdata serve`` through the validator's ``main``
(the entry-point plugin), and end to end as console scripts against ``ftdata serve``."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.uploader.conftest import MIB, Upload
from uploader.server import DEMO_KEY, LocalServer
from validator.cli.main import main


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_upload_prints_the_verdict(cli_env: LocalServer, small: Path) -> None:
    code, out, err = run("upload", str(small))
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert re.fullmatch(rf"{small}: uploaded as file-[0-9a-f-]+ \(\d+ B, in one request\)",
                        first)
    assert second.endswith(": COMPLETED: conversation, 2 samples")


def test_upload_json_is_the_file_object(cli_env: LocalServer, big: Path) -> None:
    code, out, _ = run("upload", "-o", "json", "--multipart-threshold", "1MiB",
                       "--part-size", "5MiB", str(big))
    assert code == 0
    doc = orjson.loads(out)
    assert doc["processing_status"] == "COMPLETED"
    assert doc["validation_report"]["file_id"] == doc["id"]
    assert doc["bytes"] == big.stat().st_size
    assert len(cli_env.requests("part")) == 3


def test_an_invalid_file_exits_1_with_the_report_and_sends_nothing(cli_env: LocalServer,
                                                                   invalid: Path) -> None:
    code, out, err = run("upload", str(invalid))
    assert code == 1
    assert f"{invalid}:2: $.messages[0].role: role-invalid" in out
    assert "not uploaded" in err
    assert cli_env.requests() == []


def test_server_invalid_format_exits_1(cli_env: LocalServer, invalid: Path) -> None:
    code, out, _ = run("upload", "--no-check", str(invalid))
    assert code == 1
    assert "INVALID_FORMAT: Line 2: 'bot' is not a role here" in out


def test_no_wait(cli_env: LocalServer, small: Path) -> None:
    cli_env.store.step_delay = 2.0
    code, out, _ = run("upload", "--no-wait", str(small))
    assert code == 0
    assert "QUEUED: still processing; `ftdata files get file-" in out


def test_progress_bar_on_a_terminal(cli_env: LocalServer, small: Path) -> None:
    code, _, err = run("upload", str(small), stderr=_Tty())
    assert code == 0
    assert "uploading" in err and "\r" in err
    code, _, err = run("upload", "--no-progress", str(small), stderr=_Tty())
    assert (code, err) == (0, "")


@pytest.mark.parametrize(("argv", "message"), [
    (["--part-size", "1MiB"], "under the minimum of 5 MiB"),
    (["--part-size", "lots"], "cannot read size 'lots'"),
    (["--multipart-threshold", "6GiB"], "between 0 and 5 GiB"),
])
def test_bad_sizes_exit_2(cli_env: LocalServer, small: Path, argv: list[str], message: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run("upload", *argv, str(small))
    assert code == 2
    assert message in err + capsys.readouterr().err  # argparse writes to sys.stderr
    assert cli_env.requests() == []


def test_a_missing_key_exits_2(cli_env: LocalServer, small: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOGETHER_API_KEY")
    code, _, err = run("upload", str(small))
    assert code == 2
    assert "set TOGETHER_API_KEY" in err


def test_an_api_error_exits_2_with_the_servers_message(cli_env: LocalServer,
                                                       small: Path) -> None:
    cli_env.inject("put", 500, times=None, message="disk full")
    code, out, err = run("upload", str(small))
    assert (code, out) == (2, "")
    assert "PUT to storage failed: HTTP 500 from http://127.0.0.1:" in err
    assert err.rstrip().endswith(": disk full")


def test_files_list_get_delete(cli_env: LocalServer, send: Upload, small: Path,
                               invalid: Path) -> None:
    good = send(small).file_id
    bad = send(invalid, check=False).file_id
    code, out, _ = run("files", "list")
    assert code == 0
    assert f"{good}  fine-tune  COMPLETED" in out and f"{bad}  fine-tune  INVALID_FORMAT" in out
    code, out, _ = run("files", "list", "-o", "json")
    assert {f["id"] for f in orjson.loads(out)} == {good, bad}
    code, out, _ = run("files", "get", bad)
    assert code == 1 and "INVALID_FORMAT: Line 2" in out
    code, out, _ = run("files", "get", "-o", "json", good)
    assert code == 0 and orjson.loads(out)["validation_report"]["valid"] is True
    assert run("files", "delete", good)[:2] == (0, f"deleted {good}\n")
    code, _, err = run("files", "get", good)
    assert code == 2 and "HTTP 404" in err


def test_files_needs_an_action(cli_env: LocalServer) -> None:
    assert run("files")[0] == 2


def test_serve_refuses_a_non_loopback_host() -> None:
    code, _, err = run("serve", "--host", "0.0.0.0")
    assert code == 2
    assert "only listens on loopback" in err


def _ftdata() -> str:
    return str(Path(sys.executable).parent / "ftdata")


def test_end_to_end_ftdata_upload_against_ftdata_serve(small: Path, big: Path) -> None:
    serve = subprocess.Popen([_ftdata(), "serve", "--step-delay", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None
        banner = serve.stdout.readline()
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+/v1)", banner)
        assert base_url, banner
        root = base_url[1].removesuffix("/v1")  # what ftdata and together SDK 3.x read
        assert serve.stdout.readline().strip() == f"export TOGETHER_BASE_URL={root}"
        assert serve.stdout.readline().strip() == f"export TOGETHER_API_KEY={DEMO_KEY}"
        assert base_url[1] in serve.stdout.readline()  # the SDK 1.x form, with /v1
        env = {**os.environ, "TOGETHER_BASE_URL": root, "TOGETHER_API_KEY": DEMO_KEY}
        for path, extra in ((small, []),
                            (big, ["--multipart-threshold", "1MiB", "--part-size", f"{5 * MIB}"])):
            done = subprocess.run([_ftdata(), "upload", *extra, str(path)], env=env,
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
            assert "COMPLETED: conversation" in done.stdout
            assert ("in parts" if extra else "in one request") in done.stdout
    finally:
        serve.send_signal(signal.SIGINT)
        _, log = serve.communicate(timeout=10)
    assert serve.returncode == 0
    assert "storage PUT /parts/mpu-" in log and "api POST /v1/files/multipart/complete" in log


def test_upload_reads_the_config_as_validate_does(cli_env: LocalServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """[tool.ftdata] and the severity flags decide the local verdict of upload too."""
    data = tmp_path / "blank.jsonl"
    data.write_bytes(
        b'{"messages": [{"role": "user", "content": "hi"}, '
        b'{"role": "assistant", "content": "hello"}]}\n\n')
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nerror = ["blank-line"]\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run("upload", str(data))
    assert code == 1
    assert f"{data}:2: blank-line" in out
    assert "not uploaded" in err
    assert cli_env.requests() == []
    code, out, _ = run("upload", "--warn", "blank-line", str(data))
    assert code == 0, out
    assert cli_env.requests("create")
