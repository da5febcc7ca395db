"""A key that cannot be sent in an HTTP header (one read from a CRLF file, say) is refused up
front, before any request, with a message that does not hold the key or any part of it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import uploader.session
from tests.uploader.conftest import FAST_RETRY, KEY
from uploader import FilesClient, MissingApiKey, UploadError
from uploader.server import LocalServer
from validator.cli.main import main

BAD_KEYS = {
    "crlf-file": KEY + "\r",
    "lf": KEY + "\n",
    "crlf-inside": KEY[:12] + "\r\nX-Injected: 1",
    "tab": KEY + "\t",
    "leading-space": " " + KEY,
    "trailing-space": KEY + " ",
    "space-inside": KEY[:12] + " " + KEY[12:],
    "control": KEY + "\x01",
    "escape": KEY[:12] + "\x1b[2J" + KEY[12:],
    "del": KEY + "\x7f",
    "c1-control": KEY + "\x85",
    "not-latin-1": KEY + "\u20ac",
    "zero-width": KEY + "\u200b",
}


def _leaks(text: str, key: str) -> list[str]:
    """Every 6-character piece of ``key`` (stripped) that ``text`` holds."""
    core = key.strip()
    return sorted({core[i:i + 6] for i in range(len(core) - 5) if core[i:i + 6] in text})


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(BAD_KEYS))
def test_a_key_that_cannot_be_a_header_is_refused_without_echoing_it(
        cli_env: LocalServer, small: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    key = BAD_KEYS[name]
    monkeypatch.setenv("TOGETHER_API_KEY", key)
    for argv in (["files", "list"], ["upload", str(small)], ["upload", "--no-check", str(small)],
                 ["files", "get", "file-0"], ["files", "delete", "file-0"]):
        code, out, err = _run(*argv)
        captured = capsys.readouterr()
        assert code == 2, (argv, err)
        assert "TOGETHER_API_KEY" in err and "Traceback" not in err
        assert err.startswith("ftdata: error: ") and err.count("\n") == 1, err
        for text in (out, err, captured.out, captured.err):
            assert _leaks(text, key) == [], (argv, text)
    assert cli_env.requests() == []  # refused before anything was sent


@pytest.mark.parametrize("name", sorted(BAD_KEYS))
def test_the_client_refuses_it_too(name: str) -> None:
    key = BAD_KEYS[name]
    with pytest.raises(MissingApiKey) as caught:
        FilesClient(key, "http://127.0.0.1:9/v1")
    assert _leaks(f"{caught.value} {caught.value!r}", key) == []


def test_a_nul_byte_in_a_key_is_refused() -> None:
    with pytest.raises(MissingApiKey) as caught:
        FilesClient(KEY + "\x00", "http://127.0.0.1:9/v1")
    assert _leaks(str(caught.value), KEY) == []


def test_a_good_key_with_latin_1_letters_still_works(server: LocalServer) -> None:
    # a header value may hold latin-1 text; only controls and whitespace are refused
    FilesClient("sk-caf\xe9-123", server.base_url).close()


def test_a_header_the_http_layer_refuses_never_reaches_a_message(
        server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the up-front check ever bypassed, the http layer's own error (which quotes the
    header value, ``Bearer <key>``) must still not reach the message."""
    monkeypatch.setattr(uploader.session, "check_api_key", lambda key: None)
    key = KEY + "\r"
    with FilesClient(key, server.base_url, retry=FAST_RETRY) as client, \
            pytest.raises(UploadError) as caught:
        client.list_files()
    text = f"{caught.value} {caught.value!r}"
    assert _leaks(text, key) == [] and "Bearer" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
