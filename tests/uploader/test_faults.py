"""Faults on every leg of the protocol, injected by the local server: transient ones are
retried by the session's policy and the upload succeeds; lasting ones end in the project's own
error, with a multipart upload aborted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.uploader.conftest import FAST_RETRY, KEY, MULTIPART, Upload
from uploader import ApiError, FilesClient, TransportError, upload
from uploader.server import LocalServer

TRANSIENT: dict[str, dict[str, Any]] = {
    "500": {"status": 500},
    "429": {"status": 429, "retry_after": 0},
    "503": {"status": 503},
    "drop": {"status": None, "drop": True},
}


def _statuses(server: LocalServer, kind: str) -> list[int | None]:
    return [r.status for r in server.requests(kind)]


def _recovers(server: LocalServer, send: Upload, path: Path, kind: str, fault: str) -> None:
    server.inject(kind, **TRANSIENT[fault])
    result = send(path)
    assert result.status == "COMPLETED"
    statuses = _statuses(server, kind)
    assert statuses[0] == TRANSIENT[fault]["status"]  # None: dropped, no answer
    assert statuses[1] in (200, 302)
    assert server.file(result.file_id).sha256 == server.file(result.file_id).checksum


@pytest.mark.parametrize("fault", sorted(TRANSIENT))
@pytest.mark.parametrize("kind", ["create", "preprocess", "get"])
def test_api_calls_recover(server: LocalServer, send: Upload, small: Path, kind: str,
                           fault: str) -> None:
    _recovers(server, send, small, kind, fault)


@pytest.mark.parametrize("fault", sorted(TRANSIENT))
def test_the_storage_put_recovers(server: LocalServer, send: Upload, medium: Path,
                                  fault: str) -> None:
    _recovers(server, send, medium, "put", fault)  # a drop comes 3 MiB into the body


@pytest.mark.parametrize(("kind", "fault"), [
    *(("part", fault) for fault in sorted(TRANSIENT)),
    ("initiate", "500"), ("initiate", "drop"), ("complete", "429"), ("complete", "drop"),
])
def test_multipart_upload_recovers(server: LocalServer, send: Upload, medium: Path, kind: str,
                                   fault: str) -> None:
    server.inject(kind, nth=2 if kind == "part" else 1, **TRANSIENT[fault])
    result = send(medium, **MULTIPART)
    assert result.status == "COMPLETED"
    assert TRANSIENT[fault]["status"] in _statuses(server, kind)
    if kind == "part":  # only the failed part is sent again, not the whole upload
        assert len(server.requests("part")) == 3
        assert len(server.requests("initiate")) == 1
    assert server.requests("abort") == []
    stored = server.file(result.file_id)
    assert stored.sha256 == stored.checksum


def test_retry_after_is_honoured(server: LocalServer, send: Upload, small: Path) -> None:
    server.inject("create", 429, retry_after=1)
    start = time.monotonic()
    assert send(small).status == "COMPLETED"
    assert time.monotonic() - start >= 1.0
    assert _statuses(server, "create") == [429, 302]


def test_a_slow_answer_times_out_and_is_retried(server: LocalServer, small: Path) -> None:
    server.inject("get", None, delay=1.0)  # the first poll answers after the read timeout
    with FilesClient(KEY, server.base_url, retry=FAST_RETRY, timeout=(1.0, 0.3)) as client:
        result = upload(small, client=client, poll=None)
    assert result.status == "COMPLETED"
    assert len(server.requests("get")) >= 2


def test_exhausted_retries_on_the_put_end_in_an_error(server: LocalServer, send: Upload,
                                                      small: Path) -> None:
    server.inject("put", 500, times=None, message="storage is on fire")
    with pytest.raises(ApiError) as caught:
        send(small)
    err = caught.value
    assert err.status == 500
    assert err.server_message == "storage is on fire"
    assert err.url is not None and err.url.startswith(server.storage_url + "/storage/file-")
    assert "?" not in str(err) and "Signature" not in str(err)
    assert len(server.requests("put")) == 4  # the first try and 3 retries
    assert server.requests("preprocess") == []
    assert server.store.files == {}  # the empty file was deleted, not left behind


def test_exhausted_part_retries_abort_the_upload(server: LocalServer, send: Upload,
                                                 medium: Path) -> None:
    server.inject("part", 503, nth=2, times=None)
    with pytest.raises(ApiError) as caught:
        send(medium, **MULTIPART)
    assert caught.value.status == 503
    assert "PUT part" in str(caught.value)
    assert [r.status for r in server.requests("abort")] == [200]
    assert server.requests("complete") == []
    (upload_state,) = server.store.uploads.values()
    assert upload_state.state == "aborted"
    assert server.store.files == {}
    assert not list(server.store.root.glob("*.part"))


def test_a_failed_complete_aborts(server: LocalServer, send: Upload, medium: Path) -> None:
    server.inject("complete", 500, times=None)
    with pytest.raises(ApiError):
        send(medium, **MULTIPART)
    assert [r.status for r in server.requests("abort")] == [200]


def test_dropped_connections_exhaust_into_a_transport_error(server: LocalServer, send: Upload,
                                                            small: Path) -> None:
    server.inject("create", None, drop=True, times=None)
    with pytest.raises(TransportError) as caught:
        send(small)
    assert "POST /files failed" in str(caught.value)
    assert len(server.requests("create")) == 4
    assert server.requests("put") == []


def test_no_server_is_a_transport_error(small: Path) -> None:
    with LocalServer(api_key=KEY) as gone:
        url = gone.base_url
    with FilesClient(KEY, url, retry=FAST_RETRY) as client, \
            pytest.raises(TransportError) as caught:
        upload(small, client=client)
    assert "refused" in str(caught.value)


def test_client_errors_are_not_retried(server: LocalServer, send: Upload, small: Path) -> None:
    server.inject("create", 400, message="bad purpose")
    with pytest.raises(ApiError) as caught:
        send(small)
    assert (caught.value.status, caught.value.server_message) == (400, "bad purpose")
    assert len(server.requests("create")) == 1
