"""Workers follow the cores the process may use: affinity, narrowed by a cgroup CPU quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validator.run import cores
from validator.run.cores import available_cores, cgroup_cpus


def tree(tmp_path: Path, proc: str, files: dict[str, str]) -> tuple[str, str]:
    for name, text in files.items():
        path = tmp_path / "cg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "cgroup").write_text(proc)
    (tmp_path / "cg").mkdir(exist_ok=True)
    return str(tmp_path / "cgroup"), str(tmp_path / "cg")


def test_cgroup_v2_quota_is_the_smallest_along_the_path(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "0::/ci/job\n", {
        "cpu.max": "max 100000\n",
        "ci/cpu.max": "400000 100000\n",
        "ci/job/cpu.max": "150000 100000\n",
    })
    assert cgroup_cpus(proc, root) == 1.5


def test_cgroup_v2_without_a_quota(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"})
    assert cgroup_cpus(proc, root) is None


def test_cgroup_v2_path_hidden_by_a_namespace_reads_the_root(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "0::/../../outside\n", {"cpu.max": "200000 100000\n"})
    assert cgroup_cpus(proc, root) == 2.0


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    proc, root = tree(tmp_path, "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n", {
        "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
        "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
    })
    assert cgroup_cpus(proc, root) == 3.0


@pytest.mark.parametrize("files", [{}, {"cpu.max": "garbage"}, {"cpu.max": "0 0"}])
def test_unreadable_or_odd_files_mean_no_quota(tmp_path: Path, files: dict[str, str]) -> None:
    proc, root = tree(tmp_path, "0::/\n", files)
    assert cgroup_cpus(proc, root) is None
    assert cgroup_cpus(str(tmp_path / "missing"), root) is None


def test_available_cores_is_narrowed_by_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(cores, "cgroup_cpus", lambda: 1.5)
    assert available_cores() == 2  # rounded up: 1.5 CPUs keep two workers busy
    monkeypatch.setattr(cores, "cgroup_cpus", lambda: 0.1)
    assert available_cores() == 1
    monkeypatch.setattr(cores, "cgroup_cpus", lambda: None)
    assert available_cores() == 16
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(cores, "cgroup_cpus", lambda: 8.0)
    assert available_cores() == 1  # the affinity is the bound when it is smaller


def test_this_machine() -> None:
    assert 1 <= available_cores() <= (os.cpu_count() or 1)
