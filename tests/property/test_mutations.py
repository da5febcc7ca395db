"""Property tests of the validator against SPEC.md: mutations.

(c) Breaking one thing in a valid record (role "bot", no content, weight 2, ...) raises that
    rule's code, at that line and path, and nowhere else.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.property.common import PROFILE, _issues
from tests.property.records import (
    Message,
    Record,
    conversation_records,
    instruction_records,
    preference_records,
)
from validator import validate_bytes
from validator.rules import RULES

# --------------------------------------------------------------------------------------------
# (c) Mutations: one broken thing gives its code, at its line and path, and only there
# --------------------------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]  # st.DataObject.draw
Mutation = Callable[[Draw, Record], tuple[str, str]]  # -> (expected code, JSON path)


def _pick_message(draw: Draw, rec: Record, ok: Callable[[Message], bool]) -> int:
    candidates = [i for i, m in enumerate(rec["messages"]) if ok(m)]
    assume(candidates)
    index: int = draw(st.sampled_from(candidates))
    return index


def role_bot(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: True)
    rec["messages"][i]["role"] = "bot"
    return "role-invalid", f"$.messages[{i}].role"


def drop_content(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: "tool_calls" not in m)
    del rec["messages"][i]["content"]
    return "content-missing", f"$.messages[{i}]"


def weight_two(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: True)
    rec["messages"][i]["weight"] = draw(st.sampled_from([2, -1, 1.0, 0.5, "1", None]))
    return "weight-invalid", f"$.messages[{i}].weight"


def no_assistant(draw: Draw, rec: Record) -> tuple[str, str]:
    rec["messages"] = [m for m in rec["messages"] if m["role"] in ("system", "user")]
    return "no-assistant", "$.messages"


def sample_weight(draw: Draw, rec: Record) -> tuple[str, str]:
    rec["weight"] = draw(st.sampled_from([-1, -0.5, "1", None, [1], {"w": 1}]))
    return "sample-weight-invalid", "$.weight"


def bad_arguments(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: bool(m.get("tool_calls")))
    k = draw(st.integers(0, len(rec["messages"][i]["tool_calls"]) - 1))
    fn = rec["messages"][i]["tool_calls"][k]["function"]
    fn["arguments"] = draw(st.sampled_from(["{city: Paris}", "{", "", "{'a': 1}", "[1,]"]))
    return "tool-arguments-invalid", f"$.messages[{i}].tool_calls[{k}].function.arguments"


def jpg_prefix(draw: Draw, rec: Record) -> tuple[str, str]:
    places = [(i, j) for i, m in enumerate(rec["messages"]) if isinstance(m.get("content"), list)
              for j, p in enumerate(m["content"]) if p["type"] == "image_url"]
    assume(places)
    i, j = draw(st.sampled_from(places))
    holder = rec["messages"][i]["content"][j]["image_url"]
    holder["url"] = holder["url"].replace("data:image/png", "data:image/jpg", 1)
    return "image-url-invalid", f"$.messages[{i}].content[{j}].image_url.url"


def image_weight_one(draw: Draw, rec: Record) -> tuple[str, str]:
    places = [i for i, m in enumerate(rec["messages"]) if isinstance(m.get("content"), list)
              and any(p["type"] == "image_url" for p in m["content"])]
    assume(places)
    i = draw(st.sampled_from(places))
    rec["messages"][i]["weight"] = 1
    return "image-weight", f"$.messages[{i}].weight"


MUTATIONS: dict[str, Mutation] = {
    "role-bot": role_bot,
    "drop-content": drop_content,
    "weight-2": weight_two,
    "no-assistant": no_assistant,
    "sample-weight": sample_weight,
    "bad-arguments": bad_arguments,
    "jpg-prefix": jpg_prefix,
    "image-weight-1": image_weight_one,
}


NEEDS = {"bad-arguments": {"call": True}, "jpg-prefix": {"image": True},
         "image-weight-1": {"image": True}}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@PROFILE
@given(data=st.data())
def test_one_mutation_gives_its_code_there(name: str, data: st.DataObject) -> None:
    good = data.draw(st.lists(conversation_records(), min_size=1, max_size=2), label="good")
    bad = data.draw(conversation_records(**NEEDS.get(name, {})), label="record")
    code, path = MUTATIONS[name](data.draw, bad)
    at = data.draw(st.integers(0, len(good)), label="position")
    records = [*good[:at], bad, *good[at:]]
    payload = b"\n".join(json.dumps(r).encode() for r in records)
    report = validate_bytes(payload)
    line = at + 1
    assert not report.valid
    assert (line, path, code) in {(i.line, i.path, i.code) for i in report.issues}, _issues(report)
    # the other, untouched lines stay clean
    assert {i.line for i in report.issues} == {line}, _issues(report)


@PROFILE
@given(data=st.data())
def test_preference_and_instruction_mutations(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["output-two", "output-user", "last-assistant",
                                      "prompt-number", "identical"]))
    if kind == "prompt-number":
        rec = data.draw(instruction_records())
        rec["prompt"] = data.draw(st.integers() | st.none() | st.booleans())
        code, path = "field-invalid", "$.prompt"
    else:
        rec = data.draw(preference_records())
        if kind == "output-two":
            rec["preferred_output"] = rec["preferred_output"] * 2
            code, path = "preference-output-invalid", "$.preferred_output"
        elif kind == "output-user":
            rec["non_preferred_output"][0]["role"] = "user"
            code, path = "preference-output-invalid", "$.non_preferred_output[0].role"
        elif kind == "last-assistant":
            rec["input"]["messages"].append({"role": "assistant", "content": "done"})
            code, path = "preference-last-assistant", "$.input.messages"
        else:
            rec["non_preferred_output"] = json.loads(json.dumps(rec["preferred_output"]))
            code, path = "preference-identical", "$.non_preferred_output"
    report = validate_bytes(json.dumps(rec).encode())
    assert (1, path, code) in {(i.line, i.path, i.code) for i in report.issues}, _issues(report)
    assert report.valid is (RULES[code].severity.value != "error")
