"""The turn-order table (SPEC §2.1): the documented order, its first break, and the table's
own consistency. The fast path and the full checks both read it; tests/property/
test_fast_path.py holds them to each other."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from validator import validate_bytes
from validator.formats import turns

CALL = {"role": "assistant", "content": None, "tool_calls": [
    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
ANSWER = {"role": "tool", "content": "42", "tool_call_id": "c1"}


def _msg(role: str) -> dict[str, Any]:
    """A message of ``role``; "call" is an assistant tool call, "answer" the tool's answer."""
    special: dict[str, dict[str, Any]] = {"call": CALL, "answer": ANSWER}
    return special.get(role) or {"role": role, "content": "text"}


def _turn_issues(*roles: str) -> list[tuple[str | None, str]]:
    line = orjson.dumps({"messages": [_msg(r) for r in roles]}) + b"\n"
    return [(i.path, i.message) for i in validate_bytes(line).issues if i.code == "turn-order"]


@pytest.mark.parametrize("roles", [
    ("user", "assistant"),
    ("system", "user", "assistant"),
    ("user", "assistant", "user", "assistant"),
    ("user", "call", "answer", "assistant"),
    ("system", "user", "call", "answer", "assistant", "user", "assistant"),
    # SPEC §2.1 / §7: a sample may end on the assistant's tool call, or on its tool answers
    ("user", "call"),
    ("system", "user", "call", "answer"),
])
def test_the_documented_order_passes(roles: tuple[str, ...]) -> None:
    assert _turn_issues(*roles) == []


@pytest.mark.parametrize(("roles", "at", "words"), [
    (("assistant", "user", "assistant"), 0, "conversation starts with an assistant message"),
    (("tool", "user", "assistant"), 0, "conversation starts with a tool message"),
    (("system", "assistant"), 1, "assistant message before any user message"),
    (("user", "user", "assistant"), 1, "two user messages in a row"),
    (("user", "assistant", "assistant"), 2, "two assistant messages in a row"),
    (("user", "assistant", "call", "answer", "assistant"), 2,
     "two assistant messages in a row, the second making tool calls: merge them"),
    (("user", "system", "assistant"), 1, "system message after the first position"),
    (("user", "call", "user", "assistant"), 2, "user message right after an assistant message "
                                               "with tool_calls"),
    (("user", "call", "answer", "user", "assistant"), 3, "user message right after tool results"),
])
def test_a_break_is_reported_where_it_happens(roles: tuple[str, ...], at: int,
                                              words: str) -> None:
    ((path, message),) = _turn_issues(*roles)
    assert path == f"$.messages[{at}].role"
    assert message.startswith(words)


def test_only_the_first_break_is_reported() -> None:
    assert len(_turn_issues("user", "user", "user", "system", "assistant")) == 1


def test_a_tool_message_before_any_call_is_an_orphan_not_an_order_break() -> None:
    line = orjson.dumps({"messages": [_msg("user"), ANSWER, _msg("assistant")]}) + b"\n"
    codes = [i.code for i in validate_bytes(line).issues]
    assert "tool-orphan" in codes
    assert "turn-order" not in codes


def _preference_turn_issues(*roles: str) -> list[tuple[str | None, str]]:
    sample = {"input": {"messages": [_msg(r) for r in roles]},
              "preferred_output": [{"role": "assistant", "content": "yes"}],
              "non_preferred_output": [{"role": "assistant", "content": "no"}]}
    report = validate_bytes(orjson.dumps(sample) + b"\n")
    return [(i.path, i.message) for i in report.issues if i.code == "turn-order"]


@pytest.mark.parametrize("roles", [
    ("assistant", "user"),  # Together's preference example opens with a greeting
    ("system", "assistant", "user"),
    ("user",),
])
def test_a_preference_input_may_open_with_an_assistant_greeting(roles: tuple[str, ...]) -> None:
    assert _preference_turn_issues(*roles) == []


def test_a_preference_input_keeps_the_rest_of_the_order() -> None:
    ((path, message),) = _preference_turn_issues("assistant", "user", "user")
    assert (path, message[:20]) == ("$.input.messages[2].role", "two user messages in")
    ((path, message),) = _preference_turn_issues("assistant", "system", "user")
    assert path == "$.input.messages[1].role" and message.startswith("system message after")


def test_the_table_covers_every_state_and_role() -> None:
    roles = {turns.SYSTEM, turns.USER, turns.ASSISTANT, turns.TOOL}
    assert ({turns.START, turns.GREETING, turns.GREETING_SYSTEM, turns.CALLED, turns.UNKNOWN,
             turns.UNCHECKED} | roles == set(turns.TABLE))
    for state, row in turns.TABLE.items():
        assert set(row) == roles, state
        # the fast path's lookups say exactly what the table says
        assert set(turns.AFTER[state]) == {r for r, problem in row.items() if problem is None}
        assert (state in turns.AFTER_CALLS) is (row[turns.ASSISTANT] is None)
    assert all(problem is None for problem in turns.TABLE[turns.UNCHECKED].values())


@pytest.mark.parametrize("state", sorted(turns.TABLE))
@pytest.mark.parametrize("role", ["system", "user", "assistant", "tool"])
def test_follow_agrees_with_the_table(state: str, role: str) -> None:
    for makes_calls in ((False, True) if role == "assistant" else (False,)):
        nxt, problem = turns.follow(state, role, makes_calls, seen_calls=True)
        split = makes_calls and (state, role) == (turns.ASSISTANT, turns.ASSISTANT)
        assert problem == (turns._SPLIT_CALL if split else turns.TABLE[state][role])
        if problem is not None:
            assert nxt == turns.UNCHECKED  # after the first break nothing more is checked
        elif state == turns.UNCHECKED:
            assert nxt == turns.UNCHECKED
        elif makes_calls:
            assert nxt == turns.AFTER_CALLS[state]
        elif (state, role) == (turns.GREETING, turns.SYSTEM):
            assert nxt == turns.AFTER[state][role] == turns.GREETING_SYSTEM
        else:
            assert nxt == turns.AFTER[state][role] == role
