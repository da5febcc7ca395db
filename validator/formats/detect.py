"""Detecting a line's dataset format from its top-level keys (SPEC §2)."""

from __future__ import annotations

from typing import Any

from validator.formats import FORMATS, Format
from validator.rules.codes import Code

__all__ = ["detect"]


Problem = tuple[Code, None, str]  # (rule code, location, message)

# Per line, most formats are ruled out by their first key alone: test that before the rest.
_CANDIDATES = tuple((f.required[0], f.required[1:], f) for f in FORMATS)


def detect(rec: dict[str, Any]) -> tuple[Format, None] | tuple[None, Problem]:
    """(format, None) when exactly one format's keys are all present, else (None, problem)."""
    match = None
    for first, rest, fmt in _CANDIDATES:
        if first in rec and (not rest or all(k in rec for k in rest)):
            if match is not None:
                return None, _problem(rec)
            match = fmt
    if match is not None:
        return match, None
    return None, _problem(rec)


def _problem(rec: dict[str, Any]) -> Problem:
    """Why a line has no single format (the slow path: only for lines in error)."""
    found = [f for f in FORMATS if all(k in rec for k in f.required)]
    if found:
        names = " and ".join(f"{f.name} ({', '.join(f.required)})" for f in found)
        return ("format-ambiguous", None,
                f"line has the keys of {names}: keep one format's keys per line")
    keys = ", ".join(sorted(rec)[:10]) or "none"
    partial = [f for f in FORMATS if any(k in rec for k in f.required)]
    if partial:
        f = partial[0]
        missing = ", ".join(k for k in f.required if k not in rec)
        return ("format-unknown", None,
                f"line looks like {f.name} but lacks {missing} (keys found: {keys})")
    wanted = "; ".join(f"{f.name}: {', '.join(f.required)}" for f in FORMATS)
    return ("format-unknown", None,
            f"line matches no dataset format (keys found: {keys}); expected {wanted}")
