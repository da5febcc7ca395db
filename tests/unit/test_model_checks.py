"""--model (SPEC §6): truncation on the right lines only, with exact counts from a word-level
tokenizer and chat template built here; nothing when every sample fits; the same report for
any number of workers; the settings from [tool.ftdata] and the flags."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.wordtok import word_tokenizer
from validator import validate_file
from validator.cli import options
from validator.cli.main import main
from validator.config import Config, from_table
from validator.errors import ConfigError
from validator.models import settings as model_settings
from validator.models.settings import ModelSettings
from validator.run import parallel, pipeline

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"  # tools, no reasoning, no vision
QWEN = "Qwen/Qwen3.5-9B"  # a reasoning model


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return word_tokenizer(tmp_path / "tok")


def chat(user: int, answer: int, **extra: Any) -> dict[str, Any]:
    """A sample of 2 + user + 2 + answer tokens; the answer's 2 + answer train."""
    return {"messages": [{"role": "user", "content": " ".join(["q"] * user)},
                         {"role": "assistant", "content": " ".join(["a"] * answer)}], **extra}


def write(path: Path, samples: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
    return path


def config(folder: Path, **settings: Any) -> Config:
    return Config(model=ModelSettings(LLAMA, tokenizer=str(folder), **settings))


def issues(report: Any) -> list[tuple[int | None, str, str]]:
    return [(i.line, i.code, i.message) for i in report.issues]


def test_only_the_long_samples_are_reported_with_their_counts(tmp_path: Path,
                                                              folder: Path) -> None:
    path = write(tmp_path / "d.jsonl", [chat(3, 4), chat(3, 20), chat(30, 4), chat(1, 1)])
    report = validate_file(path, config=config(folder, max_seq_length=16))
    assert issues(report) == [
        (2, "sample-truncated", "sample is 27 tokens, over the 16 of max-seq-length: the last "
                                "11 tokens are cut, 11 of its 22 trained tokens with them; "
                                "shorten or split it"),
        (3, "sample-truncated-untrained",
         "sample is 38 tokens, over the 16 of max-seq-length: the cut removes all 6 of its "
         "trained tokens, so it trains nothing; shorten what comes before the answer or split "
         "the sample"),
    ]
    assert report.errors == 0 and report.warnings == 2
    tokens = report.stats["tokens"]
    assert tokens["model"] == LLAMA and tokens["max_seq_length"] == 16
    assert (tokens["samples_counted"], tokens["samples_truncated"]) == (4, 2)
    assert tokens["tokens"] == 11 + 27 + 38 + 6
    assert tokens["trained_tokens"] == 6 + 22 + 6 + 3
    assert tokens["tokens_per_sample"]["max"] == 38


def test_nothing_is_reported_when_every_sample_fits(tmp_path: Path, folder: Path) -> None:
    path = write(tmp_path / "d.jsonl", [chat(50, 50, tools=[
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])])
    report = validate_file(path, config=config(folder))  # the model's own 131,072
    assert report.issues == [] and report.stats["tokens"]["max_seq_length"] == 131_072


def test_samples_with_errors_are_not_counted(tmp_path: Path, folder: Path) -> None:
    bad = {"messages": [{"role": "user", "content": "q " * 40}, {"role": "robot",
                                                                 "content": "x"}]}
    report = validate_file(write(tmp_path / "d.jsonl", [bad, chat(1, 1)]),
                           config=config(folder, max_seq_length=8))
    assert "role-invalid" in {i.code for i in report.issues}
    assert not any(i.code.startswith("sample-") for i in report.issues)
    assert report.stats["tokens"]["samples_counted"] == 1


def test_two_workers_give_the_report_of_one(tmp_path: Path, folder: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)
    calls: list[bool] = []
    real = parallel.scan_parallel

    def spy(*args: Any, **kwargs: Any) -> bool:
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(pipeline, "scan_parallel", spy)
    samples = [chat(5 + i % 7, 3 + i % 11) for i in range(10_000)]
    path = write(tmp_path / "big.jsonl", samples)
    cfg = config(folder, max_seq_length=20)
    one = validate_file(path, config=cfg, workers=1)
    two = validate_file(path, config=cfg, workers=2)
    assert calls == [True]  # two really ran in parallel
    assert one.warnings > 1000
    assert two == one


def test_capabilities_and_reasoning_models(tmp_path: Path, folder: Path) -> None:
    image = {"role": "user", "content": [{"type": "text", "text": "what"}, {
        "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}
    thought = {"role": "assistant", "content": "b", "reasoning": "because"}
    answer = {"role": "assistant", "content": [{"type": "text", "text": "a dot"}]}
    files: dict[str, list[dict[str, Any]]] = {"vision": [{"messages": [image, answer]}],
             "reasoning": [{"messages": [{"role": "user", "content": "q"}, thought]}]}
    codes = {name: [i.code for i in validate_file(write(tmp_path / f"{name}.jsonl", rows),
                                                  config=config(folder)).issues]
             for name, rows in files.items()}
    assert codes == {"vision": ["model-no-vision"], "reasoning": ["model-no-reasoning"]}
    qwen = Config(model=ModelSettings(QWEN, tokenizer=str(folder)))
    two_turns = {"messages": [{"role": "user", "content": "q"}, thought,
                              {"role": "user", "content": "q"}, thought]}
    report = validate_file(write(tmp_path / "q.jsonl", [two_turns, chat(1, 1)]), config=qwen)
    assert [(i.line, i.code) for i in report.issues] == [(1, "reasoning-multi-turn")]
    plain = validate_file(write(tmp_path / "p.jsonl", [chat(1, 1)]), config=qwen)
    assert [i.code for i in plain.issues] == ["reasoning-data-missing"]


def test_dpo_sides_get_half_the_context_with_lora(tmp_path: Path, folder: Path) -> None:
    pair = {"input": {"messages": [{"role": "user", "content": "q " * 10}]},
            "preferred_output": [{"role": "assistant", "content": "a " * 5}],
            "non_preferred_output": [{"role": "assistant", "content": "b"}]}
    path = write(tmp_path / "pref.jsonl", [pair])
    lora = validate_file(path, config=config(folder))
    assert lora.stats["tokens"]["max_seq_length"] == 65_536 // 2
    cut = validate_file(path, config=config(folder, max_seq_length=15))
    assert [(i.path, i.code) for i in cut.issues] == [("$.preferred_output", "sample-truncated")]


def test_settings_from_pyproject_and_flags(tmp_path: Path, folder: Path) -> None:
    table = {"model": LLAMA, "max-seq-length": 16, "train-on-inputs": True,
             "tokenizer": str(folder)}
    cfg = from_table(table)
    assert cfg.model == ModelSettings(LLAMA, max_seq_length=16, train_on_inputs="true",
                                      tokenizer=str(folder))
    with pytest.raises(ConfigError, match="need"):
        from_table({"max-seq-length": 16})
    with pytest.raises(ConfigError, match="training-method"):
        from_table({"model": LLAMA, "training-method": "rl"})
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ftdata]\nmodel = "{LLAMA}"\ntokenizer = "{folder}"\nmax-seq-length = 16\n')
    path = write(tmp_path / "d.jsonl", [chat(3, 20)])
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(path), "--no-progress"], stdout=out, stderr=err) == 0
    assert "sample-truncated" in out.getvalue()
    out = io.StringIO()
    assert main(["validate", str(path), "--no-progress", "--max-seq-length", "100"],
                stdout=out, stderr=err) == 0  # the flag wins
    assert "sample-truncated" not in out.getvalue()


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "no-such-model"], "unknown model"),
    (["--max-seq-length", "10"], "need(s) --model"),
    (["--model", LLAMA, "--max-seq-length", "0"], "positive"),
    (["--model", "Qwen/Qwen2.5-7B-Instruct", "--full-training"], "LoRA only"),
])
def test_bad_model_settings_exit_2(tmp_path: Path, argv: list[str], message: str) -> None:
    path = write(tmp_path / "d.jsonl", [chat(1, 1)])
    err = io.StringIO()
    assert main(["validate", str(path), "--isolated", *argv], stdout=io.StringIO(),
                stderr=err) == 2
    assert message in err.getvalue()


