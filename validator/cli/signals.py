"""SIGTERM and SIGHUP stop ftdata as Ctrl-C does.

A service manager stops a pipeline stage with SIGTERM, a closed terminal sends SIGHUP. Python's
default for both is to die on the spot: forked workers left running, ``*.partial`` outputs and
temporary folders left behind, a multipart upload left open. While a command runs, both raise
:class:`Terminated` in the main thread instead. It is a ``KeyboardInterrupt``, so every clean-up
path written for Ctrl-C (``finally`` blocks, ``except BaseException`` in the uploader) runs for
them too, and the command exits with 128 + the signal's number, as a shell reports it.

Only the first signal interrupts: a second one while the clean-up runs is ignored, so the
clean-up finishes (a service manager that will not wait sends SIGKILL anyway).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["STOPPING", "Terminated", "stop_on_signals"]

STOPPING = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __reduce__(self) -> tuple[type[Terminated], tuple[int]]:
        # raised in a forked worker, it is pickled back to the caller (run.forkpool)
        return (Terminated, (self.signum,))

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only: a
    library caller running ftdata in a thread keeps its own handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
