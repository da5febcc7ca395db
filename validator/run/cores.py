"""How many cores this process may use: the CPUs it may run on (its affinity), narrowed by
the CPU quota of its control group (a container's ``--cpus 2``, a CI runner's limit).

A machine's core count is not what a container gets: a 64-core host running a job limited to
2 CPUs would start 64 workers that share 2 CPUs' worth of time, each slower than one alone.
The quota is read as the kernel applies it: the smallest along the control group's path
(cgroup v2 ``cpu.max`` of the group and its parents; cgroup v1 ``cpu.cfs_quota_us`` over
``cpu.cfs_period_us``), rounded up (1.5 CPUs of quota keep two workers busy). Anything that
cannot be read means no quota.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

__all__ = ["available_cores", "cgroup_cpus"]

_ROOT = "/sys/fs/cgroup"


def available_cores() -> int:
    """The cores this process may use (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpus()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def cgroup_cpus(proc_cgroup: str = "/proc/self/cgroup", root: str = _ROOT) -> float | None:
    """The CPUs' worth of time the control group allows (``2.0``), or None for no quota."""
    try:
        with open(proc_cgroup, encoding="utf-8", errors="replace") as handle:
            entries = handle.read(1 << 16).splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for entry in entries:
        hierarchy, _, rest = entry.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":  # cgroup v2
            limits += _along(root, path, _v2_limit)
        elif "cpu" in controllers.split(","):  # cgroup v1, mounted as cpu or cpu,cpuacct
            for mount in (controllers, "cpu", "cpu,cpuacct"):
                if os.path.isdir(os.path.join(root, mount)):
                    limits += _along(os.path.join(root, mount), path, _v1_limit)
                    break
    return min(limits) if limits else None


def _along(base: str, path: str, limit: Callable[[str], float | None]) -> list[float]:
    """The limits set on the group at ``path`` under ``base`` and on each of its parents.
    In a container the group's path is often not visible under ``base`` (its own namespace):
    then ``base`` itself is the group."""
    parts = [part for part in path.strip("/").split("/") if part and part != ".."]
    found = []
    for depth in range(len(parts), -1, -1):
        value = limit(os.path.join(base, *parts[:depth]))
        if value is not None:
            found.append(value)
    return found


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read(256).strip()
    except OSError:
        return None


def _v2_limit(folder: str) -> float | None:
    text = _read(os.path.join(folder, "cpu.max"))  # "max 100000" or "200000 100000"
    if text is None:
        return None
    quota, _, period = text.partition(" ")
    return _ratio(quota, period or "100000")


def _v1_limit(folder: str) -> float | None:
    quota = _read(os.path.join(folder, "cpu.cfs_quota_us"))  # -1: none
    period = _read(os.path.join(folder, "cpu.cfs_period_us"))
    if quota is None or period is None:
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:  # "max"
        return None
    return q / p if q > 0 and p > 0 else None
