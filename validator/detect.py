"""Detecting a line's dataset format from its top-level keys (SPEC §2)."""

from __future__ import annotations

from typing import Any

from validator.formats import FORMATS, Format

__all__ = ["detect"]


Problem = tuple[str, None, str]  # (rule code, JSON path, message)


def detect(rec: dict[str, Any]) -> tuple[Format, None] | tuple[None, Problem]:
    """(format, None) when exactly one format's keys are all present, else (None, problem)."""
    found = [f for f in FORMATS if all(k in rec for k in f.required)]
    if len(found) == 1:
        return found[0], None
    if found:
        names = " and ".join(f"{f.name} ({', '.join(f.required)})" for f in found)
        return None, ("format-ambiguous", None,
                      f"line has the keys of {names}: keep one format's keys per line")
    keys = ", ".join(sorted(rec)[:10]) or "none"
    partial = [f for f in FORMATS if any(k in rec for k in f.required)]
    if partial:
        f = partial[0]
        missing = ", ".join(k for k in f.required if k not in rec)
        return None, ("format-unknown", None,
                      f"line looks like {f.name} but lacks {missing} (keys found: {keys})")
    wanted = "; ".join(f"{f.name}: {', '.join(f.required)}" for f in FORMATS)
    return None, ("format-unknown", None,
                  f"line matches no dataset format (keys found: {keys}); expected {wanted}")
