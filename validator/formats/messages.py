"""Message lists (SPEC §2.1-2.4), shared by conversation samples, preference inputs and
outputs, and batch chat requests.

:func:`check_messages` is the hot loop of the whole tool. It takes the messages nearly every
dataset is made of on a fast path, inline, and hands any other message to the full checks
(:class:`_FullChecks`); both follow the turn order of :mod:`validator.formats.turns`. The rules
about the whole list come last, in :func:`_check_list`.
"""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.answers import check_reasoning, check_tool_answer
from validator.formats.content import check_parts
from validator.formats.describe import describe
from validator.formats.names import (
    MESSAGE_KEYS,
    ROLES,
    SHAREGPT_KEYS,
    a_message,
    role_problem,
    unknown_key,
)
from validator.formats.tools import Declared, check_tool_calls
from validator.formats.turns import (
    AFTER,
    AFTER_CALLS,
    GREETING,
    NO_ROLE,
    NOT_OBJECT,
    START,
    UNCHECKED,
    follow,
)
from validator.formats.weights import check_message_weight
from validator.issues import Location
from validator.limits import LIMITS

__all__ = ["ROLES", "Messages", "check_messages"]

_MAX_IMAGES_MSG = LIMITS.max_images_per_message
_MAX_IMAGES_SAMPLE = LIMITS.max_images_per_sample
_MISSING: Any = object()


# What a message list held, for the caller's sample-level rules and statistics:
# (messages in the list, characters of text, role of the last message). A plain tuple: a
# NamedTuple costs a Python-level __new__ on every sample.
Messages = tuple[int, int, "str | None"]


def check_messages(
    messages: Any,
    base: Location,
    out: Collector,
    tally: Tally,
    declared: Declared | None,
    *,
    need_assistant: bool = True,
    turns: bool = True,
    greeting: bool = False,
    weights: bool = True,
) -> Messages | None:
    """Check a message list at ``base``.

    ``turns`` enables the turn-order and tool-call pairing rules (off for a preference output,
    which is one assistant message answering an input elsewhere). ``greeting`` lets the list
    open with an assistant message (a preference input). ``weights``: message weights train
    here (conversational data); elsewhere a weight is ignored by the server, and said so.
    """
    if type(messages) is not list or not messages:
        out.add("messages-invalid", base,
                "messages must be a non-empty list of {\"role\": ..., \"content\": ...} objects, "
                f"not {describe(messages) if messages != [] else 'an empty list'}")
        return None
    # Counts of the fast path; the full checks keep their own, added up at the end.
    chars = 0
    str_contents = 0
    assistants = 0
    trained_assistants = 0
    trained_others = 0  # user, system or tool messages with weight 1: they train too
    state = (GREETING if greeting else START) if turns else UNCHECKED  # validator.formats.turns
    seen_calls = False
    pending: dict[str, tuple[int, int]] = {}  # unanswered call id -> (message, call) index
    called: set[str] = set()
    full: _FullChecks | None = None  # made on the first message the fast path does not take
    w: Any = None  # a plain message's weight and reasoning
    r: Any = None

    for i, m in enumerate(messages):
        # The fast path: the messages nearly every real dataset is made of, where the turn
        # order allows them -- a system/user/assistant message with string content, maybe a
        # 0/1 weight and (assistant) a reasoning string; a tool message answering a pending
        # call; an assistant message making tool calls. Anything else, or anything unusual
        # about these, takes the full checks. Whatever passes here, the full checks would
        # pass without an issue, counting and flagging the same.
        if type(m) is dict:
            role = m.get("role")
            content = m.get("content")
            n_keys = len(m)
            if type(content) is str and type(role) is str:
                if role == "tool":
                    if (n_keys == 3 and turns and (nxt := AFTER[state].get(role)) is not None
                            and type(cid := m.get("tool_call_id")) is str and cid in pending):
                        del pending[cid]
                        chars += len(content)
                        str_contents += 1
                        tally.has_tools = True
                        state = nxt
                        continue
                elif (nxt := AFTER[state].get(role)) is not None:  # only roles are keys
                    if n_keys == 2:
                        weight = 1
                    else:
                        w = m.get("weight")
                        r = m.get("reasoning")
                        weight = -1  # not plain: the full checks
                        if (n_keys == 2 + (w is not None) + (r is not None)
                                and (w is None or (weights and type(w) is int and 0 <= w <= 1))
                                and (r is None or (type(r) is str and role == "assistant"))):
                            if w is not None:
                                weight = w
                                tally.has_message_weights = True
                                if w and role != "assistant":
                                    trained_others += 1
                            else:
                                weight = 1
                            if r:
                                tally.has_reasoning = True
                    if weight >= 0:
                        chars += len(content)
                        str_contents += 1
                        if role == "assistant":
                            assistants += 1
                            trained_assistants += weight
                        state = nxt
                        continue
            if (role == "assistant" and (content is None or type(content) is str)
                    and type(calls := m.get("tool_calls")) is list and calls
                    and (nxt := AFTER_CALLS.get(state)) is not None):
                # maybe with string or null content, a 0/1 weight, a reasoning string
                w = m.get("weight")
                r = m.get("reasoning")
                if (n_keys == 2 + ("content" in m) + (w is not None) + (r is not None)
                        and (w is None or (weights and type(w) is int and 0 <= w <= 1))
                        and (r is None or type(r) is str)):
                    for n_call, cid in enumerate(check_tool_calls(
                            calls, base + (i, "tool_calls"), out, declared)):
                        called.add(cid)
                        pending[cid] = (i, n_call)
                    tally.has_tools = True
                    if len(calls) >= 2:
                        tally.has_parallel_tool_calls = True
                    if content is not None:
                        chars += len(content)
                        str_contents += 1
                    assistants += 1
                    if w is None:
                        trained_assistants += 1
                    else:
                        trained_assistants += w
                        tally.has_message_weights = True
                    if r:
                        tally.has_reasoning = True
                    seen_calls = True
                    state = nxt
                    continue
        if full is None:
            full = _FullChecks(base, out, tally, declared, turns=turns, called=called,
                               pending=pending, weights=weights)
        state, seen_calls = full.message(i, m, state, seen_calls)

    images = part_contents = 0
    if full is not None:
        chars += full.chars
        str_contents += full.str_contents
        assistants += full.assistants
        trained_assistants += full.trained_assistants
        trained_others += full.trained_others
        images = full.images
        part_contents = full.part_contents
    _check_list(base, out, len(messages), pending, assistants, trained_assistants + trained_others,
                images, str_contents, part_contents, need_assistant, turns)
    if full is not None:  # else every message took the fast path, the last one with ``role``
        last = messages[-1]
        role = last.get("role") if type(last) is dict else None
        if type(role) is not str or role not in ROLES:
            role = None
    return len(messages), chars, role


