"""Running jobs in forked processes, the calling process working too (Linux, one thread).

``multiprocessing`` and ``concurrent.futures`` cost about 20 ms to import and keep the calling
process idle while its workers scan. On a 2-core machine validating a 100 MB file takes
about 0.2 s, so that was a tenth of the run. Here the caller forks ``workers - 1`` children
and then scans too. The children inherit everything already imported, as with the fork start
method. Jobs are handed out through a pipe holding their indexes as 2-byte numbers, all
written before the fork. Every process reads one index at a time, so a slow range never holds
up the rest. A child sends its results back pickled, through a pipe of its own, when it has no
more jobs to take, and leaves with ``os._exit``: no atexit handler runs and no inherited
buffer is flushed twice. Each finished job is reported to the caller as it finishes, for
progress.

A child that dies (killed, out of memory) is a :class:`WorkerDied`. When no more children can
be forked, the jobs are shared by those there are (at worst the caller does them all). An
exception raised by a job in a child is raised again in the caller, as a process pool would.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["WorkerDied", "available", "run_forked"]

J = TypeVar("J")
R = TypeVar("R")

_INDEX = 2  # bytes per job index in the job pipe
# All indexes are written before the fork, so they must fit in a pipe's buffer: a Linux pipe
# holds at least one page (4 KiB, when the user's pipe quota is spent), else 64 KiB. That also
# bounds what children write to the "done" pipe, so no write here can block.
MAX_JOBS = 4096 // _INDEX
_STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # held while a child is forked


class WorkerDied(Exception):
    """A worker process ended without sending its results."""


def available() -> bool:
    """Whether :func:`run_forked` may be used here: Linux (fork is the platform's way), and no
    other thread running that could hold a lock at the moment of the fork."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def run_forked(task: Callable[[J], R], jobs: Sequence[J], workers: int,
               on_done: Callable[[int], None] | None = None) -> list[R]:
    """``[task(job) for job in jobs]``, computed by this process and up to ``workers - 1``
    forked children. ``on_done(i)`` is called in this process as each job ``i`` finishes, in the
    order they finish."""
    if not 1 <= len(jobs) <= MAX_JOBS:
        raise ValueError(f"between 1 and {MAX_JOBS} jobs, not {len(jobs)}")
    import pickle  # noqa: F401, PLC0415 - loaded here, by the caller, not by each child
    queue_r, queue_w = os.pipe()
    os.write(queue_w, b"".join(i.to_bytes(_INDEX, "big") for i in range(len(jobs))))
    os.close(queue_w)  # all written: an empty pipe now reads as end of file
    report = on_done if on_done is not None else _ignore
    done_r, done_w = os.pipe()  # children write the index of each job they finish
    children: dict[int, int] = {}  # pid -> the read end of its results pipe
    results: dict[int, R] = {}
    try:
        for _ in range(min(workers, len(jobs)) - 1):
            result_r, result_w = os.pipe()
            # Signals wait from before the fork until the child is recorded: a Ctrl-C landing
            # in between (the child, forked after it, never got it) then reaches a caller that
            # knows the child and stops it, instead of leaving it running. Blocking them here
            # holds them for this thread only: one sent to the process may still land in
            # another (a native thread pool's), and Python then runs its handler here at once,
            # so the handlers only note them until the child is recorded.
            with _deferred() as (held, handlers):
                try:
                    pid = os.fork()
                except OSError:  # out of processes or memory: go on with the workers there are
                    os.close(result_r)
                    os.close(result_w)
                    break
                if pid == 0:  # the child: never returns
                    os.close(result_r)  # signals are held: nothing interrupts this
                    _child(task, jobs, queue_r, done_w, result_w, mask=held, handlers=handlers)
                children[pid] = result_r
                os.close(result_w)
        os.close(done_w)
        done_w = -1
        os.set_blocking(done_r, False)
        while (index := _take(queue_r)) is not None:
            results[index] = task(jobs[index])
            report(index)
            _drain(done_r, report)
        os.set_blocking(done_r, True)
        _drain(done_r, report)  # until every child has closed its end
        for pid in list(children):
            results.update(_collect(pid, children.pop(pid)))
    finally:
        for pid, fd in children.items():
            os.close(fd)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        for fd in (queue_r, done_r, done_w):
            if fd >= 0:
                os.close(fd)
    return [results[i] for i in range(len(jobs))]


def _ignore(_index: int) -> None:
    pass


def _take(queue_r: int) -> int | None:
    """The next job's index, or None when every job is taken."""
    raw = os.read(queue_r, _INDEX)  # atomic: every process reads whole indexes from a pipe
    return int.from_bytes(raw, "big") if raw else None


def _drain(done_r: int, on_done: Callable[[int], None]) -> None:
    """Report the jobs children finished; blocking or not as ``done_r`` is."""
    while True:
        try:
            raw = os.read(done_r, 512 * _INDEX)
        except BlockingIOError:
            return
        if not raw:
            return
        for k in range(0, len(raw), _INDEX):
            on_done(int.from_bytes(raw[k:k + _INDEX], "big"))


@contextmanager
def _deferred() -> Iterator[tuple[set[int], dict[int, Any]]]:
    """While the block runs, the stopping signals are held (blocked in this thread, and only
    noted by their handlers should one reach Python from another thread); then they are
    given to the handlers there were, in the order they came. Yields the signal mask and the
    handlers from before, for a child forked inside to put back."""
    noted: list[int] = []
    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # where Python runs handlers
        for sig in _STOPPING:
            before = signal.getsignal(sig)
            if before is not None:  # None: a handler not set from Python, left alone
                handlers[sig] = signal.signal(sig, lambda signum, _frame: noted.append(signum))
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield held, handlers
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        for number, previous in handlers.items():
            signal.signal(number, previous)
        for number in noted:
            signal.raise_signal(number)


def _child(task: Callable[[J], R], jobs: Sequence[J], queue_r: int, done_w: int,
           result_w: int, *, mask: Iterable[int], handlers: dict[int, Any]) -> None:
    import pickle  # noqa: PLC0415 - already loaded by run_forked: start-up stays lean

    from validator.run import allocator  # noqa: PLC0415 - a process of ftdata's own now

    allocator.own()
    status = 0
    try:
        for sig, before in handlers.items():  # the caller's, not the ones that only note
            signal.signal(sig, before)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C held since the fork: now
        mine: list[tuple[int, Any]] = []
        while (index := _take(queue_r)) is not None:
            mine.append((index, task(jobs[index])))
            os.write(done_w, index.to_bytes(_INDEX, "big"))
        os.close(done_w)  # before the results: the caller reads those after every done
        payload = pickle.dumps(("ok", mine), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # everything goes back to the caller
        status = 1
        try:
            payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle
            payload = pickle.dumps(("error", RuntimeError(repr(exc))))
    try:
        with os.fdopen(result_w, "wb") as out:
            out.write(payload)
    finally:
        os._exit(status)


def _collect(pid: int, result_r: int) -> list[tuple[int, Any]]:
    """A child's results, once it has sent them and ended."""
    import pickle  # noqa: PLC0415 - see _child

    with os.fdopen(result_r, "rb") as handle:
        payload = handle.read()
    _, status = os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(payload)
    except Exception:  # nothing or half a message: the child died
        reason = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                  else f"exit status {os.waitstatus_to_exitcode(status)}")
        raise WorkerDied(f"worker process {pid} ended without its results ({reason})") from None
    if kind == "error":
        raise value
    results: list[tuple[int, Any]] = value
    return results
