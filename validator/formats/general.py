"""general (plain text) samples: ``text`` (SPEC §2.5)."""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.content import check_parts
from validator.formats.describe import describe

__all__ = ["check"]


def check(rec: dict[str, Any], out: Collector, tally: Tally) -> None:
    text = rec["text"]
    if type(text) is str:
        tally.chars.add(len(text))
    elif type(text) is list:
        out.add("text-parts", ("text",),
                "text is a list of content parts; the text format expects one string")
        tally.is_multimodal = True
        tally.chars.add(check_parts(text, ("text",), out, "a text sample")[1])
    else:
        out.add("field-invalid", ("text",), f"text must be a string, not {describe(text)}")
