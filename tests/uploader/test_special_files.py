"""Only regular files are uploaded: a FIFO, a device (even behind a symlink with a dataset's
name) or a directory is refused at once, exit 2, with nothing sent. The check is made on the
open descriptor (``fstat``), opened without blocking, so neither a FIFO without a writer nor
an endless device can hang the upload. Standard input (``-``) keeps working: it is spooled to a
regular file first."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.uploader.conftest import CHAT, KEY, write_jsonl
from uploader.body import FileRange, LockstepHasher, open_regular
from uploader.server import LocalServer
from validator import FileAccessError
from validator.cli.main import main


def _ftdata() -> str:
    return str(Path(sys.executable).parent / "ftdata")


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "data.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize(("kind", "check"), [("fifo", True), ("fifo", False),
                                             ("dev-zero", False), ("dev-zero", True)])
def test_a_file_that_is_not_regular_is_refused_promptly(
        server: LocalServer, tmp_path: Path, kind: str, check: bool) -> None:
    """In a child process with a timeout: before the fix these hung (or read forever)."""
    path = _special(tmp_path, kind)
    env = {**os.environ, "TOGETHER_API_KEY": KEY, "TOGETHER_BASE_URL": server.base_url}
    argv = [_ftdata(), "upload", *([] if check else ["--no-check"]), str(path)]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=20,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ftdata upload of a {kind} did not end within 20 s")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"ftdata: error: {path}: ") and "not a regular file" in \
        done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert server.requests() == []


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "dir"])
def test_the_readers_refuse_it_on_the_open_descriptor(tmp_path: Path, kind: str) -> None:
    path = str(_special(tmp_path, kind))
    for opener in (open_regular, LockstepHasher, lambda p: FileRange(p, 0, 10)):
        with pytest.raises(FileAccessError, match="not a regular file"):
            opener(path)


def test_a_directory_is_refused_in_process(cli_env: LocalServer, tmp_path: Path) -> None:
    path = _special(tmp_path, "dir")
    err = io.StringIO()
    assert main(["upload", "--no-check", str(path)], stdout=io.StringIO(), stderr=err) == 2
    assert "not a regular file (a directory)" in err.getvalue()
    assert cli_env.requests() == []


def test_a_regular_file_reads_blocking_as_before(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", CHAT)
    with open_regular(str(path)) as handle:
        assert os.get_blocking(handle.fileno())  # O_NONBLOCK cleared again
        assert handle.read() == path.read_bytes()


def test_standard_input_still_uploads(cli_env: LocalServer) -> None:
    out, err = io.StringIO(), io.StringIO()
    data = b'{"messages": [{"role": "user", "content": "hi"}, ' \
           b'{"role": "assistant", "content": "yo"}]}\n'
    code = main(["upload", "-", "--name", "piped.jsonl"], stdout=out, stderr=err,
                stdin=io.BytesIO(data))
    assert code == 0, err.getvalue()
    assert "COMPLETED" in out.getvalue()
