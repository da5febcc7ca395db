"""The fine-tune dataset formats: which keys name each, which extra keys each allows, and the
check that runs on its samples. One module per format; each exposes
``check(record, collector, tally) -> None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from validator.collect import Collector, Tally
from validator.formats import conversation, general, instruction, preference
from validator.formats.weights import SAMPLE_WEIGHT_KEY

__all__ = ["FORMATS", "Format"]


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the server's dataset_format value
    required: tuple[str, ...]
    allowed: frozenset[str]  # required keys and the optional ones
    check: Callable[[dict[str, Any], Collector, Tally], None]


def _format(name: str, required: tuple[str, ...], optional: tuple[str, ...],
            check: Callable[[dict[str, Any], Collector, Tally], None]) -> Format:
    return Format(name, required, frozenset(required + optional + (SAMPLE_WEIGHT_KEY,)), check)


FORMATS: tuple[Format, ...] = (
    _format("conversation", ("messages",), ("tools",), conversation.check),
    _format("instruction", ("prompt", "completion"), (), instruction.check),
    _format("general", ("text",), (), general.check),
    _format("preference_openai", ("input", "preferred_output", "non_preferred_output"), (),
            preference.check),
)
