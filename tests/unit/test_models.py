"""The bundled model table (validator.models), its lookup, the LoRA DPO context rule of SPEC §6
and ``ftdata models``."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
from importlib.resources import files
from typing import Any

import pytest

from validator.cli.main import main
from validator.errors import UsageError
from validator.models import (
    BatchLimits,
    ModelLimits,
    close_names,
    context_length,
    find_model,
    model_table,
)
from validator.models.table import MISTRAL_TOKENIZERS, parse_table

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
QWEN = "Qwen/Qwen3.5-9B"
SPEC_ROWS = {LLAMA: (131_072, 65_536), MIXTRAL: (32_768, 16_384), QWEN: (65_536, 49_152)}


def _raw() -> dict[str, Any]:
    return tomllib.loads(files("validator.models").joinpath("models.toml").read_text("utf-8"))


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- the table -------------------------------------------------------------------------------


def test_the_table_loads_with_its_date_and_sources() -> None:
    table = model_table()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.taken)
    assert "https://docs.together.ai/docs/fine-tuning-models" in table.sources.values()
    assert len(table.models) >= len(SPEC_ROWS)
    assert model_table() is table  # read once


def test_the_file_names_its_sources_and_date_at_the_top() -> None:
    head = files("validator.models").joinpath("models.toml").read_text("utf-8")[:2000]
    assert "Taken 2026-12-03" in head and "https://docs.together.ai/docs/fine-tuning-models" in head


@pytest.mark.parametrize(("model_id", "lengths"), SPEC_ROWS.items())
def test_the_spec_rows_are_exact(model_id: str, lengths: tuple[int, int]) -> None:
    model = find_model(model_id)
    assert (model.max_seq_length_sft, model.max_seq_length_dpo) == lengths
    assert model.source.startswith("SPEC.md §6")


def test_every_row_is_complete_and_well_typed() -> None:
    for model_id, model in model_table().models.items():
        assert isinstance(model, ModelLimits)
        assert model.id == model_id and re.fullmatch(r"[\w.-]+/[\w.-]+", model_id)
        for field in ("max_seq_length_sft", "max_seq_length_dpo", "min_max_seq_length"):
            value = getattr(model, field)
            assert type(value) is int and value > 0, (model_id, field)
        assert model.min_max_seq_length <= min(model.max_seq_length_sft,
                                                model.max_seq_length_dpo)
        for field in ("supports_tools", "supports_reasoning", "supports_vision",
                      "reasoning_model"):
            assert type(getattr(model, field)) is bool, (model_id, field)
        assert model.supports_full_training in (True, False, None)
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", model.tokenizer), model_id
        assert model.mistral_tokenizer in (None, *MISTRAL_TOKENIZERS)
        assert model.source in model_table().sources.values()
        for batch in (model.lora_batch, model.full_batch):
            assert batch is None or (isinstance(batch, BatchLimits)
                                     and batch.min_batch_size <= batch.max_batch_size)
        assert model.full_batch is None or model.supports_full_training is True
        if model.reasoning_model:
            assert model.supports_reasoning, model_id  # it is fed reasoning data


def test_mistral_models_name_mistral_commons_tokenizer() -> None:
    assert find_model(MIXTRAL).mistral_tokenizer == "v1"
    assert find_model(LLAMA).mistral_tokenizer is None
    assert find_model(LLAMA).tokenizer == "meta-llama/Llama-3.1-8B-Instruct"


def test_the_table_is_read_lazily() -> None:
    code = ("import sys, validator, validator.cli.main; "
            "print([m for m in ('tomllib', 'validator.models', 'validator.models.table') "
            "if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("taken"), "taken"),
    (lambda d: d["models"][QWEN].pop("max_seq_length_sft"), "max_seq_length_sft"),
    (lambda d: d["models"][QWEN].update(max_seq_length_dpo="49152"), "max_seq_length_dpo"),
    (lambda d: d["models"][QWEN].update(supports_tools=1), "supports_tools"),
    (lambda d: d["models"][QWEN].update(colour="red"), "unknown keys"),
    (lambda d: d["models"][QWEN].update(source="blog"), "source"),
    (lambda d: d["models"][QWEN].update(lora_batch=[8, 8]), "batch"),
    (lambda d: d["models"][QWEN].update(full_batch=[8, 8, 8]), "full_batch"),
    (lambda d: d["models"][MIXTRAL].update(mistral_tokenizer="v9"), "mistral_tokenizer"),
])
def test_a_malformed_table_names_the_problem(change: Any, message: str) -> None:
    doc = _raw()
    change(doc)
    with pytest.raises(ValueError, match=message):
        parse_table(doc)


# -- lookup ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    MIXTRAL, MIXTRAL.lower(), MIXTRAL.upper(), "Mixtral-8x7B-Instruct-v0.1",
    "mixtral-8x7b-instruct-v0.1", f"  {MIXTRAL}  ",
])
def test_a_model_is_found_by_its_id_in_any_case_or_by_its_name(name: str) -> None:
    assert find_model(name).id == MIXTRAL


@pytest.mark.parametrize(("name", "suggested"), [
    ("Mixtral-8x7B", MIXTRAL),
    ("mistral/Mixtral-8x7B-Instruct-v0.1", MIXTRAL),  # another organization: suggested only
    ("llama-3.1-8b", LLAMA),
    ("Meta-Llama-3.1-8B-Instruct", LLAMA),
    ("Qwen3.5-9", QWEN),
])
def test_an_unknown_model_is_a_usage_error_with_close_names(name: str, suggested: str) -> None:
    with pytest.raises(UsageError, match="unknown model") as info:
        find_model(name)
    assert suggested in str(info.value)
    assert suggested in close_names(name)


def test_a_name_close_to_nothing_says_where_the_list_is() -> None:
    with pytest.raises(UsageError, match="ftdata models") as info:
        find_model("zzzz")
    assert "did you mean" not in str(info.value)
    with pytest.raises(UsageError, match="name is needed"):
        find_model("  ")


# -- context length (SPEC §6) -----------------------------------------------------------------


def test_context_length_follows_spec_6() -> None:
    llama = find_model(LLAMA)
    assert context_length(llama) == context_length(llama, "sft", lora=False) == 131_072
    assert context_length(llama, "dpo", lora=False) == 65_536
    assert context_length(llama, "dpo", lora=True) == 32_768  # each output: half the context
    assert context_length(llama, "dpo") == 32_768  # LoRA is Together's default
    assert context_length(QWEN, "dpo", lora=False) == 49_152  # by name too
    assert context_length("Mixtral-8x7B-Instruct-v0.1", "dpo") == 8_192
    with pytest.raises(UsageError, match="training method"):
        context_length(llama, "ppo")  # type: ignore[arg-type]


def test_the_api_document_uses_the_limits_endpoints_names() -> None:
    doc = find_model(LLAMA).to_api()
    assert doc["model_name"] == LLAMA
    assert (doc["max_seq_length_sft"], doc["max_seq_length_dpo"]) == (131_072, 65_536)
    assert doc["min_max_seq_length"] == 1024
    assert doc["supports_tools"] is True and doc["supports_full_training"] is True
    assert doc["lora_training"] == {"max_batch_size": 8, "max_batch_size_dpo": 8,
                                    "min_batch_size": 8}
    qwen = find_model(QWEN).to_api()
    assert qwen["supports_full_training"] is None and qwen["full_training"] is None
    assert "lora_training" not in qwen


# -- ftdata models ----------------------------------------------------------------------------


def test_the_command_lists_the_table_with_its_sources() -> None:
    code, out, err = _run("models")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == ["MODEL", "SFT", "CTX", "DPO", "CTX", "CAPABILITIES"]
    line = next(row for row in out.splitlines() if row.startswith(LLAMA))
    assert "131,072" in line and "65,536" in line and "tools" in line
    assert "taken 2026-12-03" in out
    assert "https://docs.together.ai/docs/fine-tuning-models" in out
    assert len([row for row in out.splitlines() if "/" in row.split("  ")[0]]) \
        == len(model_table().models)


def test_the_command_shows_one_model() -> None:
    code, out, _ = _run("models", "qwen3.5-9b")
    assert code == 0
    assert out.startswith(QWEN + "\n")
    assert "65,536" in out and "49,152" in out and "24,576 for each output" in out
    assert "reasoning model" in out and "unknown" in out


def test_the_command_speaks_json() -> None:
    code, out, _ = _run("models", "--output", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["taken"] == model_table().taken
    assert {m["id"] for m in doc["models"]} == set(model_table().models)
    code, out, _ = _run("models", "-o", "json", MIXTRAL.lower())
    assert code == 0
    one = json.loads(out)
    assert one == find_model(MIXTRAL).to_dict()
    assert (one["max_seq_length_sft"], one["max_seq_length_dpo"]) == (32_768, 16_384)


def test_an_unknown_model_exits_2_with_close_names() -> None:
    code, out, err = _run("models", "Mixtral-8x7B")
    assert (code, out) == (2, "")
    assert err.startswith("ftdata: error: unknown model 'Mixtral-8x7B'")
    assert MIXTRAL in err
