"""The fork pool: every job once, results in order, failures raised, nothing left behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from validator.config import Config
from validator.errors import FtdataError
from validator.run import forkpool, parallel
from validator.run.pipeline import validate_file

pytestmark = pytest.mark.skipif(not forkpool.available(), reason="Linux, one thread")

PARENT = os.getpid()


def _slow_pid(job: int) -> tuple[int, int]:
    time.sleep(0.005)  # long enough for the children to start and take jobs too
    return job * job, os.getpid()


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children forked during the test (recorded in this process)."""
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids


def _all_reaped(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return bool(pids)


def test_every_job_once_in_order_shared_by_all_processes(forked: list[int]) -> None:
    fds = _open_fds()
    done: list[int] = []
    results = forkpool.run_forked(_slow_pid, list(range(60)), 3, done.append)
    assert [r for r, _ in results] == [j * j for j in range(60)]
    pids = {pid for _, pid in results}
    assert PARENT in pids  # the caller works too
    assert len(pids) == 3
    assert pids == {PARENT, *forked}
    assert sorted(done) == list(range(60))  # each reported once, as it finished
    assert _open_fds() == fds
    assert _all_reaped(forked)


def test_one_worker_and_more_workers_than_jobs() -> None:
    assert forkpool.run_forked(str, [1, 2], 1) == ["1", "2"]
    assert forkpool.run_forked(str, [7], 8) == ["7"]
    with pytest.raises(ValueError, match="jobs"):
        forkpool.run_forked(str, [], 2)
    with pytest.raises(ValueError, match="jobs"):
        forkpool.run_forked(str, list(range(forkpool.MAX_JOBS + 1)), 2)


def test_as_many_jobs_as_allowed_without_anyone_reading_progress() -> None:
    jobs = list(range(forkpool.MAX_JOBS))
    assert forkpool.run_forked(abs, jobs, 2) == jobs


def _fails_in_a_child(job: int) -> int:
    if os.getpid() != PARENT:
        raise KeyError(f"job {job}")
    time.sleep(0.005)
    return job


def test_an_exception_in_a_child_is_raised_in_the_caller(forked: list[int]) -> None:
    fds = _open_fds()
    with pytest.raises(KeyError, match="job"):
        forkpool.run_forked(_fails_in_a_child, list(range(20)), 2)
    assert _open_fds() == fds
    assert _all_reaped(forked)


class Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("no pickling")


def _raises_unpicklable(job: int) -> int:
    if os.getpid() != PARENT:
        raise Unpicklable("lost")
    time.sleep(0.005)
    return job


def test_an_exception_that_does_not_pickle_still_arrives() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable"):
        forkpool.run_forked(_raises_unpicklable, list(range(20)), 2)


def _killed_in_a_child(job: int) -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.005)
    return job


def test_a_killed_child_is_worker_died(forked: list[int]) -> None:
    fds = _open_fds()
    with pytest.raises(forkpool.WorkerDied, match="killed by signal 9"):
        forkpool.run_forked(_killed_in_a_child, list(range(20)), 2)
    assert _open_fds() == fds
    assert _all_reaped(forked)


def _sleeps_in_children(job: int) -> int:
    if os.getpid() != PARENT:
        time.sleep(30)  # what a child would do for long without the signal
    return job


