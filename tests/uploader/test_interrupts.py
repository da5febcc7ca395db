"""Ctrl-C (and SIGTERM or SIGHUP, which ``ftdata`` turns into a ``KeyboardInterrupt``) at any
point of an upload leaves nothing behind on the server: a multipart upload is aborted, a single
upload's file record is deleted. The clean-up is quick and best-effort: it never raises over the
interrupt. And the local server's ``close`` is bounded, whatever its threads are stuck in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import uploader
import uploader.cleanup
import uploader.multipart
import uploader.single
from tests.uploader.conftest import CHAT, KEY, MULTIPART, Upload, write_jsonl
from uploader import FilesClient
from uploader.server import LocalServer
from uploader.server.store import Store, StoredFile


def _nothing_left(server: LocalServer, client: FilesClient) -> None:
    assert client.list_files() == []  # through the API: no file record remains
    assert [u.state for u in server.store.uploads.values() if u.state == "open"] == []


def _raise_at(count: int) -> Callable[[str, int, int], None]:
    """A progress callback that raises KeyboardInterrupt at the ``count``-th upload report."""
    seen = [0]

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "upload":
            seen[0] += 1
            if seen[0] == count:
                raise KeyboardInterrupt

    return progress


def test_ctrl_c_during_the_single_put_deletes_the_file(server: LocalServer, client: FilesClient,
                                                       send: Upload, small: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        send(small, progress=_raise_at(1))  # inside the PUT body's read
    assert [r.status for r in server.requests("delete")] == [200]
    _nothing_left(server, client)


@pytest.mark.parametrize("where", ["answer_url", "FileRange", "preprocess"])
def test_ctrl_c_anywhere_after_create_deletes_the_file(
        server: LocalServer, client: FilesClient, send: Upload, small: Path, *,
        monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    if where == "preprocess":
        monkeypatch.setattr(FilesClient, "preprocess", interrupt)
    else:
        monkeypatch.setattr(uploader.single, where, interrupt)
    with pytest.raises(KeyboardInterrupt):
        send(small)
    assert len(server.requests("create")) == 1
    _nothing_left(server, client)


def test_a_failing_delete_never_hides_the_interrupt(server: LocalServer, client: FilesClient,
                                                    send: Upload, small: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploader.cleanup, "CLEANUP_TIMEOUT", (0.5, 0.5))
    server.inject("delete", None, delay=5.0, times=None)  # the server hangs on DELETE
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        send(small, progress=_raise_at(1))
    assert time.monotonic() - started < 4  # one short try, no retries with backoff
    server.journal._faults.clear()
    server.inject("delete", 500, times=None)
    with pytest.raises(KeyboardInterrupt):
        send(small, progress=_raise_at(1))
    assert [r.status for r in server.requests("delete")][-1:] == [500]


@pytest.fixture
def sigusr1_interrupts() -> Iterator[Callable[[], None]]:
    """A way to interrupt the main thread from any thread, as a real signal does."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        yield lambda: os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_signal_during_the_parts_aborts_the_multipart_upload(
        server: LocalServer, client: FilesClient, send: Upload, medium: Path,
        sigusr1_interrupts: Callable[[], None]) -> None:
    fired = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:  # called from the part threads
        if phase == "upload" and not fired.is_set():
            fired.set()
            sigusr1_interrupts()
            time.sleep(0.2)  # the main thread takes the signal while parts are on the wire

    with pytest.raises(KeyboardInterrupt):
        send(medium, progress=progress, **MULTIPART)
    assert [r.status for r in server.requests("abort")] == [200]
    assert server.requests("complete") == []
    _nothing_left(server, client)


@pytest.mark.parametrize("where", ["_targets", "_put_parts"])
def test_ctrl_c_after_initiate_aborts(server: LocalServer, client: FilesClient, send: Upload,
                                      medium: Path, *, monkeypatch: pytest.MonkeyPatch,
                                      where: str) -> None:
    real = getattr(uploader.multipart, where)

    def then_interrupt(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise KeyboardInterrupt  # just before the parts, or just before complete

    monkeypatch.setattr(uploader.multipart, where, then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        send(medium, **MULTIPART)
    assert [r.status for r in server.requests("abort")] == [200]
    _nothing_left(server, client)


def test_close_is_bounded_whatever_the_threads_are_stuck_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(record: StoredFile) -> tuple[str, dict[str, Any] | None]:
        release.wait(60)  # validating a huge file, say
        return "COMPLETED", None

    monkeypatch.setattr(Store, "judge", staticmethod(stuck))
    server = LocalServer(api_key=KEY).start()
    try:
        with FilesClient(KEY, server.base_url) as client:
            for n in range(3):
                path = write_jsonl(tmp_path / f"d{n}.jsonl", CHAT, {"text": str(n)})
                uploader.upload(path, check=False, client=client, wait=False)
        server.inject("list", None, delay=60)  # and a request thread stuck in its work
        threading.Thread(target=_list, args=(server,), daemon=True).start()
        time.sleep(0.2)
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 5
        assert not any(t.is_alive() for t in server._threads)
    finally:
        release.set()


def _list(server: LocalServer) -> None:
    try:
        with FilesClient(KEY, server.base_url, timeout=(1, 90)) as client:
            client.list_files()
    except Exception:
        pass


@pytest.mark.parametrize(("kind", "signum"), [("put", signal.SIGTERM), ("part", signal.SIGHUP)])
def test_ftdata_upload_stopped_by_a_signal_leaves_nothing_behind(
        server: LocalServer, client: FilesClient, small: Path, medium: Path, *, kind: str,
        signum: int) -> None:
    """End to end: ``ftdata`` turns SIGTERM and SIGHUP into an interrupt (exit 128 + signal);
    the upload cleans up on its way out."""
    server.inject(kind, None, delay=10.0, times=None)  # the storage takes its time
    env = {**os.environ, "TOGETHER_API_KEY": KEY, "TOGETHER_BASE_URL": server.base_url}
    path, extra = (small, []) if kind == "put" else (medium, ["--multipart-threshold", "1MiB",
                                                              "--part-size", "5MiB"])
    child = subprocess.Popen([str(Path(sys.executable).parent / "ftdata"), "upload",
                              "--no-check", *extra, str(path)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1000):
            if server.requests(kind) or child.poll() is not None:
                break
            time.sleep(0.01)
        assert server.requests(kind), "the upload never reached storage"
        child.send_signal(signum)
        started = time.monotonic()
        _, err = child.communicate(timeout=20)
        assert time.monotonic() - started < 6  # not held by a part waiting on its answer
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 128 + signum, err
    assert "Traceback" not in err
    _nothing_left(server, client)
