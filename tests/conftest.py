"""Shared fixtures: small helpers to write dataset files."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A shell starts a background job (`make test &`, nohup) with SIGINT ignored, and every child
# inherits that: the tests that press Ctrl-C on ftdata would wait for nothing. Take Ctrl-C
# back, for this process and the processes it starts.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

CHAT: dict[str, Any] = {
    "messages": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
    ]
}


@pytest.fixture(autouse=True)
def _no_together_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches Together with a developer's own key (``--model`` asks the limits
    endpoint when one is set): a test that needs a key sets its own."""
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, *records_or_bytes) -> path; dicts are written as JSON lines."""

    def _write(name: str, *lines: Any) -> Path:
        path = tmp_path / name
        chunks = [
            line if isinstance(line, bytes) else orjson.dumps(line) + b"\n" for line in lines
        ]
        path.write_bytes(b"".join(chunks))
        return path

    return _write


Occurrence = tuple[int | None, str | None, str]


def occurrences(report: Any) -> list[Occurrence]:
    """Every issue of ``report`` as (line, path, code), a group of identical issues expanded
    to its lines, in file order: file-level issues first, then by line, path and code (the
    order of one line's issues is not part of the contract)."""
    keys: list[Occurrence] = []
    for issue in report.issues:
        lines = issue.first_lines or (None,)
        assert issue.count == len(lines) or issue.line is None, \
            f"{issue.code}: a group of {issue.count} in a test file names {len(lines)} lines"
        for line in lines:
            keys.extend((line, issue.path, issue.code)
                        for _ in range(issue.count if line is None else 1))
    return sorted(keys, key=file_order)


def file_order(key: Occurrence) -> tuple[int, str, str]:
    line, path, code = key
    return (-1 if line is None else line, path or "", code)