def test_the_cli_choices_are_the_settings() -> None:
    assert options._METHODS == model_settings.TRAINING_METHODS
    assert options._INPUTS == model_settings.TRAIN_ON_INPUTS
    from validator import config as config_module

    assert config_module._MODEL_KEYS == model_settings.KEYS


def test_an_unreachable_hub_is_said_at_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's own tokenizer comes from the hub: no network is a quick, clear error."""
    import huggingface_hub.constants as hub

    from validator.errors import UsageError
    from validator.tokens import load_tokenizer

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "ENDPOINT", "http://127.0.0.1:9")
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UsageError, match=r"cannot reach .*127\.0\.0\.1.*org/missing"):
        load_tokenizer("org/missing")


def test_stats_counts_tokens_as_validate_does(tmp_path: Path, folder: Path) -> None:
    path = write(tmp_path / "d.jsonl", [chat(3, 4), chat(3, 20), chat(30, 4), chat(1, 1)])
    argv = ["stats", str(path), "--isolated", "--model", LLAMA, "--tokenizer", str(folder),
            "--max-seq-length", "16"]
    out, err = io.StringIO(), io.StringIO()
    assert main([*argv, "-o", "json"], stdout=out, stderr=err) == 0, err.getvalue()
    tokens = orjson.loads(out.getvalue())["files"][0]["tokens"]
    cfg = config(folder, max_seq_length=16)
    assert tokens == validate_file(path, config=cfg).stats["tokens"]  # one count, one shape
    assert (tokens["tokens"], tokens["trained_tokens"]) == (11 + 27 + 38 + 6, 6 + 22 + 6 + 3)
    # numpy's default (linear) percentiles of 6, 11, 27, 38
    assert tokens["tokens_per_sample"] == {"min": 6, "p50": 19.0, "p90": 34.7, "p99": 37.7,
                                           "max": 38}
    assert tokens["samples_truncated"] == 2
    assert sum(n for _, _, n in tokens["tokens_histogram"]) == 4
    out = io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 0
    text = out.getvalue()
    assert f"tokens as {LLAMA} sees them: 82, 37 trained, in 4 samples counted" in text
    assert "tokens per sample: min 6  p50 19.0  p90 34.7  p99 37.7  max 38" in text
    assert "over max_seq_length 16 (truncated): 2 samples" in text


