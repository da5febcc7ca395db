"""The parts of a message that pair it with others: a tool message's answer to a call, and an
assistant message's reasoning (SPEC §2.3); used by the full checks of ``messages.py``."""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.describe import describe
from validator.issues import Location

__all__ = ["check_reasoning", "check_tool_answer"]


def check_tool_answer(m: dict[str, Any], path: Location, out: Collector, *,
                       seen_calls: bool,
                       called: set[str], pending: dict[str, tuple[int, int]]) -> None:
    if not seen_calls:
        out.add("tool-orphan", path,
                "tool message comes before any assistant tool_calls: a tool message answers "
                "a call made by an earlier assistant message")
        return
    cid = m.get("tool_call_id")
    if cid is None and len(pending) == 1:  # the docs' examples: it answers the one open call
        pending.clear()
    elif cid is None:
        why = (f"{len(pending)} calls are waiting for results" if pending
               else "every call is already answered")
        out.add("tool-call-id", (*path, "tool_call_id"),
                f"tool message has no tool_call_id and {why}: set tool_call_id to the id of "
                "the call it answers")
    elif type(cid) is not str:
        out.add("tool-call-id", (*path, "tool_call_id"),
                f"tool_call_id must be a string (the id of the call it answers), not "
                f"{describe(cid)}")
    elif cid not in called:
        out.add("tool-call-id", (*path, "tool_call_id"),
                f"tool_call_id {cid!r} matches no earlier tool call in this sample")
    else:
        pending.pop(cid, None)


def check_reasoning(m: dict[str, Any], path: Location, out: Collector, tally: Tally,
                     is_assistant: bool) -> None:
    both = "reasoning" in m and "reasoning_content" in m
    if both:
        out.add("reasoning-both", path,
                "message has both reasoning and reasoning_content: keep one")
    for key in ("reasoning", "reasoning_content"):
        if key not in m:
            continue
        value = m[key]
        if type(value) is not str:
            out.add("reasoning-invalid", (*path, key),
                    f"{key} must be a string, not {describe(value)}")
        elif not is_assistant:
            out.add("reasoning-role", (*path, key),
                    f"{key} on a non-assistant message is ignored: move it to the assistant reply")
        elif value:
            tally.has_reasoning = True
