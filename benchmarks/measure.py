"""Run one command as a subprocess; measure its wall time and the peak RSS of its process tree.

Peak memory is sampled, not read from ``ru_maxrss``: Linux carries a parent's ``ru_maxrss``
across fork+exec, so a child of a large process would report the parent's peak, and it says
nothing about worker processes. A thread reads ``VmRSS`` from ``/proc/<pid>/status`` of the
child and of all its descendants every ``interval`` seconds and keeps the largest sum. A peak
shorter than the interval can be missed; pages shared between processes count once per process.

CPU time (user + system) is the larger of two views: the child's rusage, exact for it and for
the descendants it reaped itself; and the sum over every process of the tree of its own CPU
time as last sampled, which also sees workers reaped by someone else (a fork server).
The wait for the child blocks in waitpid: ``Popen.wait(timeout=...)`` polls with sleeps of up
to 50 ms, which would round every wall time up by as much.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Run", "TreeSampler", "run"]

_PROC = "/proc"


def _ppid(pid: int) -> int | None:
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    fields = stat[stat.rfind(b")") + 2:].split(b" ", 2)
    return int(fields[1]) if len(fields) > 1 else None


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    """utime + stime of the process itself, in clock ticks (0 if it is gone)."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return 0
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[11]) + int(fields[12]) if len(fields) > 12 else 0


def _rss_kib(pid: int) -> int:
    try:
        with open(f"{_PROC}/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0  # gone, or a zombie (no VmRSS line)


class TreeSampler:
    """Sum of VmRSS over a process and its descendants, sampled by a background thread."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self.max_processes = 0
        self._parents: dict[int, int | None] = {}  # pid -> ppid, read once per pid
        self._ticks: dict[int, int] = {}  # pid -> its CPU ticks at its last sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def tree(self) -> list[int]:
        """The process and its live descendants. Each pid's parent is read once: a new pid
        costs one small read, a known one none, so sampling stays cheap on a busy machine."""
        try:
            live = {int(name) for name in os.listdir(_PROC) if name.isdigit()}
        except OSError:
            return [self.pid]
        parents = self._parents
        for gone in parents.keys() - live:
            del parents[gone]
        for pid in live - parents.keys():
            parents[pid] = _ppid(pid)
        members = {self.pid}
        grew = True
        while grew:
            grew = False
            for pid, ppid in parents.items():
                if ppid in members and pid not in members:
                    members.add(pid)
                    grew = True
        return sorted(members)

    def sample(self) -> int:
        """One sample: the tree's total RSS in KiB (also folded into ``peak_kib``)."""
        pids = self.tree()
        total = sum(_rss_kib(pid) for pid in pids)
        ticks = self._ticks
        for pid in pids:
            ticks[pid] = max(ticks.get(pid, 0), _cpu_ticks(pid))
        self.samples += 1
        self.max_processes = max(self.max_processes, len(pids))
        self.peak_kib = max(self.peak_kib, total)
        return total

    @property
    def cpu_s(self) -> float:
        """CPU seconds of every process seen in the tree, as of its last sample."""
        return sum(self._ticks.values()) / _TICK

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Run:
    """One finished subprocess."""

    argv: list[str]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system time of the tree: less sensitive to other load than wall time
    peak_rss_mb: float
    processes: int  # the most processes seen in the tree at once
    stdout: str
    stderr: str


def run(argv: Sequence[str], *, env: dict[str, str] | None = None, interval: float = 0.02,
        timeout: float | None = None, cwd: str | None = None) -> Run:
    """Run ``argv`` to completion; output goes to temporary files, so a chatty child (a
    progress bar on stderr) never blocks on a full pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env, cwd=cwd)
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            proc.kill()

        killer = None
        if timeout is not None:
            killer = threading.Timer(timeout, expire)
            killer.start()
        try:
            returncode = proc.wait()  # blocking waitpid: returns the moment the child exits
        finally:
            wall = time.perf_counter() - start
            if killer is not None:
                killer.cancel()
            sampler.stop()
        if expired.is_set():
            raise subprocess.TimeoutExpired(list(argv), timeout or 0.0)
        # children's times count once reaped, grandchildren's once their parent reaped them
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu = max(cpu, sampler.cpu_s)
        out.seek(0)
        err.seek(0)
        return Run(list(argv), returncode, wall, cpu, sampler.peak_kib / 1024,
                   sampler.max_processes, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


def last_line(text: str) -> str:
    """The last non-blank line of a child's stderr (a traceback's last line names the error)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
