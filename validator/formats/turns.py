"""The documented turn order of a message list (SPEC §2.1), as one table.

A message list is read as a state machine: each state is what came last, and the table says,
for each state, which message may come next (and the state it leads to) or what to say when
it breaks the order. The fast path of the message checks asks ``AFTER`` (one dict lookup) and
the full checks ask :func:`follow`; neither restates the rules.

The order is documented but not enforced by the server, so only its first break is reported:
after it the list is ``UNCHECKED`` and every message may follow.
"""

from __future__ import annotations

__all__ = ["AFTER", "AFTER_CALLS", "ASSISTANT", "CALLED", "GREETING", "GREETING_SYSTEM",
           "NOT_OBJECT", "NO_ROLE",
           "START", "SYSTEM", "TABLE", "TOOL", "UNCHECKED", "UNKNOWN", "USER", "follow"]

# States: the four roles (after a message of that role), and
START = "start"  # no message yet
# A preference input may open with an assistant greeting (Together's own example does): its
# list starts in GREETING, where an assistant message may come first, even after the system.
GREETING = "greeting"  # no message yet, in a preference input
GREETING_SYSTEM = "greeting_system"  # after the system message of a preference input
CALLED = "called"  # after an assistant message with tool calls
UNKNOWN = "unknown"  # after a message with no valid role: it constrains nothing
UNCHECKED = "unchecked"  # the order is not checked (turns off, or already broken once)
SYSTEM, USER, ASSISTANT, TOOL = "system", "user", "assistant", "tool"

_SYSTEM_LATE = "system message after the first position: put the system prompt first"
_NOT_AFTER_CALLS = "tool message that does not follow tool calls"


def _starts(role: str) -> str:
    article = "an" if role[0] in "aeiou" else "a"
    return f"conversation starts with {article} {role} message: start with system or user"


_NO_USER = ("assistant message before any user message: add the user turn it answers "
            "(only a preference input may open with an assistant greeting)")


_SPLIT_CALL = ("two assistant messages in a row, the second making tool calls: merge them into "
               "one assistant message with both content and tool_calls")


def _twice(role: str) -> str:
    return f"two {role} messages in a row: user and assistant turns alternate"


def _unanswered(role: str) -> str:
    return (f"{role} message right after an assistant message with tool_calls: "
            "the tool results come next")


# state -> role of the next message -> None where it may follow, else the break's message.
# An assistant message with tool calls follows where a plain assistant message does (it leads
# to CALLED instead).
TABLE: dict[str, dict[str, str | None]] = {
    START: {SYSTEM: None, USER: None, ASSISTANT: _starts(ASSISTANT), TOOL: _starts(TOOL)},
    SYSTEM: {SYSTEM: _SYSTEM_LATE, USER: None, ASSISTANT: _NO_USER, TOOL: _NOT_AFTER_CALLS},
    GREETING: {SYSTEM: None, USER: None, ASSISTANT: None, TOOL: _starts(TOOL)},
    GREETING_SYSTEM: {SYSTEM: _SYSTEM_LATE, USER: None, ASSISTANT: None,
                      TOOL: _NOT_AFTER_CALLS},
    USER: {SYSTEM: _SYSTEM_LATE, USER: _twice(USER), ASSISTANT: None, TOOL: _NOT_AFTER_CALLS},
    ASSISTANT: {SYSTEM: _SYSTEM_LATE, USER: None, ASSISTANT: _twice(ASSISTANT),
                TOOL: _NOT_AFTER_CALLS},
    UNKNOWN: {SYSTEM: _SYSTEM_LATE, USER: None, ASSISTANT: None, TOOL: _NOT_AFTER_CALLS},
    CALLED: {SYSTEM: _SYSTEM_LATE, USER: _unanswered(USER), ASSISTANT: _unanswered(ASSISTANT),
             TOOL: None},
    TOOL: {SYSTEM: _SYSTEM_LATE,
           USER: "user message right after tool results: an assistant message comes next",
           ASSISTANT: None, TOOL: None},
    UNCHECKED: {SYSTEM: None, USER: None, ASSISTANT: None, TOOL: None},
}

# state -> role -> next state, for the roles that may follow a message without tool calls:
# the role itself, except for the system message that opens a preference input
_NEXT = {(GREETING, SYSTEM): GREETING_SYSTEM}
AFTER: dict[str, dict[str, str]] = {
    state: {role: UNCHECKED if state == UNCHECKED else _NEXT.get((state, role), role)
            for role, problem in row.items() if problem is None}
    for state, row in TABLE.items()
}
# state -> next state, where an assistant message with tool calls may follow
AFTER_CALLS: dict[str, str] = {
    state: UNCHECKED if state == UNCHECKED else CALLED
    for state, row in TABLE.items() if row[ASSISTANT] is None
}
# state -> next state after a message with no valid role (NO_ROLE) or that is not an object
# (NOT_OBJECT): neither is checked for order. A non-object keeps CALLED: the tool results are
# still expected next.
NO_ROLE: dict[str, str] = {state: UNCHECKED if state == UNCHECKED else UNKNOWN for state in TABLE}
NOT_OBJECT: dict[str, str] = {**NO_ROLE, CALLED: CALLED}

# A list may end in any state: on an assistant message with tool calls (the call is what the
# model learns, OpenAI's function-calling pattern) or on its tool results (Together's own
# function-calling example) as well as on an answer. SPEC §2.1.


def follow(state: str, role: str, makes_calls: bool, seen_calls: bool) -> tuple[str, str | None]:
    """The state after a message of ``role`` (a valid role) and the break it makes, if any.

    ``seen_calls``: an earlier message (or this one) made tool calls. Before any call, a tool
    message is an orphan, an error of its own (tool-orphan), so it is not also an order break
    (except as the first message).
    """
    problem = TABLE[state][role]
    if problem is None:
        return (AFTER_CALLS[state] if makes_calls else AFTER[state][role]), None
    if role == TOOL and not seen_calls and state not in (START, GREETING):
        return TOOL, None
    if makes_calls and state == ASSISTANT:  # "let me check" then the call: one turn, split
        problem = _SPLIT_CALL
    return UNCHECKED, problem
