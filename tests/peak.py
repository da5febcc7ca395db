"""The peak memory of code run in a fresh interpreter, for the flat-memory tests.

The peak is VmHWM (the high-water mark of the process's own resident memory, from
``/proc/self/status``), read as the code ends. Not ``ru_maxrss``: Linux carries a parent's
``ru_maxrss`` across fork+exec, so a child of a large pytest process would report the
parent's peak.
"""

from __future__ import annotations

import subprocess
import sys

__all__ = ["measured", "peak_of", "run_measured"]

_REPORT = """
import re as _re
with open("/proc/self/status") as _status:
    print(int(_re.search(r"VmHWM:\\s+(\\d+) kB", _status.read())[1]) // 1024)
"""


def measured(code: str) -> str:
    """``code`` that then prints its process's peak RSS in MiB, on a last line of its own."""
    return code + _REPORT


def peak_of(stdout: str) -> tuple[str, int]:
    """The output of :func:`measured` code: what it printed itself, and its peak in MiB."""
    head, _, last = stdout.rstrip("\n").rpartition("\n")
    return head, int(last)


def run_measured(code: str, *args: str, timeout: float = 600) -> tuple[str, int]:
    """Run ``code`` in a fresh interpreter, ``args`` as its ``sys.argv[1:]`` (it must succeed);
    what it printed, and its peak RSS in MiB."""
    done = subprocess.run([sys.executable, "-c", measured(code), *args], capture_output=True,
                          text=True, check=True, timeout=timeout)
    return peak_of(done.stdout)
