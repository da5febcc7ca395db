"""``POST /fine-tunes/preview`` on the local server, over real loopback HTTP and through SDK
3.x's ``fine_tuning.preview``: an uploaded file's first rows as the model's own tokenizer sees
them (the model table's Hugging Face repository, read from a hub cache with no network, or
mistral-common's shipped Mixtral tokenizer), equal to :func:`validator.preview`'s; and a clear
400 or 404 for every request it cannot answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.uploader.conftest import BAD, CHAT, KEY, Upload, sdk3, write_jsonl
from tests.wordtok import hub_cache, word_tokenizer
from uploader.server import LocalServer
from validator import find_model, preview

pytest.importorskip("tokenizers")

AUTH = {"Authorization": f"Bearer {KEY}"}
LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
WORDS = ("<|user|>", "<|assistant|>", "<|end|>", "What", "is", "2+2?", "4")


@pytest.fixture
def llama_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Llama's tokenizer repository in an offline hub cache: a word-level stand-in."""
    source = word_tokenizer(tmp_path / "source", WORDS)
    cache = hub_cache(tmp_path / "hub", find_model(LLAMA).tokenizer, source)
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return source


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _uploaded(send: Upload, path: Path) -> str:
    result = send(path, purpose="fine-tune")
    return str(result.file_id)


def _preview(http: requests.Session, server: LocalServer, body: Any,
             headers: dict[str, str] | None = None) -> requests.Response:
    return http.post(f"{server.base_url}/fine-tunes/preview", json=body, timeout=30,
                     headers=AUTH if headers is None else headers)


def test_the_rows_are_the_validators(server: LocalServer, http: requests.Session, send: Upload,
                                     tmp_path: Path, llama_hub: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", *[CHAT] * 8)
    file_id = _uploaded(send, path)
    resp = _preview(http, server, {"model": LLAMA, "training_file": file_id, "top_k": 3})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc == preview(path, LLAMA, top_k=3).to_api()
    assert (doc["model"], doc["dataset_format"], doc["max_seq_length"]) == (
        LLAMA, "conversation", 131_072)
    assert doc["train_on_inputs"] is False and len(doc["rows"]) == 3
    row = doc["rows"][0]  # <|user|> What is 2+2? <|end|> <|assistant|> 4 <|end|>
    assert row["input_ids"] == [1, 4, 5, 6, 3, 2, 7, 3]
    assert row["labels"] == [-100] * 5 + [2, 7, 3]
    assert row["trained_spans"] == [[5, 8]] and row["num_trained_tokens"] == 3
    assert row["tokens"][:2] == ["<|user|>", "What"] and row["truncated"] is False
    # the defaults: five rows; train_on_inputs trains every token
    both = _preview(http, server, {"model": LLAMA.lower(), "training_file": file_id,
                                   "train_on_inputs": True, "training_method": "sft"}).json()
    assert len(both["rows"]) == 5 and both["model"] == LLAMA
    assert both["rows"][0]["labels"] == both["rows"][0]["input_ids"]


def test_mixtral_previews_with_no_network(server: LocalServer, http: requests.Session,
                                          send: Upload, small: Path) -> None:
    pytest.importorskip("mistral_common")
    file_id = _uploaded(send, small)
    resp = _preview(http, server, {"model": MIXTRAL, "training_file": file_id})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc == preview(small, MIXTRAL).to_api()
    assert [len(r["input_ids"]) for r in doc["rows"]] == [r["num_tokens"] for r in doc["rows"]]
    assert doc["rows"][0]["tokens"][0] == "<s>"


@pytest.mark.parametrize(("body", "status", "param"), [
    ({"training_file": "file-x"}, 400, "model"),
    ({"model": LLAMA}, 400, "training_file"),
    ({"model": LLAMA, "training_file": "{id}", "top_k": 0}, 400, "top_k"),
    ({"model": LLAMA, "training_file": "{id}", "top_k": 51}, 400, "top_k"),
    ({"model": LLAMA, "training_file": "{id}", "top_k": "5"}, 400, "top_k"),
    ({"model": LLAMA, "training_file": "{id}", "training_method": "dpo"}, 400,
     "training_method"),
    ({"model": LLAMA, "training_file": "{id}", "train_on_inputs": "auto"}, 400,
     "train_on_inputs"),
    ({"model": "org/unknown-model", "training_file": "{id}"}, 404, "model"),
    ({"model": LLAMA, "training_file": "file-00000000-0000-0000-0000-000000000000"}, 404,
     "training_file"),
])
def test_bad_requests_name_the_field(server: LocalServer, http: requests.Session, send: Upload,
                                     small: Path, *, body: dict[str, Any], status: int,
                                     param: str) -> None:
    file_id = _uploaded(send, small)
    body = {k: v.format(id=file_id) if isinstance(v, str) else v for k, v in body.items()}
    resp = _preview(http, server, body)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["param"] == param and error["message"]


def test_only_completed_fine_tune_files_preview(server: LocalServer, http: requests.Session,
                                                send: Upload, tmp_path: Path) -> None:
    invalid = send(write_jsonl(tmp_path / "bad.jsonl", CHAT, BAD), purpose="fine-tune",
                   check=False).file_id  # the server finds it invalid
    resp = _preview(http, server, {"model": MIXTRAL, "training_file": invalid})
    assert resp.status_code == 400
    assert "INVALID_FORMAT: it did not pass validation" in resp.json()["error"]["message"]
    evals = send(write_jsonl(tmp_path / "e.jsonl", CHAT), purpose="eval").file_id
    resp = _preview(http, server, {"model": MIXTRAL, "training_file": evals})
    assert resp.status_code == 400 and "only fine-tune JSONL" in resp.json()["error"]["message"]
    assert _preview(http, server, [1, 2]).status_code == 400  # not an object
    assert _preview(http, server, {"model": MIXTRAL, "training_file": invalid},
                    headers={}).status_code == 401


def test_sdk3_fine_tuning_preview(server: LocalServer, send: Upload, tmp_path: Path,
                                  llama_hub: Path) -> None:
    together = pytest.importorskip("together")
    path = write_jsonl(tmp_path / "d.jsonl", CHAT, CHAT)
    client = sdk3(server)
    sent = client.files.upload(file=path, purpose="fine-tune")
    for _ in range(500):
        if client.files.retrieve(sent.id).processing_status == "COMPLETED":
            break
    answer = client.fine_tuning.preview(model=LLAMA, training_file=sent.id, top_k=1)
    assert answer.model == LLAMA and answer.dataset_format == "conversation"
    assert answer.max_seq_length == 131_072 and answer.train_on_inputs is False
    (row,) = answer.rows
    assert row.input_ids == [1, 4, 5, 6, 3, 2, 7, 3] and row.num_trained_tokens == 3
    assert row.trained_spans == [[5, 8]] and row.truncated is False
    with pytest.raises(together.NotFoundError):
        client.fine_tuning.preview(model="org/unknown-model", training_file=sent.id)
