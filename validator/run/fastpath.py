"""The fast path of the scan: conversation and preference samples that have no issue, decoded
straight into what the checks read.

Most fine-tuning data is lines whose messages are system, user and assistant turns with
string content, maybe a 0/1 ``weight`` and (assistant) a ``reasoning`` string: a
conversation's ``messages``, or a preference pair's ``input`` and its two one-message
outputs. Agent data adds ``tools``, assistant ``tool_calls`` and the ``tool`` messages that
answer them; multimodal data, content-part lists of text and images. For such a line the
full checks build a dict per message, look its keys up one by one and walk the turn table.
:class:`FastPath` decodes the line with msgspec into typed structs instead, so that the
decoder itself refuses every other shape (another key, a weight of ``1.0`` or ``true``,
content that is neither a string nor parts) as fast as it reads, and what is left to Python
is the turn order, the tool calls, the images and the counts.

A line is taken only when the full checks (``scan.scan_jsonl`` on the ``orjson`` record) would
report nothing for it and add exactly the same tallies; anything else is left to them, and
they stay the reference. msgspec refuses what orjson refuses in a line it decodes whole, as
here (invalid UTF-8, control characters, bad escapes, lone surrogates, trailing text, a
byte-order mark), and takes a repeated key's last value, as orjson does. Two parts it keeps
as raw JSON text (msgspec.Raw, whose bytes msgspec does not check). A conversation's ``tools``
is read by orjson and checked by ``formats.tools`` the first time those bytes are seen: later
samples with the same bytes reuse its verdict, and a ``tools`` value with any issue is the
full checks' on every sample. An image's URL is judged by
``formats.content.image_json_is_clean``: on its bytes where they are a plain data URL (ASCII
by then), else decoded by orjson and judged as the full checks judge it. Tool calls are judged
by ``formats.tools.call_is_clean`` (the full path's parse and schema check), so that no rule
is written twice.

A file whose lines keep missing the fast path would pay for both, so after a run of misses
it is skipped for :attr:`FastPath.PAUSE` lines. ``tests/unit/test_fastpath.py`` and
``tests/property/test_fast_scan.py`` hold both paths to the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import orjson

from validator.collect import Tally
from validator.formats.bytecache import ByteCache
from validator.formats.content import image_json_is_clean
from validator.formats.tools import Declared, call_is_clean, declared_if_clean
from validator.formats.turns import AFTER, AFTER_CALLS, GREETING, START
from validator.limits import LIMITS
from validator.run.fastshapes import (
    Answer,
    Assistant,
    Conversation,
    Message,
    Preference,
    System,
    Text,
    Turn,
    User,
)

__all__ = ["FORMATS", "MULTIMODAL", "PARALLEL", "REASONING", "TOOLS", "WEIGHTS", "FastPath",
           "Sample"]

# What a line taken by the fast path adds: (messages, characters of content, flags), the
# flags an OR of these, each a Tally flag to set.
Sample = tuple[int, int, int]
WEIGHTS = 1  # has_message_weights
REASONING = 2  # has_reasoning
TOOLS = 4  # has_tools
PARALLEL = 8  # has_parallel_tool_calls
MULTIMODAL = 16  # is_multimodal

_UNSET = msgspec.UNSET
_MAX_IMAGES_MESSAGE = LIMITS.max_images_per_message
_MAX_IMAGES_SAMPLE = LIMITS.max_images_per_sample
_ASSISTANT = "assistant"
_TOOL = "tool"


# The formats (the server's dataset_format names) the fast path reads.
FORMATS = frozenset({"conversation", "preference_openai"})


class FastPath:
    """The fast path of one scan, for samples of format ``name`` (one of :data:`FORMATS`)."""

    PAUSE = 512  # lines left to the full checks after a run of misses
    # Misses forgiven in a row: one the decoder refuses costs 2, one it decodes whole costs 4;
    # each hit earns 1 back. So it keeps going while at least two lines in three are taken
    # (four in five where the misses are decoded whole).
    _CREDIT = 16

    BATCH = 4096  # samples whose counts are kept before they go to the tally's sketches

    __slots__ = ("_chars", "_credit", "_flags", "_messages", "_paused", "_read", "hits")

    def __init__(self, name: str) -> None:
        self._read: Callable[[bytes], Sample | None] = (
            _conversation(msgspec.json.Decoder(Conversation).decode) if name == "conversation"
            else _preference(msgspec.json.Decoder(Preference).decode))
        self._credit = self._CREDIT
        self._paused = 0
        self.hits = 0  # lines taken, for tests and benchmarks
        # what take() has not yet added to the tally (see flush)
        self._messages: list[int] = []
        self._chars: list[int] = []
        self._flags = 0

    def take(self, line: bytes, tally: Tally) -> bool:
        """Whether the sample on ``line`` is the fast path's: the full checks would report
        nothing for it, and what they would add to ``tally`` is added (the flags at once, the
        counts in batches, so :meth:`flush` must follow the last line). False: the line is
        theirs, and nothing was added."""
        if self._paused:
            self._paused -= 1
            return False
        try:
            got = self._read(line)
            cost = 4  # the whole line was decoded for nothing
        except (msgspec.DecodeError, RecursionError):  # too deep for msgspec or a schema check
            got = None
            cost = 2  # the decoder stopped where the shape broke, often early in the line
        if got is None:
            self._credit -= cost
            if self._credit < 0:
                self._credit = self._CREDIT
                self._paused = self.PAUSE
            return False
        if self._credit < self._CREDIT:
            self._credit += 1
        self.hits += 1
        messages = self._messages
        messages.append(got[0])
        self._chars.append(got[1])
        flags = got[2]
        if flags and flags & ~self._flags:  # a flag not yet set
            self._flags |= flags
            _set_flags(flags, tally)
        if len(messages) >= self.BATCH:
            self.flush(tally)
        return True

    def flush(self, tally: Tally) -> None:
        """Add the counts :meth:`take` kept to ``tally``."""
        tally.messages.add_all(self._messages)
        tally.chars.add_all(self._chars)
        self._messages.clear()
        self._chars.clear()


def _set_flags(flags: int, tally: Tally) -> None:
    if flags & WEIGHTS:
        tally.has_message_weights = True
    if flags & REASONING:
        tally.has_reasoning = True
    if flags & TOOLS:
        tally.has_tools = True
    if flags & PARALLEL:
        tally.has_parallel_tool_calls = True
    if flags & MULTIMODAL:
        tally.is_multimodal = True


# The verdicts on the tools lists seen, by their bytes: the tools they declare, or None for a
# list with an issue (left to the full checks). As many entries as the full checks' cache
# (tools.py), a quarter of its bytes: a list not kept here is only checked again.
_Tools = tuple["Declared | None", bool]  # (declared, non-empty)
_tools_seen: ByteCache[bytes, _Tools] = ByteCache(4096, 8 << 20, 1 << 20)


def _tools(raw: bytes) -> _Tools:
    found = _tools_seen.get(raw)
    if found is None:
        try:
            tools = orjson.loads(raw)
        except orjson.JSONDecodeError:  # bytes msgspec did not check: the full checks say why
            return None, False
        found = (declared_if_clean(tools), bool(tools))
        _tools_seen.put(raw, found, len(raw))
    return found


def _conversation(decode: Callable[[bytes], Conversation]) -> Callable[[bytes], Sample | None]:
    """A conversation: its messages train, so one must, and weights count (SPEC §2.1)."""

    def read(line: bytes) -> Sample | None:
        rec = decode(line)
        messages = rec.messages
        flags = 0
        declared: Declared | None = None
        if rec.tools is not _UNSET:
            declared, listed = _tools(bytes(rec.tools))
            if declared is None:
                return None
            if listed:
                flags = TOOLS
        got = _turns(messages, declared, flags)
        if got is None:
            return None
        return len(messages), got[0], got[1]

    return read


# The turn table of formats/turns.py as linked dicts: each state maps the kind of the next
# message (its struct, or _CALLS for an assistant message making calls) to the state that
# follows, so that a turn costs one lookup.
_State = dict[object, Any]
_CALLS = "calls"


def _linked() -> _State:
    kinds = {"system": System, "user": User, "assistant": Assistant, "tool": Answer}
    states: dict[str, _State] = {}
    for name, moves in AFTER.items():
        for role, nxt in moves.items():
            states.setdefault(name, {})[kinds[role]] = states.setdefault(nxt, {})
    for name, nxt in AFTER_CALLS.items():
        states.setdefault(name, {})[_CALLS] = states.setdefault(nxt, {})
    return states[START]


_START = _linked()


def _turns(messages: list[Turn], declared: Declared | None,
           flags: int) -> tuple[int, int] | None:
    """Walk a conversation's messages as messages.check_messages does: (characters, flags), or
    None where the full checks must look (a turn out of order, a call that is not clean or not
    answered before the conversation goes on, an answer to no open call, an image that is not
    clean, off a user message or in a message that trains, too many images, string and part
    contents mixed, no assistant message, nothing that trains)."""
    assistants = trained = chars = images = 0
    strings = parts = False
    state = _START
    pending: dict[str, int] = {}  # unanswered call id -> its message's index
    for i, m in enumerate(messages):
        if type(m) is Assistant:
            content = m.content
            calls = m.tool_calls
            if calls is _UNSET:
                nxt = state.get(Assistant)
                if type(content) is str:
                    chars += len(content)
                    strings = True
                elif type(content) is list and content:
                    for part in content:
                        if type(part) is not Text:
                            return None  # image-role
                        chars += len(part.text)
                    parts = True
                    flags |= MULTIMODAL
                else:  # null or absent without calls, or an empty part list
                    return None
            else:  # making calls, its content a string, null or absent
                nxt = state.get(_CALLS)
                if not calls or type(content) is list:
                    return None
                for call in calls:
                    fn = call.function
                    if not call_is_clean(fn.name, fn.arguments, declared):
                        return None
                    pending[call.id] = i
                flags |= TOOLS if len(calls) < 2 else TOOLS | PARALLEL
                if type(content) is str:
                    chars += len(content)
                    strings = True
            if nxt is None:
                return None
            weight = m.weight
            if weight is _UNSET:
                weight = 1
            else:
                flags |= WEIGHTS
            r = m.reasoning
            rc = m.reasoning_content
            if r is not _UNSET or rc is not _UNSET:
                if r is not _UNSET and rc is not _UNSET:
                    return None  # reasoning-both
                if r or rc:
                    flags |= REASONING
            assistants += 1
            trained += weight
        elif type(m) is Answer:  # answers an open call
            cid = m.tool_call_id
            if cid not in pending or (nxt := state.get(Answer)) is None:
                return None
            del pending[cid]
            chars += len(m.content)
            strings = True
            flags |= TOOLS
        else:  # a system or user message
            if (nxt := state.get(type(m))) is None:
                return None
            content = m.content
            seen = 0  # images in this message
            if type(content) is str:
                chars += len(content)
                strings = True
            elif type(content) is list and content:
                for part in content:
                    if type(part) is Text:
                        chars += len(part.text)
                    elif type(m) is not User or not image_json_is_clean(bytes(part.image_url.url)):
                        return None  # image-role, or the image's own rules
                    else:
                        seen += 1
                if seen > _MAX_IMAGES_MESSAGE:
                    return None
                images += seen
                parts = True
                flags |= MULTIMODAL
            else:  # an empty part list
                return None
            weight = m.weight
            if weight is not _UNSET:
                flags |= WEIGHTS
                if weight:
                    if seen:
                        return None  # image-weight
                    trained += 1  # a user or system message with weight 1 trains too
        state = nxt
    if not assistants or not trained:  # no-assistant, nothing-trained
        return None
    if (strings and parts) or images > _MAX_IMAGES_SAMPLE:  # content-mixed, image-count
        return None
    last = len(messages) - 1
    for i in pending.values():
        if i < last:  # tool-unanswered: only a call in the last message may wait
            return None
    return chars, flags


def _preference(decode: Callable[[bytes], Preference]) -> Callable[[bytes], Sample | None]:
    """A preference pair: an input that may open with an assistant greeting and must not end
    with an assistant message, no weights, and two different plain replies (SPEC §2.5)."""

    def read(line: bytes) -> Sample | None:
        rec = decode(line)
        messages = rec.input.messages
        preferred = rec.preferred_output
        other = rec.non_preferred_output
        if not messages or len(preferred) != 1 or len(other) != 1:
            return None
        got = _messages(messages, GREETING)
        if got is None or got[2] == _ASSISTANT:  # preference-last-assistant
            return None
        a, b = preferred[0].content, other[0].content
        if a == b:  # preference-identical
            return None
        return len(messages), got[0] + len(a) + len(b), got[1]

    return read


def _messages(messages: list[Message], state: str) -> tuple[int, int, str] | None:
    """Walk a preference input as the fast path of messages.check_messages does, from turn
    ``state``: (characters, flags, last role), or None where the full checks must look (a
    tool message, another role, a turn out of order, reasoning off an assistant message; a
    weight, which does not train here, the decoder refuses)."""
    chars = flags = 0
    role = ""
    for m in messages:
        role = m.role
        if role == _TOOL or (nxt := AFTER[state].get(role)) is None:
            return None
        r = m.reasoning
        if r is not _UNSET:
            if role != _ASSISTANT:
                return None
            if r:
                flags = REASONING
        chars += len(m.content)
        state = nxt
    return chars, flags, role