def test_ctrl_c_right_after_a_fork_leaves_no_child_running(forked: list[int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C reaches the group while the caller is between fork() and recording the child:
    the child existed too late to get it, and the caller must still stop it, not leave it
    running with the terminal's pipes open (a CI run hung 30 s in exactly this way)."""
    fork = os.fork  # the fixture's recorder

    def interrupted() -> int:
        pid = fork()
        if pid:
            os.kill(os.getpid(), signal.SIGINT)  # delivered to the caller only
        return pid

    monkeypatch.setattr(os, "fork", interrupted)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        forkpool.run_forked(_sleeps_in_children, list(range(4)), 3)
    assert time.monotonic() - start < 10
    assert len(forked) >= 1 and _all_reaped(forked)


def test_ctrl_c_landing_in_another_thread_right_after_a_fork(forked: list[int],
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A signal sent to the process may land in any thread that does not hold it (a native
    thread pool's, as polars and pyarrow start), and Python then runs its handler in the main
    thread at once, though the main thread holds it. It must still wait until the child is
    recorded, so that the child is stopped, not left running."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    fork = os.fork  # the fixture's recorder

    def interrupted() -> int:
        pid = fork()
        if pid:
            assert other.ident is not None
            signal.pthread_kill(other.ident, signal.SIGINT)  # lands there, handled here
            time.sleep(0.05)  # the other thread has run the C handler by now
        return pid

    monkeypatch.setattr(os, "fork", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            forkpool.run_forked(_sleeps_in_children, list(range(4)), 3)
    finally:
        stop.set()
        other.join()
    assert len(forked) >= 1 and _all_reaped(forked)


CHAT = orjson.dumps({"messages": [{"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "hello"}]})


def _chat_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: bytes = b"", *,
               fork: bool = True) -> Path:
    """A file split into many small ranges; with ``fork``, run by forkpool whatever threads
    other tests left behind (the Dask ones)."""
    path = tmp_path / "chat.jsonl"
    path.write_bytes((CHAT + b"\n" + tail) * 20_000)
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 14)
    if fork:
        monkeypatch.setattr(forkpool, "available", lambda: True)
    return path


@pytest.mark.parametrize("forks_allowed", [0, 1])
def test_when_fork_fails_the_workers_there_are_do_every_job(
        forked: list[int], monkeypatch: pytest.MonkeyPatch, forks_allowed: int) -> None:
    fds = _open_fds()
    fork = os.fork  # the fixture's recorder

    def fails_after() -> int:
        if len(forked) >= forks_allowed:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return fork()

    monkeypatch.setattr(os, "fork", fails_after)
    done: list[int] = []
    results = forkpool.run_forked(_slow_pid, list(range(20)), 3, done.append)
    assert [r for r, _ in results] == [j * j for j in range(20)]
    assert {pid for _, pid in results} == {PARENT, *forked}
    assert len(forked) == forks_allowed
    assert sorted(done) == list(range(20))
    assert _open_fds() == fds
    assert forks_allowed == 0 or _all_reaped(forked)


def test_a_dead_worker_is_a_clear_error_from_validate_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _chat_file(tmp_path, monkeypatch)
    real = parallel.scan_range

    def dies(job: parallel.Job) -> object:
        if os.getpid() != PARENT:
            os._exit(3)
        return real(job)

    monkeypatch.setattr(parallel, "scan_range", dies)
    with pytest.raises(FtdataError, match=r"exit status 3.*--workers 1"):
        validate_file(path, workers=2)


def _spy(real: Callable[..., None], name: str, used: list[str]) -> Callable[..., None]:
    def run(*args: object) -> None:
        used.append(name)
        real(*args)

    return run


def test_with_another_thread_running_the_process_pool_is_used(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """fork could copy a lock another thread holds: then workers come from a forkserver."""
    path = _chat_file(tmp_path, monkeypatch, tail=b"{}\n", fork=False)
    used: list[str] = []
    for name in ("_run_forked", "_run_pool"):
        monkeypatch.setattr(parallel, name, _spy(getattr(parallel, name), name, used))
    one = validate_file(path, config=Config(max_errors=50), workers=1)
    with monkeypatch.context() as patch:
        patch.setattr(threading, "active_count", lambda: 1)  # the Dask tests leave threads
        assert forkpool.available()
        assert validate_file(path, config=Config(max_errors=50), workers=2) == one
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forkpool.available()
        assert validate_file(path, config=Config(max_errors=50), workers=2) == one
    finally:
        stop.set()
        other.join()
    assert used == ["_run_forked", "_run_pool"]


def test_progress_rises_to_the_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _chat_file(tmp_path, monkeypatch)
    seen: list[int] = []
    validate_file(path, workers=2, progress=seen.append)
    assert len(seen) > 2
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size