def _check_list(base: Location, out: Collector, n: int,  # noqa: PLR0917
                pending: dict[str, tuple[int, int]], assistants: int, trained: int,
                images: int, str_contents: int, part_contents: int,
                need_assistant: bool, turns: bool) -> None:
    """The rules about a whole message list, once its messages are checked. ``trained``
    counts the messages that train: assistant messages without weight 0, others with weight 1.
    """
    if need_assistant and assistants == 0:
        out.add("no-assistant", base,
                "conversation has no assistant message: add the assistant turn to train on")
    elif assistants and trained == 0:
        out.add("nothing-trained", base,
                "every assistant message has weight 0 and no other message has weight 1, so "
                "this sample trains on nothing")
    if turns:
        for i, n_call in pending.values():
            if i < n - 1:  # a call in the last message is the training target, not a problem
                out.add("tool-unanswered", (*base, i, "tool_calls", n_call),
                        "tool call is never answered, though the conversation goes on: add a "
                        "tool message with its tool_call_id after it")
    if images > _MAX_IMAGES_SAMPLE:
        out.add("image-count", base,
                f"sample has {images} images, over the limit of {_MAX_IMAGES_SAMPLE}")
    if str_contents and part_contents:
        out.add("content-mixed", base,
                "sample mixes string content and content-part lists: use one form for every "
                'message (wrap strings as [{"type": "text", "text": ...}])')


