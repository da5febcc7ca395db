"""Parsing one line: orjson does the work; this module turns its failures into clear issues."""

from __future__ import annotations

import orjson

from validator.collect import Collector

__all__ = ["BOM", "BOM_MESSAGE", "report_json_error", "utf8_message"]

BOM = b"\xef\xbb\xbf"
BOM_MESSAGE = ("file starts with a UTF-8 byte-order mark (BOM): remove it "
               "(save as UTF-8 without BOM)")
_NON_JSON_NUMBERS = (b"NaN", b"Infinity", b"-Infinity")


def utf8_message(raw: bytes, bad: UnicodeDecodeError, offset: int) -> str:
    """The utf8-invalid message for line ``raw`` starting at file offset ``offset``."""
    return (f"line is not valid UTF-8: byte 0x{raw[bad.start]:02X} at byte {bad.start + 1} of "
            f"the line (file offset {offset + bad.start}): re-save the file as UTF-8")


def report_json_error(raw: bytes, exc: orjson.JSONDecodeError, offset: int, out: Collector) -> None:
    """Add the issue for a line orjson could not parse; ``offset`` is the line's file offset."""
    msg = exc.msg
    if "UTF-8" in msg:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            out.add("utf8-invalid", None, utf8_message(raw, bad, offset))
            return
    text = raw.decode("utf-8", "replace")
    col = exc.colno
    at = text[exc.pos:exc.pos + 9].encode()
    if at.startswith(_NON_JSON_NUMBERS) or "infinity" in msg:
        hint = "NaN and Infinity are not valid JSON: write null or a finite number"
    elif "after document" in msg:
        hint = "one JSON object per line: split the line, or remove what follows the object"
    elif "depth limit" in msg:
        hint = "nested deeper than 1024 levels"
    elif "end of data" in msg:
        hint = "the line ends before the JSON does: was it cut short or split across lines?"
    elif at.startswith(b"'"):
        hint = (f"{msg}: JSON strings take double quotes, not single ones (was the line "
                "written with Python's str() or repr() instead of json.dumps?)")
    else:
        hint = msg
    out.add("json-invalid", None, f"invalid JSON at column {col}: {hint}")
