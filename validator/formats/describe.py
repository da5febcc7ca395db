"""How a JSON value is named in messages: the way the user wrote it, kept short."""

from __future__ import annotations

from typing import Any

__all__ = ["describe", "json_type"]


def json_type(value: Any) -> str:
    """The JSON name of a value's type: string, number, boolean, null, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def describe(value: Any) -> str:
    """2.5, "1", true, null, an array, an object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | str):
        if not isinstance(value, str):
            text = repr(value)
            return text if len(text) <= 40 else text[:37] + "..."
        # a long string is cut inside its quotes, so the message still reads as a string
        return f'"{value}"' if len(value) <= 38 else f'"{value[:35]}..." ({len(value):,} chars)'
    return "an array" if isinstance(value, list) else "an object"
