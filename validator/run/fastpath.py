"""The fast path of the scan: plain conversation samples, decoded straight into what the
checks read.

Most fine-tuning data is lines of ``{"messages": [...]}`` whose messages are system, user and
assistant turns with string content, maybe a 0/1 ``weight`` and (assistant) a ``reasoning``
string. For such a line the full checks build a dict per message, look its keys up one by
one and walk the turn table. :class:`FastPath` decodes the line with msgspec into typed
structs instead, so that the decoder itself refuses every other shape (another key, a weight
of ``1.0`` or ``true``, content that is not a string) as fast as it reads, and what is left
to Python is the turn order and the counts.

A line is taken only when the full checks (``scan.scan_jsonl`` on the ``orjson`` record) would
report nothing for it and add exactly the same tallies; anything else is left to them, and
they stay the reference. msgspec refuses what orjson refuses in a line it decodes whole, as
here (invalid UTF-8, control characters, bad escapes, lone surrogates, trailing text, a
byte-order mark), and takes a repeated key's last value, as orjson does.

A file whose lines keep missing the fast path would pay for both, so after a run of misses
it is skipped for :attr:`FastPath.PAUSE` lines. ``tests/unit/test_fastpath.py`` and
``tests/property/test_fast_scan.py`` hold both paths to the same report.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from validator.formats.turns import AFTER, START

__all__ = ["FastPath", "Sample"]

# What a line taken by the fast path adds: (messages, characters of content, has message
# weights, has reasoning).
Sample = tuple[int, int, bool, bool]

_UNSET = msgspec.UNSET
_ASSISTANT = "assistant"
_TOOL = "tool"


class _Message(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: str
    content: str
    weight: Literal[0, 1] | msgspec.UnsetType = _UNSET
    reasoning: str | msgspec.UnsetType = _UNSET


class _Sample(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[_Message]


class FastPath:
    """The fast path of one scan."""

    PAUSE = 512  # lines left to the full checks after a run of misses
    _CREDIT = 16  # misses forgiven in a row (each costs 4), earned back by hits

    __slots__ = ("_credit", "_decode", "_paused", "hits")

    def __init__(self) -> None:
        self._decode = msgspec.json.Decoder(_Sample).decode
        self._credit = self._CREDIT
        self._paused = 0
        self.hits = 0  # lines taken, for tests and benchmarks

    def sample(self, line: bytes) -> Sample | None:
        """What conversation sample ``line`` adds to the tallies, when the full checks would
        report nothing for it; else None, and the line is theirs."""
        if self._paused:
            self._paused -= 1
            return None
        got = self._sample(line)
        if got is None:
            self._credit -= 4
            if self._credit < 0:
                self._credit = self._CREDIT
                self._paused = self.PAUSE
            return None
        if self._credit < self._CREDIT:
            self._credit += 1
        self.hits += 1
        return got

    def _sample(self, line: bytes) -> Sample | None:
        try:
            messages = self._decode(line).messages
        except (msgspec.DecodeError, RecursionError):
            return None
        state = START
        assistants = trained = chars = 0
        weights = reasoning = False
        for m in messages:  # as the fast path of messages.check_messages reads a message
            role = m.role
            if role == _TOOL or (nxt := AFTER[state].get(role)) is None:
                return None  # a tool message, another role, or a turn out of order
            weight = m.weight
            if weight is _UNSET:
                weight = 1
            else:
                weights = True
                if weight and role != _ASSISTANT:
                    trained += 1  # a user or system message with weight 1 trains too
            r = m.reasoning
            if r is not _UNSET:
                if role != _ASSISTANT:
                    return None
                reasoning = reasoning or bool(r)
            if role == _ASSISTANT:
                assistants += 1
                trained += weight
            chars += len(m.content)
            state = nxt
        if not assistants or not trained:  # no-assistant, nothing-trained (and no messages)
            return None
        return len(messages), chars, weights, reasoning
