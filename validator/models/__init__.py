"""Together's fine-tuning models: their limits and capabilities, from a bundled table.

    >>> from validator.models import find_model, context_length
    >>> llama = find_model("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference")
    >>> llama.max_seq_length_sft, context_length(llama, "dpo", lora=True)
    (131072, 32768)

The table (``models.toml`` beside this file, with its sources and the date it was taken) is
read on the first lookup, never at ``import validator``. An unknown model is a
:class:`~validator.errors.UsageError` (exit 2 in the CLI) that lists close names.

How a name is found, in order (the first rule that finds exactly one model wins):

1. the exact API id (``mistralai/Mixtral-8x7B-Instruct-v0.1``);
2. the id in any case (``mistralai/mixtral-8x7b-instruct-v0.1``);
3. for a name without a slash, the part after the slash in any case
   (``Mixtral-8x7B-Instruct-v0.1``).

Names that match in case only are accepted because they are unambiguous; callers that send
the name on (to the API, in a report) should send :attr:`ModelLimits.id`, the exact id. A name
that several models match (rule 2 or 3) is a UsageError naming them.
"""

from __future__ import annotations

import difflib
from typing import Literal

from validator.errors import UsageError
from validator.models.table import BatchLimits, ModelLimits, ModelTable, model_table

__all__ = ["BatchLimits", "ModelLimits", "ModelTable", "TrainingMethod", "context_length",
           "find_model", "model_table"]

TrainingMethod = Literal["sft", "dpo"]
_CLOSE = 5  # close names an unknown model's message lists at most
_SUBSTRING_MIN = 4  # a shorter name is part of too many ids to say anything


def find_model(name: str) -> ModelLimits:
    """The bundled limits of model ``name`` (see the module docstring for how it is found);
    :class:`UsageError` listing close names when there is none."""
    models = model_table().models
    exact = models.get(name)
    if exact is not None:
        return exact
    key = name.strip().casefold()
    if not key:
        raise UsageError("a model name is needed: `ftdata models` lists the models")
    hits = [m for m in models.values() if m.id.casefold() == key]
    if not hits and "/" not in key:
        hits = [m for m in models.values() if _tail(m.id) == key]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise UsageError(f"model {name!r} is ambiguous: it may be "
                         + " or ".join(m.id for m in hits))
    close = close_names(name)
    hint = f": did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"unknown model {name!r}{hint} (`ftdata models` lists the {len(models)} "
                     "models ftdata knows)")


def close_names(name: str) -> list[str]:
    """Ids of the bundled models close to ``name``, at most five: those whose id holds it
    (in any case), then those close to it (``difflib``, in any case, whole or after the
    slash), closest first."""
    by_key: dict[str, str] = {}
    for model_id in model_table().models:
        by_key.setdefault(model_id.casefold(), model_id)
        by_key.setdefault(_tail(model_id), model_id)
    key = name.strip().casefold()
    found = [m for m in model_table().models
             if len(key) >= _SUBSTRING_MIN and key in m.casefold()]  # a part of the id
    for probe in dict.fromkeys((key, _tail(key))):
        for match in difflib.get_close_matches(probe, list(by_key), n=_CLOSE, cutoff=0.6):
            if by_key[match] not in found:
                found.append(by_key[match])
    return found[:_CLOSE]


def context_length(model: ModelLimits | str, training_method: TrainingMethod = "sft", *,
                   lora: bool = True) -> int:
    """The most tokens one training sequence of ``model`` may hold before it is truncated
    (SPEC §6: an over-long sample is truncated to the model's maximum sequence length, not
    rejected).

    - ``"sft"``: ``max_seq_length_sft``, LoRA or full training alike: the whole sample (the
      chat template rendered over its messages, tools and reasoning included).
    - ``"dpo"``, full training: ``max_seq_length_dpo``.
    - ``"dpo"`` with LoRA: SPEC §6, "With LoRA DPO, each output gets half the context":
      ``max_seq_length_dpo // 2`` for each of the two sequences, the prompt with the
      preferred output and the prompt with the non-preferred one.

    ``lora`` defaults to True, as Together's fine-tuning API does. ``model`` is a
    :class:`ModelLimits` or a name for :func:`find_model`; another method is a UsageError.
    """
    limits = find_model(model) if isinstance(model, str) else model
    if training_method == "sft":
        return limits.max_seq_length_sft
    if training_method == "dpo":
        return limits.max_seq_length_dpo // 2 if lora else limits.max_seq_length_dpo
    raise UsageError(f"unknown training method {training_method!r}: use sft or dpo")


def _tail(model_id: str) -> str:
    return model_id.rpartition("/")[2].casefold()
