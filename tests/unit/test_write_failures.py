"""Outputs that cannot be written are one clear error (exit 2) with nothing left behind; the
split's outputs are published as a set, with the umask's mode; no planted name is followed."""

from __future__ import annotations

import errno
import io
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from validator.cli.main import main
from validator.run import parallel
from validator.run.split import split_file

ROOT = Path(__file__).resolve().parents[2]
GOOD = orjson.dumps({"messages": [{"role": "user", "content": "q"},
                                  {"role": "assistant", "content": "a"}]})


def _data(path: Path, n: int = 3000) -> Path:
    path.write_bytes(b"\n".join([GOOD, b"not json"] * (n // 2)) + b"\n")
    return path


def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


def _split_args(folder: Path, source: Path, *extra: str) -> list[str]:
    return ["validate", *extra, str(source), "--split", str(folder / "c.jsonl"),
            str(folder / "r.jsonl")]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _one_clear_line(err: str, *parts: str) -> None:
    assert "Traceback" not in err, err
    assert err.startswith("ftdata: error: cannot write "), err
    for part in parts:
        assert part in err, err


def test_split_into_an_unwritable_folder(tmp_path: Path) -> None:
    source = _data(tmp_path / "in.jsonl")
    if os.geteuid() == 0:  # root writes anywhere: a path under a regular file instead
        folder = source
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    try:
        code, err = _run(*_split_args(folder, source))
    finally:
        if folder.is_dir():
            folder.chmod(0o700)
    assert code == 2
    _one_clear_line(err, str(folder / "c.jsonl"))
    assert _names(tmp_path) == ["in.jsonl"] + (["locked"] if folder.is_dir() else [])
    if folder.is_dir():
        assert _names(folder) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_split_past_the_file_size_limit(tmp_path: Path, workers: str) -> None:
    """``ulimit -f``: writes fail with EFBIG (SIGXFSZ ignored, as Python does anyway)."""
    source = _data(tmp_path / "in.jsonl", 20_000)

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))

    code = ("import sys; from validator.run import parallel; parallel.MIN_CHUNK_BYTES = 1 << 12; "
            "from validator.cli.main import main; sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-B", "-c", code,
                          *_split_args(tmp_path, source, "--workers", workers)],
                         capture_output=True, text=True, preexec_fn=limited, cwd=ROOT,
                         timeout=60, check=False)
    assert run.returncode == 2, run.stderr
    _one_clear_line(run.stderr, str(tmp_path), "File too large")
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert _names(tmp_path) == ["in.jsonl"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_split_onto_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                workers: str) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)
    source = _data(tmp_path / "in.jsonl", 20_000)
    real = os.write

    def full(fd: int, data: Any) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    code, err = _run(*_split_args(tmp_path, source, "--workers", workers))
    assert code == 2
    _one_clear_line(err, "No space left on device")
    named = err.removeprefix("ftdata: error: cannot write ").split(": ")[0]
    assert named in {str(tmp_path / n) for n in ("c.jsonl", "r.jsonl", "r.issues.jsonl")}, err
    assert _names(tmp_path) == ["in.jsonl"]


def test_report_into_a_missing_folder_or_onto_a_folder(tmp_path: Path) -> None:
    source = _data(tmp_path / "in.jsonl", 10)
    code, err = _run("report", str(source), "-o", str(tmp_path / "no" / "r.html"))
    assert code == 2
    _one_clear_line(err, str(tmp_path / "no" / "r.html"), "no folder")
    (tmp_path / "dir.html").mkdir()
    code, err = _run("report", str(source), "-o", str(tmp_path / "dir.html"))
    assert code == 2
    _one_clear_line(err, str(tmp_path / "dir.html"), "folder")
    assert _names(tmp_path) == ["dir.html", "in.jsonl"]
    assert _names(tmp_path / "dir.html") == []


def test_report_onto_a_full_disk_keeps_the_previous_page(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = _data(tmp_path / "in.jsonl", 10)
    (tmp_path / "r.html").write_text("previous page\n")
    real = os.write

    def full(fd: int, data: Any) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    code, err = _run("report", str(source), "-o", str(tmp_path / "r.html"))
    assert code == 2
    _one_clear_line(err, str(tmp_path / "r.html"), "No space left on device")
    assert (tmp_path / "r.html").read_text() == "previous page\n"
    assert _names(tmp_path) == ["in.jsonl", "r.html"]


def test_report_does_not_follow_a_planted_partial_symlink(tmp_path: Path) -> None:
    source = _data(tmp_path / "in.jsonl", 10)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "r.html.partial").symlink_to(victim)
    code, _ = _run("report", str(source), "-o", str(tmp_path / "r.html"))
    assert code == 1
    assert victim.read_text() == "precious\n"
    assert (tmp_path / "r.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "r.html.partial").is_symlink()
    assert _names(tmp_path) == ["in.jsonl", "r.html", "r.html.partial", "victim.txt"]


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("workers", [1, 2])
def test_outputs_honour_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mask: int,
                                  mode: int, workers: int) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)
    source = _data(tmp_path / "in.jsonl")
    old = os.umask(mask)
    try:
        _, result = split_file(source, tmp_path / "c.jsonl", tmp_path / "r.jsonl",
                               workers=workers)
        code, _ = _run("report", str(source), "-o", str(tmp_path / "r.html"))
    finally:
        os.umask(old)
    assert code == 1
    for path in (result.clean, result.rejected, result.sidecar, str(tmp_path / "r.html")):
        assert os.stat(path).st_mode & 0o777 == mode, path


def _previous(folder: Path) -> dict[str, bytes]:
    old = {"c.jsonl": b"old clean\n", "r.jsonl": b"old rejected\n",
           "r.issues.jsonl": b"old reasons\n"}
    for name, data in old.items():
        (folder / name).write_bytes(data)
    return old


def test_a_failure_writing_the_second_output_changes_none(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    source = _data(tmp_path / "in.jsonl")
    old = _previous(tmp_path)
    real = os.write

    def full(fd: int, data: Any) -> int:  # the rejected lines' file only
        if "r.jsonl" in os.path.basename(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    code, err = _run(*_split_args(tmp_path, source))
    assert code == 2
    _one_clear_line(err, str(tmp_path / "r.jsonl"), "No space left on device")
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    assert _names(tmp_path) == sorted([*old, "in.jsonl"])


def test_a_failure_publishing_the_second_output_puts_the_first_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _data(tmp_path / "in.jsonl")
    old = _previous(tmp_path)
    real = os.replace
    calls: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        calls.append(os.fspath(dst))
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, err = _run(*_split_args(tmp_path, source))
    assert code == 2
    _one_clear_line(err, "Input/output error")
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    assert _names(tmp_path) == sorted([*old, "in.jsonl"])
