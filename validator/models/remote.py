"""The limits endpoint as the authority on a model's limits (SPEC §5, §6).

With ``TOGETHER_API_KEY`` set, ``--model`` takes the model's limits from
``GET /fine-tunes/models/limits?model_name=M`` over the bundled table's: the context lengths
and the capabilities the answer gives (well-typed fields only; the table's tokenizer and
reasoning default stay, since the endpoint does not name them).

The validator speaks no HTTP of its own and never imports the uploader: a package that speaks
the API offers a fetch through the ``ftdata.model_limits`` entry point, a callable
``fetch(model_id) -> Mapping | None`` (None: the API does not know the model) that raises when
the API cannot answer. The uploader's (``uploader.limits:fetch``) sends the key as every
uploader request does (never over plain http to another host) and waits 30 s at most.

An API that does not know the model is a usage error (a retired model cannot be fine-tuned);
an API that cannot answer (no network, an error) leaves the table's limits, and their
``source`` says why, as the report's ``stats.tokens.limits_source`` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from validator.errors import UsageError
from validator.models.table import ModelLimits

__all__ = ["ENTRY_POINTS", "KEY_VARIABLE", "SOURCE", "from_api", "merge_answer"]

KEY_VARIABLE = "TOGETHER_API_KEY"
ENTRY_POINTS = "ftdata.model_limits"
SOURCE = "GET /fine-tunes/models/limits"
_LENGTHS = ("max_seq_length_sft", "max_seq_length_dpo", "min_max_seq_length")
_FLAGS = ("supports_tools", "supports_reasoning", "supports_vision", "supports_full_training")
_REASON_CHARS = 300  # of an error's text in the source note

Fetch = Callable[[str], Mapping[str, Any] | None]
_answers: dict[str, ModelLimits] = {}  # per process: workers forked later share them


def from_api(limits: ModelLimits, environ: Mapping[str, str] | None = None, *,
             fetch: Fetch | None = None) -> ModelLimits:
    """``limits`` refreshed from the limits endpoint when a key is set and a fetch is
    installed (``fetch`` replaces the entry point's); unchanged otherwise."""
    env = os.environ if environ is None else environ
    if not env.get(KEY_VARIABLE):
        return limits
    known = _answers.get(limits.id)
    if known is not None:
        return known
    if fetch is None:
        fetch = _installed()
        if fetch is None:
            return limits
    try:
        answer = fetch(limits.id)
    except Exception as exc:  # any failure of the API leaves the table
        reason = " ".join(str(exc).split())[:_REASON_CHARS] or type(exc).__name__
        fallback = replace(limits, source=f"{limits.source}; {SOURCE} failed: {reason}")
        _answers[limits.id] = fallback  # asked once per process, answered or not
        return fallback
    if answer is None:
        raise UsageError(f"the API does not know model {limits.id} ({SOURCE} answered 404): it "
                         "cannot be fine-tuned there; `ftdata models` lists the bundled table, "
                         "which may be older than the API")
    refreshed = merge_answer(limits, answer)
    _answers[limits.id] = refreshed
    return refreshed


def merge_answer(limits: ModelLimits, answer: Mapping[str, Any]) -> ModelLimits:
    """The answer's well-typed fields over ``limits`` (a length a positive int, a capability a
    bool; anything else in the answer is ignored), with ``source`` naming the endpoint."""
    changes: dict[str, Any] = {}
    for key in _LENGTHS:
        value = answer.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            changes[key] = value
    for key in _FLAGS:
        value = answer.get(key)
        if isinstance(value, bool):
            changes[key] = value
    return replace(limits, source=SOURCE, **changes)


def _installed() -> Fetch | None:
    from importlib.metadata import entry_points  # noqa: PLC0415 - only with a key and --model

    for entry in entry_points(group=ENTRY_POINTS):
        try:
            fetch = entry.load()
        except Exception:  # a broken plugin leaves the table, as no plugin does
            continue
        if callable(fetch):
            return fetch  # type: ignore[no-any-return]
    return None
