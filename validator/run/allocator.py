"""The C allocator of the processes ftdata owns, set for scanning large files.

A scan frees and allocates a block, its lines and their strings over and over. glibc's
malloc, left to its dynamic thresholds, keeps handing the top of its heap back to the kernel
and faulting it in again: on 1 GB of ASCII conversations, about 11,000 page faults against
1,900 with the thresholds fixed at 32 MiB, and 2-3% of the time (``make bench`` data, medians of
six fresh runs each). :func:`tune` fixes them (``mallopt``, through ctypes), once, in a process
that :func:`own` marked as ftdata's: the command line's and the forked workers'. A program that
calls ``validate_file`` keeps its allocator as it set it. Up to 32 MiB freed at the top of the
heap stays with the process instead of going back at once: peak RSS in ``make bench`` grew by
0.5-1.5 MiB.
"""

from __future__ import annotations

import sys

__all__ = ["PROCESS", "own", "tune"]

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_THRESHOLD = 32 << 20

class _Process:
    """This process: whether ftdata owns it, and once tune() has run, whether it set the
    allocator."""

    __slots__ = ("owned", "tuned")

    def __init__(self) -> None:
        self.owned = False
        self.tuned: bool | None = None


PROCESS = _Process()


def own() -> None:
    """Mark this process as ftdata's own (the CLI, a forked worker): :func:`tune` may act."""
    PROCESS.owned = True


def tune() -> bool:
    """Set the allocator for a long scan, once per process and only in one ftdata owns;
    whether it is set (False off glibc, or where the process is not ftdata's)."""
    if PROCESS.tuned is None and PROCESS.owned:
        PROCESS.tuned = _mallopt()
    return bool(PROCESS.tuned)


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes  # noqa: PLC0415 - 2 ms, for large files only

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to load, or one without mallopt
        return False
    # each returns 1 where it took the value (musl's mallopt does nothing and returns 0)
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD) & mallopt(_M_TRIM_THRESHOLD, _THRESHOLD))
