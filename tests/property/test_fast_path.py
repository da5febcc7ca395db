"""The per-message fast paths of the conversation checks agree with the full checks.

A message with one more key ftdata does not read (``name``) always takes the full checks, so
the same conversation with and without it must give the same issues and flags: a fast path
that accepted what the full checks reject (or the reverse) shows up as a difference.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from validator.collect import Collector, Tally
from validator.config import Config
from validator.formats import preference
from validator.formats.conversation import check_messages
from validator.run.pipeline import validate_bytes

ROLES = st.sampled_from(["system", "user", "assistant", "tool", "bot"])
WEIGHTS = st.sampled_from([0, 1, 2, 1.0, True, None, "1"])
CONTENT = st.sampled_from(["hi", "", "ok then", None, 5, [{"type": "text", "text": "t"}]])


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": draw(ROLES)}
    if draw(st.booleans()) or message["role"] != "assistant":
        message["content"] = draw(CONTENT)
    if draw(st.integers(0, 3)) == 0:
        message["weight"] = draw(WEIGHTS)
    if draw(st.integers(0, 2)) == 0:
        message["reasoning"] = draw(st.sampled_from(["why", "", 7]))
    if message["role"] == "assistant" and draw(st.integers(0, 2)) == 0:
        ids = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True))
        message["tool_calls"] = [{"id": i, "type": "function",
                                  "function": {"name": "f", "arguments": "{}"}} for i in ids]
    if message["role"] == "tool" and draw(st.booleans()):
        message["tool_call_id"] = draw(st.sampled_from(["a", "b", "c", "z", 3]))
    return message


@st.composite
def tool_round(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An assistant call and its answers, mostly well formed, sometimes slightly off."""
    ids = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    call: dict[str, Any] = {"role": "assistant", "tool_calls": [
        {"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
        for i in ids]}
    if draw(st.booleans()):
        call["reasoning"] = "thinking"
    answers = []
    for i in draw(st.permutations(ids)):
        answer: dict[str, Any] = {"role": "tool", "content": "result", "tool_call_id": i}
        twist = draw(st.integers(0, 6))
        if twist == 1:
            answer["tool_call_id"] = "z"
        elif twist == 2:
            answer["content"] = None
        elif twist == 3:
            answer["weight"] = 0
        elif twist == 4:
            del answer["tool_call_id"]
        answers.append(answer)
    return [call, *answers[: draw(st.integers(0, len(answers)))]]


def conversations() -> st.SearchStrategy[list[dict[str, Any]]]:
    blocks = st.lists(messages().map(lambda m: [m]) | tool_round(), min_size=1, max_size=5)
    return blocks.map(lambda parts: [m for part in parts for m in part])


def report_of(conversation: list[dict[str, Any]]) -> tuple[Any, ...]:
    report = validate_bytes(orjson.dumps({"messages": conversation}) + b"\n")
    issues = [(i.line, i.path, i.code, i.severity, i.message) for i in report.issues]
    flags = report.to_server_dict()
    return issues, flags, report.stats["chars_per_sample"], report.stats["messages_per_sample"]


@given(conversations())
def test_fast_paths_agree_with_the_full_checks(conversation: list[dict[str, Any]]) -> None:
    slow = [{**m, "name": "x"} for m in conversation]  # never on a fast path
    assert report_of(conversation) == report_of(slow)


@given(st.lists(messages(), min_size=1, max_size=8))
def test_fast_paths_agree_on_loose_messages(conversation: list[dict[str, Any]]) -> None:
    slow = [{**m, "name": "x"} for m in conversation]
    assert report_of(conversation) == report_of(slow)


def preference_report(sample: dict[str, Any]) -> tuple[Any, ...]:
    report = validate_bytes(orjson.dumps(sample) + b"\n")
    issues = [(i.line, i.path, i.code, i.severity, i.message) for i in report.issues]
    return issues, report.to_server_dict(), report.stats["chars_per_sample"]


@given(messages(), messages(), st.lists(messages(), min_size=1, max_size=3))
def test_preference_outputs_fast_path_agrees(preferred: dict[str, Any],
                                             rejected: dict[str, Any],
                                             prompt: list[dict[str, Any]]) -> None:
    """A plain one-message output skips check_messages; with an unread key it takes it."""
    sample = {"input": {"messages": prompt}, "preferred_output": [preferred],
              "non_preferred_output": [rejected]}
    slow = {**sample, "preferred_output": [{**preferred, "name": "x"}],
            "non_preferred_output": [{**rejected, "name": "x"}]}
    assert preference_report(sample) == preference_report(slow)


_FLAGS = ("has_message_weights", "has_parallel_tool_calls", "has_reasoning", "has_tools",
          "is_multimodal")


@given(messages())
def test_preference_output_gives_what_check_messages_gives(message: dict[str, Any]) -> None:
    """The oracle is check_messages itself, so a fast path taken too often shows up too."""
    reply = {**message, "role": "assistant"}
    fast_out, fast_tally = Collector(Config()), Tally()
    preference.check({"input": {"messages": [{"role": "user", "content": "q"}]},
                      "preferred_output": [reply],
                      "non_preferred_output": [{"role": "assistant", "content": "other"}]},
                     fast_out, fast_tally)
    full_out, full_tally = Collector(Config()), Tally()
    check_messages([reply], ("preferred_output",), full_out, full_tally, None, turns=False,
                   weights=False)
    assert [(i.path, i.code, i.message) for i in fast_out.issues] == [
        (i.path, i.code, i.message) for i in full_out.issues]
    for flag in _FLAGS:
        assert getattr(fast_tally, flag) == getattr(full_tally, flag), flag


# Turn order: both paths read validator.formats.turns. Well-formed messages in random role
# order keep most of them on the fast path, so its lookups in the table are held to the full
# checks' in every state, in each list that checks turns (a conversation, a preference input,
# a batch chat request).
PLAIN = st.sampled_from(["system", "user", "assistant"]).map(
    lambda role: [{"role": role, "content": "text"}])


def _round(ids: list[str]) -> list[dict[str, Any]]:
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
        for i in ids]}
    return [call, *({"role": "tool", "content": "r", "tool_call_id": i} for i in ids)]


ROUNDS = st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=2, unique=True).flatmap(
    lambda ids: st.integers(0, len(ids) + 1).map(lambda keep: _round(ids)[:keep]))
ORDERS = st.lists(PLAIN | ROUNDS, min_size=1, max_size=6).map(
    lambda parts: [m for part in parts for m in part] or [{"role": "user", "content": "q"}])


def _lines(conversation: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("fine-tune", {"messages": conversation}),
        ("fine-tune", {"input": {"messages": conversation},
                       "preferred_output": [{"role": "assistant", "content": "a"}],
                       "non_preferred_output": [{"role": "assistant", "content": "b"}]}),
        ("batch-api", {"custom_id": "r1", "body": {"model": "m", "messages": conversation}}),
    ]


def _issues(purpose: str, record: dict[str, Any]) -> tuple[Any, ...]:
    report = validate_bytes(orjson.dumps(record) + b"\n", purpose=purpose)
    return ([(i.path, i.code, i.message) for i in report.issues], report.to_server_dict(),
            report.stats["chars_per_sample"], report.stats["messages_per_sample"])


@given(ORDERS)
def test_turn_order_is_the_same_on_both_paths(conversation: list[dict[str, Any]]) -> None:
    slow = [{**m, "name": "x"} for m in conversation]
    for (purpose, fast), (_, full) in zip(_lines(conversation), _lines(slow), strict=True):
        assert _issues(purpose, fast) == _issues(purpose, full), purpose
