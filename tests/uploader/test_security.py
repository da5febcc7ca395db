"""The key goes to the API and nowhere else: never to presigned storage (not even through a
redirect or a retry), never into output, logs, exceptions or reprs; TLS stays verified."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import requests

from tests.uploader.conftest import BAD, CHAT, FAST_RETRY, KEY, MULTIPART, Upload, write_jsonl
from uploader import ApiError, AuthenticationError, FilesClient, UnexpectedResponse, upload
from uploader.server import LocalServer
from uploader.session import BearerAuth, make_session, origin
from validator.cli.main import main
from validator.errors import UsageError


def _upload_every_way(server: LocalServer, send: Upload, small: Path, big: Path) -> None:
    server.inject("put", 500)
    server.inject("part", None, nth=2, drop=True)
    send(small)
    send(big, **MULTIPART)


def test_no_authorization_header_reaches_storage(server: LocalServer, send: Upload,
                                                 small: Path, big: Path) -> None:
    _upload_every_way(server, send, small, big)
    storage = server.requests(listener="storage")
    assert len(storage) == 2 + 4  # a PUT and its retry; three parts and one retry
    for request in storage:
        assert "authorization" not in {name.lower() for name in request.headers}
        assert KEY not in str(request.headers)
    for request in server.requests(listener="api"):
        assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_a_redirect_is_not_followed(server: LocalServer, client: FilesClient) -> None:
    steal = server.storage_url + "/storage/file-0?X-Amz-Signature=x"
    server.inject("list", 307, headers=(("Location", steal),))
    with pytest.raises(UnexpectedResponse, match="redirects are not followed"):
        client.list_files()
    assert server.requests(listener="storage") == []


def test_bearer_auth_is_bound_to_the_api_origin() -> None:
    auth = BearerAuth(KEY, "https://api.together.ai/v1")

    def headers(url: str) -> dict[str, str]:
        prepared = requests.Request("PUT", url, headers={"Authorization": "x"}).prepare()
        return dict(auth(prepared).headers)

    assert headers("https://api.together.ai:443/v1/files")["Authorization"] == f"Bearer {KEY}"
    assert headers("HTTPS://API.TOGETHER.AI/v1/files")["Authorization"] == f"Bearer {KEY}"
    for other in ("http://api.together.ai/v1/files", "https://api.together.ai:8443/v1",
                  "https://bucket.s3.amazonaws.com/f?X-Amz-Signature=1",
                  "https://api.together.ai.evil.com/v1"):
        assert "Authorization" not in headers(other), other
    assert KEY not in repr(auth)
    assert origin("https://h") == ("https", "h", 443)


def test_the_key_is_never_sent_in_clear_text_off_the_machine() -> None:
    with pytest.raises(UsageError, match="clear text"):
        FilesClient(KEY, "http://api.together.ai/v1")
    for fine in ("https://api.together.ai/v1", "http://127.0.0.1:9/v1", "http://localhost/v1",
                 "http://[::1]:9/v1"):
        FilesClient(KEY, fine).close()


def test_tls_verification_stays_on() -> None:
    session = make_session(BearerAuth(KEY, "https://api.together.ai/v1"))
    with session:
        assert session.verify is True
        adapter = session.get_adapter("https://api.together.ai/v1")
        assert adapter.max_retries.status_forcelist  # type: ignore[attr-defined]


def test_errors_and_reprs_hold_no_key_and_no_signature(server: LocalServer, send: Upload,
                                                       small: Path, client: FilesClient) -> None:
    server.inject("put", 500, times=None, message=f"echoing {KEY} back")
    with pytest.raises(ApiError) as caught:
        send(small)
    text = f"{caught.value} {caught.value!r} {caught.value.server_message}"
    assert KEY not in text and "[redacted]" in text
    assert "Signature" not in text
    assert KEY not in repr(client) and KEY not in repr(client.session.auth)


def test_a_wrong_key_is_an_authentication_error_without_the_key(server: LocalServer,
                                                                small: Path) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    with FilesClient(wrong, server.base_url, retry=FAST_RETRY) as client, \
            pytest.raises(AuthenticationError) as caught:
        upload(small, client=client)
    assert caught.value.status == 401
    assert "TOGETHER_API_KEY" in str(caught.value)
    assert wrong not in str(caught.value)


@pytest.mark.parametrize("fault", [None, "put-500", "create-drop", "wrong-key"])
def test_the_key_never_appears_in_cli_output_or_logs(
        cli_env: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, fault: str | None) -> None:
    small = write_jsonl(tmp_path / "small.jsonl", CHAT)
    invalid = write_jsonl(tmp_path / "invalid.jsonl", BAD)
    key = KEY
    if fault == "put-500":
        cli_env.inject("put", 500, times=None)
    elif fault == "create-drop":
        cli_env.inject("create", None, drop=True, times=None)
    elif fault == "wrong-key":
        key = "sk-other-key-that-is-wrong-42"
        monkeypatch.setenv("TOGETHER_API_KEY", key)
    caplog.set_level(logging.DEBUG)  # urllib3 and requests log at debug too
    texts = []
    for argv in (["upload", str(small)], ["upload", "--no-check", "-o", "json", str(invalid)],
                 ["upload", str(invalid)], ["files", "list"]):
        out, err = io.StringIO(), io.StringIO()
        main(argv, stdout=out, stderr=err)
        texts += [out.getvalue(), err.getvalue()]
    texts += [caplog.text, *(str(record.args) for record in caplog.records)]
    assert "Bearer" in str(cli_env.requests(listener="api")[0].headers)
    for text in texts:
        assert key not in text


@pytest.mark.parametrize(("location", "problem"), [
    ("not a url", "holds spaces, control or non-ASCII characters"),
    ("/storage/file-0?X-Amz-Signature=x", "is not an http(s) URL"),  # relative: the API's host
    ("//elsewhere.example/put", "is not an http(s) URL"),
    ("ftp://storage.example/file", "is not an http(s) URL"),
    ("file:///etc/passwd", "is not an http(s) URL"),
    ("javascript:alert(1)", "is not an http(s) URL"),
    ("http://", "has no host"),
    ("http://storage.example:99999/x", "is not a URL"),
    ("http://[::1/x", None),  # requests itself cannot parse it
    ("http://storage.example/a\x01b", "holds spaces, control or non-ASCII characters"),
    ("http://storage.example/a\x7fb", "holds spaces, control or non-ASCII characters"),
    ("http://storage.example/\tx", "holds spaces, control or non-ASCII characters"),
    ("http://storage.example/caf\xe9", None),
    ("https://storage.example/" + "a" * 20_000, "is longer than 16,384 characters"),
])
def test_a_bad_location_is_a_clear_error_and_nothing_is_sent(
        server: LocalServer, send: Upload, small: Path, location: str,
        problem: str | None) -> None:
    server.inject("create", 302, headers=(("Location", location),
                                          ("X-Together-File-Id", "file-0")))
    with pytest.raises(UnexpectedResponse) as caught:
        send(small)
    text = str(caught.value)
    assert location not in text or location == "http://"
    assert server.requests("put") == [] and server.requests("unknown") == []
    assert server.requests("preprocess") == []
    if problem is None:
        assert text.startswith("POST /files: the answer has a malformed header")
        return
    assert text.startswith(f"POST /files: Location {problem}: HTTP 302 from http://127.0.0.1:")
    assert [r.path for r in server.requests("delete")] == ["/v1/files/file-0"]  # discarded


def test_a_bad_part_url_is_never_sent_and_the_upload_is_aborted(
        server: LocalServer, send: Upload, medium: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader.server.api import ApiHandler

    monkeypatch.setattr(ApiHandler, "_presigned", lambda self, path, sig: "file:///etc/passwd")
    with pytest.raises(UnexpectedResponse, match=r"PUT part \d: not sent: the URL is not an "
                                                 r"http\(s\) URL"):
        send(medium, **MULTIPART)
    assert server.requests(listener="storage") == []
    assert [r.status for r in server.requests("abort")] == [200]