def test_stats_takes_the_model_of_the_config(tmp_path: Path, folder: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ftdata]\nmodel = "{LLAMA}"\nmax-seq-length = 16\n')
    path = write(tmp_path / "d.jsonl", [chat(3, 20)])
    out, err = io.StringIO(), io.StringIO()
    # --tokenizer without --model: the configured model's tokenizer
    assert main(["stats", str(path), "--tokenizer", str(folder), "-o", "json"], stdout=out,
                stderr=err) == 0, err.getvalue()
    assert orjson.loads(out.getvalue())["files"][0]["tokens"]["samples_truncated"] == 1


def test_stats_with_a_model_refuses_a_context_length(tmp_path: Path, folder: Path) -> None:
    path = write(tmp_path / "d.jsonl", [chat(1, 1)])
    err = io.StringIO()
    code = main(["stats", str(path), "--context-length", "10", "--isolated", "--model", LLAMA,
                 "--tokenizer", str(folder)], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "--context-length counts plain text" in err.getvalue()


def test_report_draws_the_limit_on_the_token_histogram(tmp_path: Path, folder: Path) -> None:
    path = write(tmp_path / "d.jsonl", [chat(3, 4), chat(3, 20), chat(30, 4), chat(1, 1)])
    page = tmp_path / "r.html"
    out, err = io.StringIO(), io.StringIO()
    argv = ["report", str(path), "-o", str(page), "--isolated", "--model", LLAMA,
            "--tokenizer", str(folder)]
    assert main([*argv, "--max-seq-length", "16"], stdout=out, stderr=err) == 0, err.getvalue()
    html = page.read_text()
    assert f"<h2>Tokens as {LLAMA} sees them</h2>" in html
    assert "<tr><th>samples truncated</th><td>2</td></tr>" in html
    assert "<title>max_seq_length 16</title>" in html and ">limit 16</text>" in html
    assert main(argv, stdout=out, stderr=err) == 0  # the model's own 131,072: far off the bars
    html = page.read_text()
    assert "max_seq_length 131,072</title>" not in html
    assert "(no sample is over the limit of 131,072 tokens)" in html
