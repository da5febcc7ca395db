"""Parsing one line: orjson does the work; this module turns its failures into clear issues."""

from __future__ import annotations

import orjson

from validator.collect import Collector

__all__ = ["BOM", "BOM_MESSAGE", "document_kind", "document_message", "report_json_error",
           "utf8_message"]

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


def document_kind(raw: bytes) -> str | None:
    """``"array"`` or ``"object"`` when ``raw``, the first non-blank line of a file that is not
    a JSON object, opens a JSON document spread over the file (SPEC §1): a JSON array that
    goes on past the line (``[``, ``[{...},``) or a whole array of objects on one line, or an
    object pretty-printed over many lines (``{`` alone, or a line cut after ``{``, ``[`` or
    ``,``). ``None`` for a line that is only broken on its own (too deep, a typo)."""
    text = raw.strip()
    if text[:1] == b"[":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            return "array" if exc.pos >= len(text) else None  # the array goes on
        is_samples = type(value) is list and value and all(type(v) is dict for v in value)
        return "array" if is_samples else None
    if text == b"{" or (text[:1] == b"{" and text[-1:] in (b"{", b"[", b",")):
        return "object"
    return None


def document_message(kind: str) -> str:
    """The file-json-document message: what the file is, and the command that converts it."""
    if kind == "array":
        what, command = "a JSON array of samples", "jq -c '.[]'"
    else:
        what, command = "JSON objects pretty-printed over several lines", "jq -c ."
    return (f"the file is one JSON document ({what}), not JSON Lines with one object per line: "
            f"convert it with `{command} < FILE > fixed.jsonl`")
