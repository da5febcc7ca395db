"""Faults on every leg of the protocol, injected by the local server: transient ones are
retried by the session's policy and the upload succeeds; lasting ones end in the project's own
error, with a multipart upload aborted."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection

from tests.uploader.conftest import FAST_RETRY, KEY, MIB, MULTIPART, Upload
from uploader import ApiError, FilesClient, TransportError, UploadError, upload
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
    ("complete", "429"), ("complete", "drop"),
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


@pytest.mark.parametrize("fault", sorted(TRANSIENT))
def test_initiate_is_not_retried_once_it_may_have_reached_the_server(
        server: LocalServer, send: Upload, medium: Path, fault: str) -> None:
    """A second initiate would open a second upload that nothing completes or aborts."""
    server.inject("initiate", **TRANSIENT[fault])
    with pytest.raises(TransportError if fault == "drop" else ApiError) as caught:
        send(medium, **MULTIPART)
    assert "POST /files/multipart/initiate failed" in str(caught.value)
    assert _statuses(server, "initiate") == [TRANSIENT[fault]["status"]]
    assert server.requests("part") == server.requests("complete") == []


def test_an_initiate_that_times_out_is_not_repeated(server: LocalServer, medium: Path) -> None:
    server.inject("initiate", None, delay=1.0)  # done by the server after the client gave up
    with FilesClient(KEY, server.base_url, retry=FAST_RETRY, timeout=(1.0, 0.3)) as client, \
            pytest.raises(TransportError, match="timed out"):
        upload(medium, client=client, multipart_threshold=MIB, part_size=5 * MIB)
    time.sleep(1.0)
    assert len(server.requests("initiate")) == 1
    assert len(server.store.uploads) == 1  # the one the slow answer opened, not two


def test_initiate_is_retried_when_the_connection_is_refused(
        server: LocalServer, send: Upload, medium: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused: the request never left the client, so it is safe to send it again."""
    api_port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    connect = urllib3.util.connection.create_connection
    attempts: list[int] = []

    def refuse_the_first(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[1] == api_port:
            attempts.append(address[1])
            if len(attempts) == 1:
                raise ConnectionRefusedError(111, "Connection refused")
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse_the_first)
    result = send(medium, **MULTIPART)
    assert result.status == "COMPLETED"
    assert server.requests(listener="api")[0].kind == "initiate"
    assert _statuses(server, "initiate") == [200]
    assert len(attempts) >= 2


def test_other_api_calls_of_a_multipart_upload_are_still_retried(
        server: LocalServer, send: Upload, medium: Path) -> None:
    server.inject("abort", 503)
    server.inject("complete", 500, times=None)
    with pytest.raises(UploadError):
        send(medium, **MULTIPART)
    assert _statuses(server, "abort") == [503, 200]
    assert len(server.requests("complete")) == 4
