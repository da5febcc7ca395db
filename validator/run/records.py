"""Verdicts for records given one by one (:func:`check_records`), for pipeline frameworks.

A record is a dict (or any JSON value) or the JSON text of one record (``str`` or ``bytes``);
each gets the verdict its line would get in a file split by ``--split``: format mixing and
batch ``custom_id`` uniqueness span the whole iterable, checked ``batch`` records at a time.

Records are joined into JSONL for the engine, so text keeps exactly what it says:

* a line break *between* tokens (pretty-printed JSON) is whitespace, as in the file the record
  would be written to with ``json.dumps(json.loads(text))``;
* a raw line break *inside* a string is invalid JSON, and stays so: it becomes another
  control character, which the parser refuses at the same column;
* an empty record is a blank line: not a sample, so not ``ok`` (a split rejects it too);
* a dict that JSON cannot express (a ``set``, an object of another type) is ``json-invalid``
  with the reason; one nested deeper than orjson writes (255 levels) is written by the
  standard library instead, so it gets the verdict of its text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from validator.collect import Collector, Tally
from validator.config import Config
from validator.issues import Issue, Severity
from validator.purposes import check_purpose
from validator.read.lines import TooLong, split_lines
from validator.run.route import Router
from validator.run.scan import scan_jsonl

__all__ = ["Verdict", "check_records"]

# what decides whether a line break is inside a string: quotes, and escapes (an escaped quote
# does not end a string; an escaped line break is still a raw one). Linear: no backtracking.
_TOKENS = re.compile(rb'\\(.)|["\n]', re.DOTALL)
_IN_STRING = 0x1F  # a control character: refused in a JSON string, as a raw line break is
_BETWEEN = 0x20  # a space: whitespace between tokens, as the line break was
_PLACEHOLDER = b"{}"  # the line of a record that is not JSON; its verdict is replaced


@dataclass(frozen=True)
class Verdict:
    """One record's result: ``ok`` when it had no error (then it belongs in CLEAN)."""

    line: int
    record: Any
    ok: bool
    issues: tuple[Issue, ...]


class _Capture(Router):
    """Keeps each line's verdict instead of writing files."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, tuple[Issue, ...]]] = []

    def finish(self, lineno: int, line: bytes | TooLong, issues: list[Issue]) -> None:
        if isinstance(line, bytes) and not line.strip():  # not a sample: REJECTED in a split
            if not issues:  # blank-line switched off
                issues = [Issue(lineno, None, "blank-line", Severity.WARNING,
                                "blank line: not a sample")]
            self.seen.append((False, tuple(issues)))
            return
        ok = not isinstance(line, TooLong) and not any(
            i.severity is Severity.ERROR for i in issues)
        self.seen.append((ok, tuple(issues)))


def check_records(records: Iterable[Any], purpose: str = "fine-tune", *,
                  config: Config | None = None, batch: int = 1024) -> Iterator[Verdict]:
    """Verdicts for records (dicts, or JSON text/bytes of one record) in order, as for the
    lines of a file: format mixing and batch custom_id uniqueness span the whole iterable.
    Records are checked ``batch`` at a time, so an endless stream works."""
    check_purpose(purpose)
    state = _RecordState(config or Config(), purpose)
    pending: list[Any] = []
    for record in records:
        pending.append(record)
        if len(pending) >= batch:
            yield from state.check(pending)
            pending = []
    if pending:
        yield from state.check(pending)


class _RecordState:
    """What carries from one batch of records to the next."""

    def __init__(self, config: Config, purpose: str) -> None:
        self.config = config
        self.purpose = purpose
        self.done = 0  # records checked so far
        self.known: tuple[str, int] | None = None  # the first sample's format and line
        self.seen_ids: dict[str, int] = {}  # batch-api custom_id -> line

    def check(self, records: list[Any]) -> list[Verdict]:
        out = Collector(self.config)
        tally = Tally()
        capture = _Capture()
        lines: list[bytes] = []
        unwritable: dict[int, str] = {}  # index -> why the record is not JSON
        for index, record in enumerate(records):
            line, problem = as_line(record)
            if problem is not None:
                unwritable[index] = problem
            lines.append(line)
        block = b"\n".join(lines) + b"\n"
        limit = self.config.max_line_bytes
        scan_jsonl(capture.route(split_lines([block], limit), out), self.purpose, limit, out,
                   tally, offset=int(self.done > 0), known_format=self.known,
                   start_line=self.done + 1, batch_ids=self.seen_ids)
        if self.known is None and tally.format_lines:
            self.known = min(tally.format_lines.items(), key=lambda item: item[1])
        verdicts = []
        for k, (record, seen) in enumerate(zip(records, capture.seen, strict=True)):
            lineno = self.done + k + 1
            if k in unwritable:  # an error whatever the config: no JSON line can hold it
                seen = (False, (Issue(lineno, None, "json-invalid",  # noqa: PLW2901
                                      Severity.ERROR, unwritable[k]),))
            verdicts.append(Verdict(lineno, record, *seen))
        self.done += len(records)
        return verdicts


def as_line(record: Any) -> tuple[bytes, str | None]:
    """``record`` as one JSONL line, and None; or a placeholder and why it is not JSON."""
    if isinstance(record, bytes | bytearray | memoryview):
        return one_line(bytes(record).rstrip(b"\r\n")), None
    if isinstance(record, str):
        return one_line(record.rstrip("\r\n").encode("utf-8", "surrogatepass")), None
    try:
        return orjson.dumps(record), None
    except orjson.JSONEncodeError as exc:
        if "Recursion" not in str(exc):
            return _PLACEHOLDER, f"record cannot be written as JSON: {exc}"
    try:  # deeper than orjson writes: its text (nesting over 1024 is then json-invalid)
        return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass"), None
    except (TypeError, ValueError, RecursionError) as exc:
        return _PLACEHOLDER, f"record cannot be written as JSON: {exc}"


def one_line(text: bytes) -> bytes:
    """``text`` with its line breaks made into what keeps its meaning on one line: a space
    between tokens, a control character inside a string (see the module's docstring)."""
    if b"\n" not in text:
        return text
    out = bytearray(text)
    in_string = False
    for match in _TOKENS.finditer(text):
        escaped = match.start(1)
        if escaped >= 0:  # an escape: only a line break after the backslash matters
            if text[escaped] == 0x0A:
                out[escaped] = _IN_STRING if in_string else _BETWEEN
        elif text[match.start()] == 0x22:  # a quote
            in_string = not in_string
        else:
            out[match.start()] = _IN_STRING if in_string else _BETWEEN
    return bytes(out)
