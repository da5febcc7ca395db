"""What a benchmark run was measured on: the machine and the commit."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import orjson

__all__ = ["git_state", "machine"]


def machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "orjson": orjson.__version__}


def git_state(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None,
            # uncommitted changes to the validator change what is measured: say so
            "validator_dirty": bool(git("status", "--porcelain", "--", "validator"))}
