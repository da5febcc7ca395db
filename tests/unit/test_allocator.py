"""The allocator is set only in processes ftdata owns (validator/run/allocator.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from validator.run import allocator, forkpool

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_a_program_that_validates_keeps_its_allocator(tmp_path: Path) -> None:
    """A large file read by validate_file in someone else's program: nothing is set, and
    ctypes is not even loaded."""
    path = tmp_path / "data.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "a"}, '
                    '{"role": "assistant", "content": "b"}]}\n' * 50)
    out = _python("import sys; from validator.run import scan, allocator; "
                  "scan.FAST_AFTER = 0; from validator import validate_file; "
                  f"r = validate_file({str(path)!r}, workers=1); "
                  "print(r.valid, allocator.PROCESS.tuned, 'ctypes' in sys.modules)")
    assert out == "True None False"


@pytest.mark.skipif(not LINUX, reason="mallopt is glibc's")
def test_a_process_ftdata_owns_is_set_once() -> None:
    out = _python("import sys; from validator.run import allocator; "
                  "print(allocator.tune()); allocator.own(); "
                  "print(allocator.tune(), allocator.tune(), 'ctypes' in sys.modules)")
    glibc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    assert out.splitlines() == ["False", "True True True" if glibc else "False False True"]


def test_the_command_line_owns_its_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from validator.cli.main import main

    monkeypatch.setattr(allocator, "PROCESS", allocator._Process())
    assert main(["rules"], stdout=io.StringIO()) == 0  # a program calling main
    assert not allocator.PROCESS.owned
    monkeypatch.setattr(sys, "argv", ["ftdata", "rules"])
    assert main(stdout=io.StringIO()) == 0  # the ftdata command
    assert allocator.PROCESS.owned


def _owned(_: int) -> bool:
    time.sleep(0.1)  # long enough for the children to take jobs too
    return allocator.PROCESS.owned


@pytest.mark.skipif(not LINUX, reason="forkpool needs Linux")
def test_forked_workers_are_ftdata_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "PROCESS", allocator._Process())
    owned = forkpool.run_forked(_owned, [0, 1, 2, 3], workers=3)
    assert not allocator.PROCESS.owned  # this process computed some jobs, as it is
    assert True in owned  # a job a child computed
