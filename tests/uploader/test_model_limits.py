"""``GET /fine-tunes/models/limits`` on the local server, over real loopback HTTP: the bundled
table's limits in Together's field names, 404 for an unknown model, 400 without a name, and
the bearer key like every other endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from tests.uploader.conftest import KEY
from uploader.server import LocalServer

AUTH = {"Authorization": f"Bearer {KEY}"}
LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _limits(http: requests.Session, server: LocalServer, query: str,
            headers: dict[str, str] | None = None) -> requests.Response:
    return http.get(f"{server.base_url}/fine-tunes/models/limits{query}",
                    headers=AUTH if headers is None else headers, timeout=5)


def test_a_known_model_gets_its_limits(server: LocalServer, http: requests.Session) -> None:
    resp = _limits(http, server, f"?model_name={quote(LLAMA, safe='')}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    doc = resp.json()
    assert doc["model_name"] == LLAMA
    assert (doc["max_seq_length_sft"], doc["max_seq_length_dpo"]) == (131_072, 65_536)
    assert doc["min_max_seq_length"] == 1024
    for field in ("supports_tools", "supports_reasoning", "supports_vision",
                  "supports_full_training"):
        assert isinstance(doc[field], bool), field
    assert doc["supports_tools"] is True and doc["supports_vision"] is False
    assert doc["lora_training"]["max_batch_size"] == 8
    assert doc["full_training"]["min_batch_size"] == 8


@pytest.mark.parametrize(("name", "model_id", "lengths"), [
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1",
     (32_768, 16_384)),
    ("qwen/qwen3.5-9b", "Qwen/Qwen3.5-9B", (65_536, 49_152)),  # any case: the exact id back
])
def test_the_spec_rows(server: LocalServer, http: requests.Session, name: str, model_id: str,
                       lengths: tuple[int, int]) -> None:
    resp = _limits(http, server, f"?model_name={quote(name, safe='/')}")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["model_name"] == model_id
    assert (doc["max_seq_length_sft"], doc["max_seq_length_dpo"]) == lengths


def test_an_unknown_model_is_a_404_with_close_names(server: LocalServer,
                                                   http: requests.Session) -> None:
    resp = _limits(http, server, "?model_name=Mixtral-8x7B")
    assert resp.status_code == 404
    error = resp.json()["error"]
    assert error["type"] == "not_found"
    assert "Mixtral-8x7B" in error["message"]
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1" in error["message"]


@pytest.mark.parametrize("query", ["", "?", "?model_name=", "?model_name=%20",
                                   "?model=meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
                                   f"?model_name={LLAMA}&model_name={LLAMA}"])
def test_a_missing_model_name_is_a_400(server: LocalServer, http: requests.Session,
                                       query: str) -> None:
    resp = _limits(http, server, query)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "model_name"
    assert "model_name" in error["message"]


def test_too_many_query_fields_is_a_400(server: LocalServer, http: requests.Session) -> None:
    resp = _limits(http, server, "?" + "&".join(f"x{i}=1" for i in range(40)))
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": KEY}])
def test_the_endpoint_needs_the_bearer_key(server: LocalServer, http: requests.Session,
                                           headers: dict[str, str]) -> None:
    resp = _limits(http, server, f"?model_name={LLAMA}", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_error"


def test_only_get_is_routed(server: LocalServer, http: requests.Session) -> None:
    resp = http.post(f"{server.base_url}/fine-tunes/models/limits?model_name={LLAMA}",
                     headers=AUTH, timeout=5)
    assert resp.status_code == 404
    assert resp.json()["error"]["type"] == "not_found"


def test_requests_are_recorded_as_limits(server: LocalServer, http: requests.Session) -> None:
    _limits(http, server, f"?model_name={LLAMA}")
    recorded = [r for r in server.requests() if r.path.endswith("/models/limits")]
    assert [(r.kind, r.status) for r in recorded] == [("limits", 200)]
    assert recorded[0].query == f"model_name={LLAMA}"


def test_faults_can_be_injected_into_limits(server: LocalServer, http: requests.Session) -> None:
    server.inject("limits", 503, message="busy")
    assert _limits(http, server, f"?model_name={LLAMA}").status_code == 503
    assert _limits(http, server, f"?model_name={LLAMA}").status_code == 200
