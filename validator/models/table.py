"""The bundled table of Together's fine-tuning models (``models.toml``), read once, on first use.

Nothing here runs at ``import validator``: :func:`model_table` reads and checks the file the
first time it is called (``tomllib`` and ``importlib.resources`` are imported then), and keeps
the result. A malformed bundled file is a bug of ftdata, not of the user's data: it raises
``ValueError`` naming the key, and the tests load the file so that never ships.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BatchLimits", "ModelLimits", "ModelTable", "model_table"]

_FILE = "models.toml"
_REQUIRED = {"source": str, "max_seq_length_sft": int, "max_seq_length_dpo": int,
             "tokenizer": str, "supports_tools": bool, "supports_reasoning": bool,
             "supports_vision": bool, "reasoning_model": bool}
_OPTIONAL = {"supports_full_training": bool, "mistral_tokenizer": str,
             "min_max_seq_length": int, "lora_batch": list, "full_batch": list}
MISTRAL_TOKENIZERS = ("v1", "v2", "v3", "v7", "tekken")  # what mistral-common ships


@dataclass(frozen=True)
class BatchLimits:
    """A training type's batch sizes, as the docs' table and the limits endpoint give them."""

    max_batch_size: int
    max_batch_size_dpo: int
    min_batch_size: int

    def to_dict(self) -> dict[str, int]:
        return {"max_batch_size": self.max_batch_size,
                "max_batch_size_dpo": self.max_batch_size_dpo,
                "min_batch_size": self.min_batch_size}


@dataclass(frozen=True)
class ModelLimits:
    """One model's limits and capabilities, named as ``GET /fine-tunes/models/limits`` names
    them (SPEC §5), plus what ftdata needs to count its tokens.

    ``id`` is Together's API id (what a fine-tuning job and the uploader send). ``tokenizer``
    is the Hugging Face repository of the base model whose tokenizer and chat template count
    the tokens; ``mistral_tokenizer`` (``"v1"``, ...) says that mistral-common's shipped
    tokenizer of that version serves the model instead. ``reasoning_model``: the model reasons
    by default, so only the last assistant message of a conversation trains (SPEC §6).
    ``supports_full_training`` is None where no source says. ``lora_batch`` and
    ``full_batch`` are None where the table has no batch sizes for the model (``full_batch``
    always is when full training is not supported). ``source`` is where the context lengths
    were read.
    """

    id: str
    max_seq_length_sft: int
    max_seq_length_dpo: int
    min_max_seq_length: int
    supports_tools: bool
    supports_reasoning: bool
    supports_vision: bool
    supports_full_training: bool | None
    reasoning_model: bool
    tokenizer: str
    mistral_tokenizer: str | None
    lora_batch: BatchLimits | None
    full_batch: BatchLimits | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (``ftdata models --output json``)."""
        return {"id": self.id, "max_seq_length_sft": self.max_seq_length_sft,
                "max_seq_length_dpo": self.max_seq_length_dpo,
                "min_max_seq_length": self.min_max_seq_length,
                "supports_tools": self.supports_tools,
                "supports_reasoning": self.supports_reasoning,
                "supports_vision": self.supports_vision,
                "supports_full_training": self.supports_full_training,
                "reasoning_model": self.reasoning_model, "tokenizer": self.tokenizer,
                "mistral_tokenizer": self.mistral_tokenizer,
                "lora_batch": None if self.lora_batch is None else self.lora_batch.to_dict(),
                "full_batch": None if self.full_batch is None else self.full_batch.to_dict(),
                "source": self.source}

    def to_api(self) -> dict[str, Any]:
        """The answer of ``GET /fine-tunes/models/limits`` for this model, in the field names
        of Together's API (its SDK's ``FineTuningModelLimitsResponse``). Only what the table
        knows is there: no learning-rate, epoch or LoRA-rank limits; ``lora_training`` only
        when the table has batch sizes; ``full_training`` is null unless full training is
        supported with known batch sizes; ``supports_full_training`` is null when unknown."""
        doc: dict[str, Any] = {
            "model_name": self.id, "max_seq_length_sft": self.max_seq_length_sft,
            "max_seq_length_dpo": self.max_seq_length_dpo,
            "min_max_seq_length": self.min_max_seq_length,
            "supports_tools": self.supports_tools,
            "supports_reasoning": self.supports_reasoning,
            "supports_vision": self.supports_vision,
            "supports_full_training": self.supports_full_training,
            "full_training": None if self.full_batch is None else self.full_batch.to_dict(),
        }
        if self.lora_batch is not None:
            doc["lora_training"] = self.lora_batch.to_dict()
        return doc


