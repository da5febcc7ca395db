"""Fixtures for the uploader: the project's own Files API server on 127.0.0.1, port 0, in a
thread, and a client pointed at it with tiny retry backoffs so fault tests stay fast."""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import uploader.gate
import uploader.session
from uploader import FilesClient, PollPolicy, UploadResult, retry_policy, upload
from uploader.server import LocalServer

KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # distinctive, so a leak is easy to find
FAST_RETRY = retry_policy(retries=3, backoff=0.001, backoff_max=0.01, jitter=0.001,
                          retry_after_max=2)
FAST_POLL = PollPolicy(interval=0.005, factor=1.5, max_interval=0.05, timeout=30)
MIB = 2**20
MULTIPART: dict[str, int] = {"multipart_threshold": MIB, "part_size": 5 * MIB}

CHAT = {"messages": [{"role": "user", "content": "What is 2+2?"},
                     {"role": "assistant", "content": "4"}]}
BAD = {"messages": [{"role": "bot", "content": "hi"}]}

Upload = Callable[..., UploadResult]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=KEY) as srv:
        yield srv


_SDK_CLIENTS: list[Any] = []


def sdk3(server: LocalServer) -> Any:
    """together SDK 3.x's client of ``server``, without retries; closed after the test (its
    pooled connections would otherwise be left to the garbage collector)."""
    together = pytest.importorskip("together")
    sdk = together.Together(api_key=KEY, base_url=server.base_url.removesuffix("/v1"),
                            max_retries=0)
    _SDK_CLIENTS.append(sdk)
    return sdk


@pytest.fixture(autouse=True)
def _close_sdk_clients() -> Iterator[None]:
    yield
    while _SDK_CLIENTS:
        _SDK_CLIENTS.pop().close()


@pytest.fixture
def client(server: LocalServer) -> Iterator[FilesClient]:
    with FilesClient(KEY, server.base_url, retry=FAST_RETRY, timeout=(2.0, 10.0)) as c:
        yield c


@pytest.fixture
def send(client: FilesClient) -> Upload:
    """``upload`` bound to the local server's client and a fast poll."""
    return functools.partial(upload, client=client, poll=FAST_POLL)


@pytest.fixture
def cli_env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The environment ``ftdata`` reads, pointed at the local server, with the fast policies."""
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    monkeypatch.setenv("TOGETHER_BASE_URL", server.base_url)
    monkeypatch.setattr(uploader.session, "retry_policy", lambda: FAST_RETRY)
    monkeypatch.setattr(uploader.gate, "PollPolicy", lambda: FAST_POLL)
    return server


def write_jsonl(path: Path, *records: Any) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", CHAT, CHAT)


@pytest.fixture
def invalid(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "invalid.jsonl", CHAT, BAD)


def _generate(path: Path, size: int) -> Path:
    lines = [orjson.dumps({"messages": [
        {"role": "user", "content": f"question {i}: " + "lorem ipsum " * (i % 40)},
        {"role": "assistant", "content": f"answer {i}: " + "dolor sit amet " * (i % 60)},
    ]}) + b"\n" for i in range(500)]
    block = b"".join(lines)
    with path.open("wb") as out:
        for _ in range(size // len(block) + 1):
            out.write(block)
    return path


@pytest.fixture(scope="session")
def _sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    return {"big": _generate(folder / "big.jsonl", 12 * MIB),
            "medium": _generate(folder / "medium.jsonl", 6 * MIB)}


@pytest.fixture
def big(tmp_path: Path, _sources: dict[str, Path]) -> Path:
    """About 12 MiB of valid conversations, three 5 MiB parts (5 + 5 + 2); a private copy, so
    a test may change it."""
    return Path(shutil.copy(_sources["big"], tmp_path / "big.jsonl"))


@pytest.fixture
def medium(tmp_path: Path, _sources: dict[str, Path]) -> Path:
    """About 6 MiB: two parts (5 + 1), for the many fault tests."""
    return Path(shutil.copy(_sources["medium"], tmp_path / "medium.jsonl"))


def wait_status(server: LocalServer, file_id: str) -> str:
    """The file's final processing_status on the local server, polled every 10 ms."""
    for _ in range(500):
        status = server.file(file_id).status
        if status in ("COMPLETED", "FAILED", "INVALID_FORMAT"):
            return status
        time.sleep(0.01)
    raise AssertionError("processing never finished")
