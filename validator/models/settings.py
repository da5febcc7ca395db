"""What ``--model`` asks for: the model, its limit, how it trains and which tokenizer counts.

Set in ``[tool.ftdata]`` (``model``, ``max-seq-length``, ``training-method``,
``train-on-inputs``, ``full-training``, ``tokenizer``, ``chat-template``) or by the flags of
the same names, which win. Light on purpose: :class:`~validator.config.Config` holds one, and
the model table and tokenizers are only read when a file is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from validator.errors import ConfigError

__all__ = ["KEYS", "TRAINING_METHODS", "TRAIN_ON_INPUTS", "ModelSettings", "settings_from_table"]

TRAINING_METHODS = ("auto", "sft", "dpo")
TRAIN_ON_INPUTS = ("auto", "true", "false")
KEYS = ("model", "max-seq-length", "training-method", "train-on-inputs", "full-training",
        "tokenizer", "chat-template")

TrainingMethod = Literal["auto", "sft", "dpo"]


@dataclass(frozen=True)
class ModelSettings:
    """``model`` is the name as given (looked up with :func:`validator.models.find_model`)."""

    model: str
    max_seq_length: int | None = None
    """Overrides the model's limit (``--max-seq-length``, a job's ``max_seq_length``)."""
    training_method: TrainingMethod = "auto"
    """``auto``: DPO for preference data, SFT for the rest."""
    train_on_inputs: str = "auto"
    full_training: bool = False
    """LoRA unless set (with LoRA DPO each output gets half the DPO context)."""
    tokenizer: str | None = None
    """A folder, a ``tokenizer.json``, a hub id or ``mistral:vN``; None: the model's own."""
    chat_template: str | None = None

    def merged(self, **flags: Any) -> ModelSettings:
        """These settings with the flags that were given (not None) over them."""
        given = {key: value for key, value in flags.items() if value is not None}
        return replace(self, **given) if given else self


def check_values(settings: ModelSettings) -> ModelSettings:
    if settings.max_seq_length is not None and settings.max_seq_length < 1:
        raise ConfigError("max-seq-length must be a positive number of tokens")
    if settings.training_method not in TRAINING_METHODS:
        raise ConfigError(f"training-method must be one of {', '.join(TRAINING_METHODS)}, "
                          f"got {settings.training_method!r}")
    if settings.train_on_inputs not in TRAIN_ON_INPUTS:
        raise ConfigError(f"train-on-inputs must be one of {', '.join(TRAIN_ON_INPUTS)}, "
                          f"got {settings.train_on_inputs!r}")
    return settings


def settings_from_table(table: Mapping[str, Any]) -> ModelSettings | None:
    """The model settings of a ``[tool.ftdata]`` table; None when it names no model (then the
    other model keys are an error: they would be silently unused)."""
    if "model" not in table:
        stray = [key for key in KEYS if key in table]
        if stray:
            raise ConfigError(f"{', '.join(stray)} need(s) model = \"...\" (the model to check "
                              "against)")
        return None
    name = table["model"]
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("model must be a model name, such as "
                          '"meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"')
    length = table.get("max-seq-length")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool)):
        raise ConfigError("max-seq-length must be an integer (tokens)")
    inputs = table.get("train-on-inputs", "auto")
    if isinstance(inputs, bool):
        inputs = "true" if inputs else "false"
    full = table.get("full-training", False)
    if not isinstance(full, bool):
        raise ConfigError("full-training must be true or false")
    for key in ("tokenizer", "chat-template", "training-method"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{key} must be a string")
    return check_values(ModelSettings(
        model=name.strip(), max_seq_length=length,
        training_method=table.get("training-method", "auto"), train_on_inputs=str(inputs),
        full_training=full, tokenizer=table.get("tokenizer"),
        chat_template=table.get("chat-template")))
