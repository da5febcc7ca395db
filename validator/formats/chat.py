"""Chat-completions messages (SPEC §3): the ``messages`` of a batch request's ``body``.

A request is not a training sample, so the fine-tuning rules of ``messages.py`` do not apply:
no assistant message is needed, there are no weights, no turn order, no tool-call pairing, and
images may sit in any message, as ``https://`` URLs or data URLs (the data URLs checked as in
``content.py``). What remains is the shape the endpoint reads: a non-empty list of objects,
each with a known role and a string or content-part content.
"""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.content import check_parts
from validator.formats.describe import describe
from validator.formats.names import ROLES, role_problem
from validator.formats.tools import check_tool_calls
from validator.issues import Location

__all__ = ["check_chat"]


def check_chat(messages: Any, base: Location, out: Collector, tally: Tally) -> None:
    """Check the chat-completions ``messages`` at ``base``, counting them and their text."""
    if type(messages) is not list or not messages:
        out.add("messages-invalid", base,
                "messages must be a non-empty list of {\"role\": ..., \"content\": ...} objects, "
                f"not {describe(messages) if messages != [] else 'an empty list'}")
        return
    chars = 0
    for i, m in enumerate(messages):
        if type(m) is not dict:
            out.add("message-invalid", (*base, i),
                    'a message must be an object {"role": ..., "content": ...}, '
                    f"not {describe(m)}")
            continue
        role = m.get("role")
        if type(role) is not str or role not in ROLES:  # a list or object role is unhashable
            # the fine-tuning wording, with its hints (developer: use system, ...)
            out.add("role-invalid", (*base, i, "role"), role_problem(m))
        calls = m.get("tool_calls")
        # as in messages.py: an empty list makes no call, so it does not excuse a null content
        makes_calls = role == "assistant" and calls is not None and calls != []
        if role == "assistant" and calls is not None:
            check_tool_calls(calls, base + (i, "tool_calls"), out, None)
        if makes_calls or role == "tool":
            tally.has_tools = True
        content = m.get("content")
        if type(content) is str:
            chars += len(content)
        elif type(content) is list:
            tally.is_multimodal = True
            chars += check_parts(content, base + (i, "content"), out, None, hosted=True)[1]
        elif content is None:
            if not makes_calls:
                out.add("content-missing", (*base, i),
                        "message has no content" + (" (null)" if "content" in m else "")
                        + ": add a string content (only an assistant message with tool_calls "
                        "may leave it out)")
        else:
            out.add("content-invalid", (*base, i, "content"),
                    f"content must be a string or a list of content parts, not {describe(content)}")
    tally.messages.add(len(messages))
    tally.chars.add(chars)
