"""``validator.preview``: a file's first rows as the model sees them (what Together's
``POST /fine-tunes/preview`` answers), with token ids known exactly from a word-level tokenizer
(``<|role|> words... <|end|>`` per message), and mistral-common's shipped Mixtral tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import validator
from tests.wordtok import word_tokenizer
from validator import UsageError, preview

pytest.importorskip("tokenizers")

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
WORDS = ("<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "hi", "there", "hello",
         "friend", "2+2?", "4")
ID = {word: i for i, word in enumerate(WORDS, 1)}
X = -100


def _ids(text: str) -> list[int]:
    return [ID.get(word, 0) for word in text.split()]


def _write(path: Path, *lines: Any) -> Path:
    path.write_bytes(b"".join(line if isinstance(line, bytes) else orjson.dumps(line) + b"\n"
                              for line in lines))
    return path


def _chat(*turns: tuple[str, str]) -> dict[str, Any]:
    return {"messages": [{"role": role, "content": text} for role, text in turns]}


@pytest.fixture
def tok(tmp_path: Path) -> str:
    return str(word_tokenizer(tmp_path / "tok", WORDS))


def test_a_conversation_gets_its_ids_labels_and_spans(tmp_path: Path, tok: str) -> None:
    path = _write(tmp_path / "d.jsonl", _chat(("user", "hi there"), ("assistant", "hello")),
                  b"\n", _chat(("system", "x"), ("user", "2+2?"), ("assistant", "4")))
    found = preview(path, LLAMA, tokenizer=tok)
    assert (found.model, found.dataset_format, found.max_seq_length) == (LLAMA, "conversation",
                                                                         131_072)
    first, second = found.rows
    ids = _ids("<|user|> hi there <|end|> <|assistant|> hello <|end|>")
    assert first.input_ids == tuple(ids)
    assert first.labels == (X, X, X, X) + tuple(ids[4:])  # only the assistant message trains
    assert first.tokens == ("<|user|>", "hi", "there", "<|end|>", "<|assistant|>", "hello",
                            "<|end|>")
    assert first.trained_spans == ((4, 7),) and first.num_trained_tokens == 3
    assert (first.num_tokens, first.truncated, first.line) == (7, False, 1)
    assert second.line == 3  # the blank line is skipped, its number kept
    assert second.trained_spans == ((6, 9),)  # 3 tokens each: system, user, then assistant
    row = found.to_api()["rows"][0]
    assert row == {"input_ids": ids, "labels": list(first.labels), "tokens": list(first.tokens),
                   "num_tokens": 7, "num_trained_tokens": 3, "trained_spans": [[4, 7]],
                   "truncated": False}


def test_train_on_inputs_trains_every_message(tmp_path: Path, tok: str) -> None:
    path = _write(tmp_path / "d.jsonl", _chat(("user", "hi"), ("assistant", "hello")))
    (row,) = preview(path, LLAMA, tokenizer=tok, train_on_inputs=True).rows
    assert row.labels == row.input_ids and row.trained_spans == ((0, 6),)
    assert preview(path, LLAMA, tokenizer=tok, train_on_inputs=True).to_api()[
        "train_on_inputs"] is True


def test_the_cut_keeps_max_seq_length_tokens(tmp_path: Path, tok: str) -> None:
    path = _write(tmp_path / "d.jsonl", _chat(("user", "hi there"), ("assistant", "hello")))
    (row,) = preview(path, LLAMA, tokenizer=tok, max_seq_length=6).rows
    assert row.truncated and row.num_tokens == 6
    assert row.trained_spans == ((4, 6),) and row.num_trained_tokens == 2
    assert row.labels[4:] == row.input_ids[4:] and len(row.tokens) == 6
    (cut,) = preview(path, LLAMA, tokenizer=tok, max_seq_length=3).rows
    assert cut.trained_spans == () and set(cut.labels) == {X}  # the cut took every trained one
    (whole,) = preview(path, LLAMA, tokenizer=tok, max_seq_length=7).rows
    assert not whole.truncated and whole.num_tokens == 7


def test_instruction_and_general_samples(tmp_path: Path, tok: str) -> None:
    inst = _write(tmp_path / "i.jsonl", {"prompt": "hi there", "completion": "hello friend"})
    (row,) = preview(inst, LLAMA, tokenizer=tok).rows
    assert row.input_ids == tuple(_ids("hi there hello friend"))
    assert row.trained_spans == ((2, 4),)  # the completion
    assert preview(inst, LLAMA, tokenizer=tok).dataset_format == "instruction"
    (row,) = preview(inst, LLAMA, tokenizer=tok, train_on_inputs=True).rows
    assert row.trained_spans == ((0, 4),)
    text = _write(tmp_path / "t.jsonl", {"text": "hello there friend"})
    (row,) = preview(text, LLAMA, tokenizer=tok).rows
    assert row.trained_spans == ((0, 3),) and row.labels == row.input_ids  # text trains whole


def test_top_k_takes_the_first_rows(tmp_path: Path, tok: str) -> None:
    path = _write(tmp_path / "d.jsonl", *[_chat(("user", "hi"), ("assistant", "4"))] * 60)
    assert len(preview(path, LLAMA, tokenizer=tok).rows) == 5
    assert [r.line for r in preview(path, LLAMA, tokenizer=tok, top_k=50).rows] == list(
        range(1, 51))
    for bad in (0, 51, True, 2.0):
        with pytest.raises(UsageError, match="top_k must be a whole number from 1 to 50"):
            preview(path, LLAMA, tokenizer=tok, top_k=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("lines", "message"), [
    ([b"{not json\n"], "line 1: not valid JSON"),
    ([{"input": {"messages": [{"role": "user", "content": "hi"}]},
       "preferred_output": [{"role": "assistant", "content": "a"}],
       "non_preferred_output": [{"role": "assistant", "content": "b"}]}],
     "line 1: a preference sample: only SFT data previews"),
    ([{"unknown": 1}], "line 1: not a conversation"),
    ([[1, 2]], "line 1: not a conversation"),
    ([{"text": "hi"}, {"prompt": "a", "completion": "b"}],
     "line 2: a instruction sample after general samples"),
    ([b"\n", b"  \n"], "has no samples to preview"),
])
def test_what_cannot_preview_says_which_line(tmp_path: Path, tok: str, lines: list[Any],
                                             message: str) -> None:
    path = _write(tmp_path / "d.jsonl", *lines)
    with pytest.raises(UsageError, match=message):
        preview(path, LLAMA, tokenizer=tok)


def test_an_unknown_model_or_missing_file(tmp_path: Path, tok: str) -> None:
    path = _write(tmp_path / "d.jsonl", _chat(("user", "hi"), ("assistant", "4")))
    with pytest.raises(UsageError, match="unknown model"):
        preview(path, "org/no-such-model", tokenizer=tok)
    with pytest.raises(validator.FileAccessError):
        preview(tmp_path / "missing.jsonl", LLAMA, tokenizer=tok)


def test_mixtral_rows_agree_with_validate_model(tmp_path: Path) -> None:
    """mistral-common's shipped tokenizer, no network: the preview's rows have the counts that
    ``validate --model`` reports for the same file."""
    pytest.importorskip("mistral_common")
    path = _write(tmp_path / "d.jsonl",
                  _chat(("user", "What is the capital of France?"), ("assistant", "Paris.")),
                  _chat(("system", "Be brief."), ("user", "2+2?"), ("assistant", "4"),
                        ("user", "and 3+3?"), ("assistant", "6")))
    found = preview(path, MIXTRAL)
    assert found.max_seq_length == 32_768
    for row in found.rows:
        assert row.input_ids[0] == 1 and row.tokens[0] == "<s>"  # BOS
        assert row.input_ids[-1] == 2 and row.labels[-1] == 2  # the EOS trains
        trained = [i for i, label in enumerate(row.labels) if label != X]
        assert trained == [i for s, e in row.trained_spans for i in range(s, e)]
    report = validator.validate_file(path, config=_with_model(MIXTRAL))
    tokens = report.to_dict()["stats"]["tokens"]
    assert tokens["tokens"] == sum(r.num_tokens for r in found.rows)
    assert tokens["trained_tokens"] == sum(r.num_trained_tokens for r in found.rows)


def _with_model(model: str) -> validator.Config:
    from dataclasses import replace

    from validator.models.settings import ModelSettings

    return replace(validator.Config(), model=ModelSettings(model, train_on_inputs="false"))


def test_a_model_without_tools_says_so(tmp_path: Path) -> None:
    pytest.importorskip("mistral_common")
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    path = _write(tmp_path / "d.jsonl", {"messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": "done"}]})
    with pytest.raises(UsageError, match=r"line 1: mistralai/Mixtral-8x7B-Instruct-v0.1 does "
                                         r"not support tools, so the sample cannot be "):
        preview(path, MIXTRAL)


def test_ftdata_preview_prints_the_rows(tmp_path: Path, tok: str) -> None:
    import gzip
    import io

    from validator.cli.main import main

    path = _write(tmp_path / "d.jsonl", _chat(("user", "hi\tthere"), ("assistant", "hello")))
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    out, err = io.StringIO(), io.StringIO()
    argv = ["preview", str(packed), "--model", LLAMA, "--tokenizer", tok]
    assert main([*argv, "--max-seq-length", "6"], out, err) == 0, err.getvalue()
    assert out.getvalue().splitlines()[2:] == [
        "line 1: 6 tokens, cut to 6, 2 trained (tokens 4-6)",
        "  <|user|> hi there <|end|> [[<|assistant|> hello]]"]
    out = io.StringIO()
    assert main([*argv, "--tokens", "2", "--top-k", "1"], out, err) == 0
    assert out.getvalue().splitlines()[-1] == "  <|user|> hi ... (5 more)"
    out = io.StringIO()
    assert main([*argv, "--tokens", "5"], out, err) == 0  # the trained span goes on: open
    assert out.getvalue().splitlines()[-1] == ("  <|user|> hi there <|end|> [[<|assistant|> "
                                               "... (2 more)")
    out = io.StringIO()
    assert main([*argv, "-o", "json"], out, err) == 0
    assert orjson.loads(out.getvalue()) == preview(path, LLAMA, tokenizer=tok).to_api()
    err = io.StringIO()
    assert main(["preview", str(tmp_path), "--model", LLAMA, "--tokenizer", tok],
                io.StringIO(), err) == 2
    assert "is a directory" in err.getvalue()
    cut = tmp_path / "cut.jsonl.gz"  # an archive that ends inside its only line
    cut.write_bytes(packed.read_bytes()[:-12])
    err = io.StringIO()
    assert main(["preview", str(cut), "--model", LLAMA, "--tokenizer", tok],
                io.StringIO(), err) == 2
    assert "gzip data ends before its end marker" in err.getvalue()
