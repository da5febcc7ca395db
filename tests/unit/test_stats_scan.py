"""The feature rows come from the validation scan: ``stats`` and ``report`` read a JSONL file
once and count the validation's issues. With a model, each row carries the sample's tokens and
trained tokens as the validation counted them (no second tokenization): checked against
``validator.preview``'s own ids for the same rows, with a word-level tokenizer whose counts are
known (``<|role|> words... <|end|>``: 2 tokens plus one per word, per message)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

import validator.stats.table
from tests.wordtok import word_tokenizer
from validator import preview
from validator.cli.main import main
from validator.config import Config
from validator.models.settings import ModelSettings
from validator.run import parallel
from validator.stats import features

pytest.importorskip("tokenizers")

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


def _chat(user: str, answer: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": answer}]}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    lines = [_chat("hi", "hello there"), _chat("a b c d", "e"),
             {"messages": [{"role": "bot", "content": "x"}]},  # an error: not counted
             _chat("one two three", "four five six seven")]
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


@pytest.fixture
def tok(tmp_path: Path) -> str:
    return str(word_tokenizer(tmp_path / "tok"))


def test_rows_carry_the_models_counts(data: Path, tok: str, tmp_path: Path) -> None:
    config = Config(model=ModelSettings(LLAMA, tokenizer=tok))
    table = features(data, config=config, out=tmp_path / "t.arrow").sort("line").collect()
    assert table["line"].to_list() == [1, 2, 3, 4]
    # user: 2 + words; assistant: 2 + words, trained
    assert table["tokens"].to_list() == [3 + 4, 6 + 3, None, 5 + 6]
    assert table["trained_tokens"].to_list() == [4, 3, None, 6]
    shown = {row.line: row for row in preview(data, LLAMA, tokenizer=tok, top_k=10).rows}
    for line, tokens, trained in table.select("line", "tokens", "trained_tokens").iter_rows():
        if tokens is not None:
            assert (shown[line].num_tokens, shown[line].num_trained_tokens) == (tokens, trained)


def test_stats_with_a_model_gives_exact_token_percentiles(data: Path, tok: str) -> None:
    out = io.StringIO()
    code = main(["stats", str(data), "--isolated", "--model", LLAMA, "--tokenizer", tok,
                 "-o", "json"], out, io.StringIO())
    assert code == 0
    (doc,) = orjson.loads(out.getvalue())["files"]
    # numpy's percentiles of 7, 9, 11 and of 3, 4, 6, to one decimal
    assert doc["tokens_per_sample"] == {"min": 7, "p50": 9.0, "p90": 10.6, "p99": 11.0,
                                        "max": 11}
    assert doc["trained_tokens_per_sample"] == {"min": 3, "p50": 4.0, "p90": 5.6, "p99": 6.0,
                                                "max": 6}
    assert doc["tokens"]["tokens_per_sample"] == doc["tokens_per_sample"]
    assert doc["tokens"]["samples_counted"] == 3 and doc["tokens"]["tokens"] == 27
    assert "context_length" not in doc  # a plain tokenizer's


def test_stats_with_a_model_reads_standard_input_once(data: Path, tok: str) -> None:
    out = io.StringIO()
    code = main(["stats", "-", "--isolated", "--model", LLAMA, "--tokenizer", tok],
                out, io.StringIO(), stdin=io.BytesIO(data.read_bytes()))
    assert code == 0
    assert "tokens per sample: min 7  p50 9.0" in out.getvalue()
    assert "trained tokens per sample: min 3" in out.getvalue()


def test_workers_join_the_models_counts(tmp_path: Path, tok: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 10)
    monkeypatch.setattr(validator.stats.table, "BATCH_ROWS", 7)  # counts taken per batch
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(orjson.dumps(_chat("w " * (i % 9 + 1), "x " * (i % 4 + 1))) + b"\n"
                              for i in range(400)))
    config = Config(model=ModelSettings(LLAMA, tokenizer=tok))
    one = features(path, config=config, out=tmp_path / "one.arrow").collect()
    assert one["tokens"].null_count() == 0
    assert one["tokens"].to_list() == [6 + i % 9 + i % 4 for i in range(400)]
    from validator.stats.dataset import profile_file

    profile_file(path, config=config, features=tmp_path / "many.arrow", workers=3)
    from validator.stats.analysis import scan

    assert scan(tmp_path / "many.arrow").collect().equals(one)


def test_a_report_opens_its_file_once(data: Path, tok: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = os.open

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) == str(data):
            opened.append(str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    page = tmp_path / "r.html"
    code = main(["report", str(data), "-o", str(page), "--isolated", "--model", LLAMA,
                 "--tokenizer", tok], io.StringIO(), io.StringIO())
    assert code == 1  # line 3's role
    assert len(opened) == 1
    html = page.read_text()
    assert "Tokens as " in html and "Longest samples" in html
    assert "<th>described here (fine-tune samples)</th><td>4</td>" in html


def test_stats_counts_the_validations_issues(data: Path) -> None:
    out = io.StringIO()
    assert main(["stats", str(data), "--isolated", "-o", "json"], out, io.StringIO()) == 0
    (doc,) = orjson.loads(out.getvalue())["files"]
    assert doc["issues"] == {"errors": 2, "warnings": 0} and doc["samples"] == 4  # line 3
    out = io.StringIO()
    main(["stats", str(data), "--isolated"], out, io.StringIO())
    assert "  issues: 2 errors, 0 warnings (ftdata validate lists them)\n" in out.getvalue()


def test_a_scan_that_fails_leaves_no_table(data: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.stats.rows
    from validator.stats.dataset import profile_file
    from validator.stats.sample import read_sample as real

    def fails_on_line_two(rec: dict[str, Any], reading: str, fmt: str) -> Any:
        if rec["messages"][0]["content"] == "a b c d":
            raise OSError(28, "No space left on device")
        return real(rec, reading, fmt)

    monkeypatch.setattr(validator.stats.rows, "read_sample", fails_on_line_two)
    with pytest.raises(OSError, match="No space left"):
        profile_file(data, features=tmp_path / "t.arrow")
    assert not (tmp_path / "t.arrow").exists()


@pytest.mark.parametrize(("name", "data"), [
    ("s.jsonl", b'{"text": "hello"}\n' * 70_000),  # over max-file-size: reading stops
    ("e.csv", b'prompt,answer\n"' + b"a" * 2**19 + b'",b\n'),  # a row over max-line-size
])
def test_a_file_that_cannot_be_described_leaves_no_table(tmp_path: Path, name: str,
                                                         data: bytes) -> None:
    from validator.errors import FtdataError
    from validator.stats.dataset import profile_stream

    with pytest.raises(FtdataError):
        profile_stream(io.BytesIO(data), name, "eval" if name.endswith(".csv") else "fine-tune",
                       config=Config(max_file_bytes=2**20, max_line_bytes=2**18),
                       features=tmp_path / "t.arrow")
    assert not (tmp_path / "t.arrow").exists()