class _FullChecks:
    """Every check of one message, for the messages the fast path does not take, and the
    counts they add up to over the list. Shares the list's call ids with the fast path."""

    __slots__ = ("assistants", "base", "called", "chars", "declared", "images", "out",
                 "part_contents", "pending", "str_contents", "tally", "trained_assistants",
                 "trained_others", "turns", "weights")

    def __init__(self, base: Location, out: Collector, tally: Tally, declared: Declared | None,
                 *, turns: bool, called: set[str], pending: dict[str, tuple[int, int]],
                 weights: bool) -> None:
        self.base = base
        self.out = out
        self.tally = tally
        self.declared = declared
        self.turns = turns
        self.called = called
        self.pending = pending
        self.chars = 0
        self.images = 0
        self.str_contents = 0
        self.part_contents = 0
        self.assistants = 0
        self.trained_assistants = 0
        self.trained_others = 0
        self.weights = weights

    def message(self, i: int, m: Any, state: str, seen_calls: bool) -> tuple[str, bool]:
        """Check message ``i`` of the list, in turn state ``state``; return the next state and
        whether a tool call has been made by now."""
        out = self.out
        tally = self.tally
        base = self.base
        if type(m) is not dict:
            out.add("message-invalid", (*base, i),
                    'a message must be an object {"role": ..., "content": ...}, '
                    f"not {describe(m)}")
            return NOT_OBJECT[state], seen_calls
        role = m.get("role")
        sharegpt = "role" not in m and "from" in m and "content" not in m and "value" in m
        if sharegpt:
            out.add("role-invalid", (*base, i),
                    'message is in ShareGPT form ("from", "value"): write "role" and "content" '
                    '("human" -> "user", "gpt" -> "assistant")')
            role = None
        elif type(role) is not str or role not in ROLES:  # a list or object role: unhashable
            out.add("role-invalid", (*base, i, "role"), role_problem(m))
            role = None
        for key in m:
            if key not in MESSAGE_KEYS and not (sharegpt and key in SHAREGPT_KEYS):
                out.add("message-key-unknown", (*base, i, key), unknown_key(key))
        is_assistant = role == "assistant"
        calls = m.get("tool_calls", _MISSING)
        has_calls = calls is not _MISSING and calls is not None
        # an empty list makes no call: it neither excuses a missing content nor opens tool turns
        makes_calls = is_assistant and has_calls and calls != []

        # content: a string, a part list, or (assistant with tool calls) absent or null
        content = m.get("content", _MISSING)
        ctype = type(content)
        msg_images = 0
        if ctype is str:
            self.str_contents += 1
            self.chars += len(content)
        elif ctype is list:
            self.part_contents += 1
            tally.is_multimodal = True
            place = None if role == "user" else a_message(role)
            msg_images, n = check_parts(content, base + (i, "content"), out, place)
            self.chars += n
            self.images += msg_images
            if msg_images > _MAX_IMAGES_MSG:
                out.add("image-count", (*base, i, "content"),
                        f"message has {msg_images} images, over the limit of {_MAX_IMAGES_MSG}: "
                        "split it into several samples")
        elif content is _MISSING or content is None:
            if not makes_calls and not sharegpt:
                out.add("content-missing", (*base, i),
                        "message has no content" + (" (null)" if content is None else "")
                        + ": add a string content (only an assistant message with tool_calls "
                        "may leave it out)")
        else:
            out.add("content-invalid", (*base, i, "content"),
                    f"content must be a string or a list of content parts, not {describe(content)}")

        # weight
        weight = 1
        if "weight" in m:
            w = check_message_weight(m["weight"], base + (i, "weight"), out)
            if w is not None and not self.weights:
                out.add("message-weight-ignored", (*base, i, "weight"),
                        "message weights are only available for conversational data: the "
                        "server ignores this one (give the sample a top-level weight instead)")
            elif w is not None:
                tally.has_message_weights = True
                weight = w
                if w == 1 and msg_images:
                    out.add("image-weight", (*base, i, "weight"),
                            "a message holding an image must have weight 0 or no weight")
                elif w == 1 and not is_assistant:
                    self.trained_others += 1
        if is_assistant:
            self.assistants += 1
            self.trained_assistants += weight != 0

        # tool calls
        if has_calls:
            if is_assistant:
                ids = check_tool_calls(calls, base + (i, "tool_calls"), out, self.declared)
                if makes_calls:  # an empty list calls nothing, as an empty tools list declares
                    tally.has_tools = True
                seen_calls = seen_calls or makes_calls
                if type(calls) is list and len(calls) >= 2:
                    tally.has_parallel_tool_calls = True
                for n_call, cid in enumerate(ids):
                    self.called.add(cid)
                    self.pending[cid] = (i, n_call)
            else:
                out.add("tool-calls-role", (*base, i, "tool_calls"),
                        f"tool_calls on {a_message(role)} are ignored: only "
                        "assistant messages make tool calls")
        if role == "tool":
            tally.has_tools = True
            if self.turns:
                check_tool_answer(m, base + (i,), out, seen_calls=seen_calls,
                                   called=self.called, pending=self.pending)

        # reasoning
        if "reasoning" in m or "reasoning_content" in m:
            check_reasoning(m, base + (i,), out, tally, is_assistant)

        # turn order (documented, not enforced by the server: the first break only)
        if role is None:
            return NO_ROLE[state], seen_calls
        state, problem = follow(state, role, makes_calls, seen_calls)
        if problem is not None:
            out.add("turn-order", (*base, i, "role"), problem)
        return state, seen_calls
