"""preference_openai samples: an ``input`` conversation and two one-message outputs
(SPEC §2.5)."""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.describe import describe
from validator.formats.messages import check_messages
from validator.formats.tools import check_tools

__all__ = ["check"]

_OUTPUTS = ("preferred_output", "non_preferred_output")


def check(rec: dict[str, Any], out: Collector, tally: Tally) -> None:
    declared = None
    count = 0
    chars = 0
    data = rec["input"]
    if type(data) is not dict or "messages" not in data:
        out.add("preference-input-invalid", ("input",),
                'input must be an object {"messages": [...], "tools"?: [...]}, '
                f"not {describe(data)}")
    else:
        if "tools" in data:
            declared = check_tools(data["tools"], ("input", "tools"), out)
            if data["tools"]:
                tally.has_tools = True
        result = check_messages(data["messages"], ("input", "messages"), out, tally, declared,
                                need_assistant=False, greeting=True, weights=False)
        if result is not None:
            size, n_chars, last_role = result
            count += size
            chars += n_chars
            if last_role == "assistant":
                out.add("preference-last-assistant", ("input", "messages"),
                        "the input ends with an assistant message: the outputs are the "
                        "assistant's reply, so end the input with a user (or tool) message")
    for key in _OUTPUTS:
        value = rec[key]
        if type(value) is not list or len(value) != 1:
            out.add("preference-output-invalid", (key,),
                    f'{key} must be a list of exactly one {{"role": "assistant", ...}} message, '
                    f"not {_count(value)}")
            continue
        message = value[0]
        if type(message) is not dict:
            out.add("preference-output-invalid", (key, 0),
                    f'{key} must hold one {{"role": "assistant", "content": ...}} message, '
                    f"not {describe(message)}")
            continue
        if message.get("role") != "assistant":
            out.add("preference-output-invalid", (key, 0, "role"),
                    f"{key} must be an assistant message, not {describe(message.get('role'))}")
            continue
        content = message.get("content")
        if len(message) == 2 and type(content) is str:
            chars += len(content)  # a plain reply: nothing check_messages could report
            continue
        result = check_messages(value, (key,), out, tally, declared, turns=False, weights=False)
        if result is not None:
            chars += result[1]
    if rec[_OUTPUTS[0]] == rec[_OUTPUTS[1]]:
        out.add("preference-identical", ("non_preferred_output",),
                "preferred and non-preferred outputs are identical: the pair teaches nothing")
    tally.messages.add(count)
    tally.chars.add(chars)


def _count(value: Any) -> str:
    if type(value) is list:
        return f"a list of {len(value)}"
    return describe(value)
