"""``--model`` with a key set: the limits endpoint is the authority on the model's limits
(SPEC §5, §6), asked over real loopback HTTP of the local server through the uploader's
``ftdata.model_limits`` entry point; the bundled table when the API cannot answer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import uploader.server.api as server_api
from tests.uploader.conftest import KEY
from tests.wordtok import word_tokenizer
from uploader.server import LocalServer
from uploader.server.models import Refusal
from validator import validate_file
from validator.cli.main import main
from validator.config import Config
from validator.models import find_model, remote
from validator.models.settings import ModelSettings

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"  # the table: 131,072, tools


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(remote, "_answers", {})  # answers are kept per process
    yield


@pytest.fixture
def api(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    monkeypatch.setenv("TOGETHER_BASE_URL", server.base_url)
    return server


def _answer(monkeypatch: pytest.MonkeyPatch, **fields: Any) -> None:
    """The server answers with the table's document, ``fields`` over it."""
    monkeypatch.setattr(server_api, "model_limits",
                        lambda query: {**find_model(LLAMA).to_api(), **fields})


def _file(tmp_path: Path, **extra: Any) -> tuple[Path, Config]:
    words = " ".join(["a"] * 30)
    sample = {"messages": [{"role": "user", "content": "q"},
                           {"role": "assistant", "content": words}], **extra}
    path = tmp_path / "d.jsonl"
    path.write_bytes(orjson.dumps(sample) + b"\n")
    tok = word_tokenizer(tmp_path / "tok")
    return path, Config(model=ModelSettings(LLAMA, tokenizer=str(tok)))


def _limits_requests(server: LocalServer) -> list[Any]:
    return [r for r in server.requests() if r.kind == "limits"]


def test_the_endpoints_limit_and_capabilities_win(api: LocalServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, max_seq_length_sft=20, supports_tools=False)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    path, config = _file(tmp_path, tools=tools)
    report = validate_file(path, config=config)
    assert [i.code for i in report.issues] == ["model-no-tools", "sample-truncated"]
    tokens = report.stats["tokens"]
    assert tokens["max_seq_length"] == 20 and tokens["limits_source"] == remote.SOURCE
    validate_file(path, config=config)  # asked once per process
    assert [(r.status, r.query) for r in _limits_requests(api)] == [
        (200, "model_name=meta-llama%2FMeta-Llama-3.1-8B-Instruct-Reference")]


def test_a_model_the_api_does_not_know_exits_2(api: LocalServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_api, "model_limits",
                        lambda query: Refusal(404, "no such model", "not_found"))
    path, config = _file(tmp_path)
    assert config.model is not None
    err = io.StringIO()
    code = main(["validate", str(path), "--isolated", "--model", LLAMA, "--tokenizer",
                 str(config.model.tokenizer)], stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert f"the API does not know model {LLAMA}" in err.getvalue()


def test_an_api_that_cannot_answer_leaves_the_table(api: LocalServer, tmp_path: Path) -> None:
    api.inject("limits", 503, times=None, message="busy")  # the first try and every retry
    path, config = _file(tmp_path)
    tokens = validate_file(path, config=config).stats["tokens"]
    assert tokens["max_seq_length"] == 131_072
    source = tokens["limits_source"]
    assert source.startswith(find_model(LLAMA).source + "; GET /fine-tunes/models/limits failed")
    assert "503" in source and KEY not in source


def test_no_key_no_request(server: LocalServer, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOGETHER_BASE_URL", server.base_url)  # and no TOGETHER_API_KEY
    path, config = _file(tmp_path)
    tokens = validate_file(path, config=config).stats["tokens"]
    assert tokens["limits_source"] == find_model(LLAMA).source
    assert _limits_requests(server) == []


def test_ftdata_models_shows_the_endpoints_limits(api: LocalServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, max_seq_length_sft=4096)
    out = io.StringIO()
    assert main(["models", LLAMA, "--output", "json"], stdout=out, stderr=io.StringIO()) == 0
    doc = orjson.loads(out.getvalue())
    assert (doc["max_seq_length_sft"], doc["source"]) == (4096, remote.SOURCE)


def test_ftdata_preview_cuts_at_the_endpoints_limit(api: LocalServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``ftdata preview`` with a key set reads the limits as ``validate --model`` does (the
    server's own preview endpoint uses the table: it never asks itself)."""
    _answer(monkeypatch, max_seq_length_sft=20)
    path, config = _file(tmp_path)  # 36 tokens
    assert config.model is not None
    out = io.StringIO()
    argv = ["preview", str(path), "--model", LLAMA, "--tokenizer", str(config.model.tokenizer),
            "-o", "json"]
    assert main(argv, stdout=out, stderr=io.StringIO()) == 0
    doc = orjson.loads(out.getvalue())
    assert doc["max_seq_length"] == 20 and doc["rows"][0]["truncated"] is True
    assert len(doc["rows"][0]["input_ids"]) == 20
    assert [r.status for r in _limits_requests(api)] == [200]
