"""The pre-commit hook as users run it: the real ``pre-commit`` tool installs the hook from this
repository into its own environment and runs it in a temporary git repository.

Opt in with ``-m slow``: pre-commit builds the hook's virtual environment with pip, which needs
the package index (about a minute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.conftest import CHAT

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed"),
              pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_hook_passes_good_files_and_fails_bad_ones(tmp_path: Path) -> None:
    repo = tmp_path / "data-repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.jsonl").write_bytes(orjson.dumps(CHAT) + b"\n")
    (repo / "bad.jsonl").write_bytes(b'{"messages": []}\n')
    (repo / "notes.txt").write_text("not a dataset\n")
    _git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), "ftdata-validate",
                               "--files", *files], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=900, check=False)

    good = run("train.jsonl", "notes.txt")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = run("train.jsonl", "bad.jsonl")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.jsonl:1: $.messages: messages-invalid" in bad.stdout
