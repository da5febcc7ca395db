"""The fast path of the scan: plain conversation and preference samples, decoded straight into
what the checks read.

Most fine-tuning data is lines whose messages are system, user and assistant turns with
string content, maybe a 0/1 ``weight`` and (assistant) a ``reasoning`` string: a
conversation's ``messages``, or a preference pair's ``input`` and its two one-message
outputs. For such a line the full checks build a dict per message, look its keys up one by
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

from collections.abc import Callable
from typing import Literal

import msgspec

from validator.formats.turns import AFTER, GREETING, START

__all__ = ["FORMATS", "FastPath", "Sample"]

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


class _Conversation(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[_Message]


class _Input(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[_Message]


class _Reply(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["assistant"]
    content: str


class _Preference(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    input: _Input
    preferred_output: list[_Reply]
    non_preferred_output: list[_Reply]


# The formats (the server's dataset_format names) the fast path reads.
FORMATS = frozenset({"conversation", "preference_openai"})


class FastPath:
    """The fast path of one scan, for samples of format ``name`` (one of :data:`FORMATS`)."""

    PAUSE = 512  # lines left to the full checks after a run of misses
    _CREDIT = 16  # misses forgiven in a row (each costs 4), earned back by hits

    __slots__ = ("_credit", "_paused", "_read", "hits")

    def __init__(self, name: str) -> None:
        self._read: Callable[[bytes], Sample | None] = (
            _conversation(msgspec.json.Decoder(_Conversation).decode) if name == "conversation"
            else _preference(msgspec.json.Decoder(_Preference).decode))
        self._credit = self._CREDIT
        self._paused = 0
        self.hits = 0  # lines taken, for tests and benchmarks

    def sample(self, line: bytes) -> Sample | None:
        """What the sample on ``line`` adds to the tallies, when the full checks would report
        nothing for it; else None, and the line is theirs."""
        if self._paused:
            self._paused -= 1
            return None
        got = self._read(line)
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


def _conversation(decode: Callable[[bytes], _Conversation]) -> Callable[[bytes], Sample | None]:
    """A conversation: its messages train, so one must, and weights count (SPEC §2.1)."""

    def read(line: bytes) -> Sample | None:
        try:
            messages = decode(line).messages
        except (msgspec.DecodeError, RecursionError):
            return None
        got = _messages(messages, START, weights=True)
        if got is None or not got[4] or not got[5]:  # no-assistant, nothing-trained
            return None
        return len(messages), got[0], got[1], got[2]

    return read


def _preference(decode: Callable[[bytes], _Preference]) -> Callable[[bytes], Sample | None]:
    """A preference pair: an input that may open with an assistant greeting and must not end
    with an assistant message, no weights, and two different plain replies (SPEC §2.5)."""

    def read(line: bytes) -> Sample | None:
        try:
            rec = decode(line)
        except (msgspec.DecodeError, RecursionError):
            return None
        messages = rec.input.messages
        preferred = rec.preferred_output
        other = rec.non_preferred_output
        if not messages or len(preferred) != 1 or len(other) != 1:
            return None
        got = _messages(messages, GREETING, weights=False)
        if got is None or got[3] == _ASSISTANT:  # preference-last-assistant
            return None
        a, b = preferred[0].content, other[0].content
        if a == b:  # preference-identical
            return None
        return len(messages), got[0] + len(a) + len(b), False, got[2]

    return read


def _messages(messages: list[_Message], state: str, *,
              weights: bool) -> tuple[int, bool, bool, str, int, int] | None:
    """Walk a message list as the fast path of messages.check_messages does, from turn
    ``state``: (characters, has weights, has reasoning, last role, assistant messages,
    messages that train), or None where the full checks must look (a tool message, another
    role, a turn out of order, reasoning off an assistant message, a weight where weights do
    not train)."""
    assistants = trained = chars = 0
    weighted = reasoning = False
    role = ""
    for m in messages:
        role = m.role
        if role == _TOOL or (nxt := AFTER[state].get(role)) is None:
            return None
        weight = m.weight
        if weight is _UNSET:
            weight = 1
        elif not weights:
            return None  # message-weight-ignored
        else:
            weighted = True
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
    return chars, weighted, reasoning, role, assistants, trained