@dataclass(frozen=True)
class ModelTable:
    """The whole bundled table: when it was taken, its sources, and the models by id."""

    taken: str
    sources: Mapping[str, str]
    models: Mapping[str, ModelLimits]


@functools.cache
def model_table() -> ModelTable:
    """The bundled table, read and checked on the first call, then kept."""
    import tomllib  # noqa: PLC0415 - only when a model is looked up
    from importlib.resources import files  # noqa: PLC0415

    text = files("validator.models").joinpath(_FILE).read_text(encoding="utf-8")
    return parse_table(tomllib.loads(text))


def parse_table(doc: Mapping[str, Any]) -> ModelTable:
    """A :class:`ModelTable` from the parsed TOML, or ``ValueError`` naming what is wrong."""
    taken, sources = doc.get("taken"), doc.get("sources")
    if not isinstance(taken, str) or not taken:
        raise ValueError(f"{_FILE}: 'taken' (the date the table was taken) is missing")
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ValueError(f"{_FILE}: [sources] must map names to URLs")
    default_min = doc.get("defaults", {}).get("min_max_seq_length")
    if not isinstance(default_min, int) or isinstance(default_min, bool) or default_min < 1:
        raise ValueError(f"{_FILE}: [defaults] min_max_seq_length must be a positive integer")
    rows = doc.get("models")
    if not isinstance(rows, dict) or not rows:
        raise ValueError(f"{_FILE}: no [models.\"...\"] tables")
    models = {model_id: _model(model_id, row, sources, default_min)
              for model_id, row in rows.items()}
    return ModelTable(taken, dict(sources), models)


def _model(model_id: str, row: Any, sources: Mapping[str, str],
           default_min: int) -> ModelLimits:
    where = f"{_FILE}: [models.{model_id!r}]"
    if "/" not in model_id or not isinstance(row, dict):
        raise ValueError(f"{where}: a model is an 'organization/name' table")
    unknown = set(row) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    for key, kind in (*_REQUIRED.items(), *_OPTIONAL.items()):
        value = row.get(key)
        if value is None and key in _OPTIONAL:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where}: {key} must be {kind.__name__}, not {value!r}")
    sft, dpo = row["max_seq_length_sft"], row["max_seq_length_dpo"]
    least = row.get("min_max_seq_length", default_min)
    if not 0 < least <= min(sft, dpo):
        raise ValueError(f"{where}: context lengths must be at least min_max_seq_length")
    if row["source"] not in sources:
        raise ValueError(f"{where}: source {row['source']!r} is not in [sources]")
    mistral = row.get("mistral_tokenizer")
    if mistral is not None and mistral not in MISTRAL_TOKENIZERS:
        raise ValueError(f"{where}: mistral_tokenizer must be one of {MISTRAL_TOKENIZERS}")
    full = _batch(where, row.get("full_batch"))
    if full is not None and row.get("supports_full_training") is not True:
        raise ValueError(f"{where}: full_batch without supports_full_training = true")
    return ModelLimits(
        id=model_id, max_seq_length_sft=sft, max_seq_length_dpo=dpo, min_max_seq_length=least,
        supports_tools=row["supports_tools"], supports_reasoning=row["supports_reasoning"],
        supports_vision=row["supports_vision"],
        supports_full_training=row.get("supports_full_training"),
        reasoning_model=row["reasoning_model"], tokenizer=row["tokenizer"],
        mistral_tokenizer=mistral, lora_batch=_batch(where, row.get("lora_batch")),
        full_batch=full, source=sources[row["source"]])


def _batch(where: str, value: list[Any] | None) -> BatchLimits | None:
    if value is None:
        return None
    if len(value) != 3 or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                  for n in value) or value[2] > min(value[0], value[1]):
        raise ValueError(f"{where}: a batch is [max SFT, max DPO, min], positive, min the least")
    return BatchLimits(*value)
