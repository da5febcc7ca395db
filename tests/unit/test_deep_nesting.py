"""Valid JSON nested near orjson's limit of 1024 levels, in every place a sample can hold it:
each gets the issue of what is really wrong there, never json-invalid (the line is valid JSON)
and never a crash."""

from __future__ import annotations

import json

import pytest

from validator import validate_bytes

DEPTH = 900  # under both orjson's limit and the standard library's recursion limit
LISTS = "[" * DEPTH + "]" * DEPTH
OBJECTS = '{"a":' * DEPTH + "{}" + "}" * DEPTH
TOOLS = ('"tools": [{"type": "function", "function": {"name": "f", "parameters": '
         '{"type": "object"}}}]')
PLACES = {
    "content": '{"messages": [{"role": "user", "content": D}, '
               '{"role": "assistant", "content": "x"}]}',
    "message key": '{"messages": [{"role": "user", "content": "x", "x": D}, '
                   '{"role": "assistant", "content": "x"}]}',
    "parameters": '{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", '
                  '"content": "x"}], "tools": [{"type": "function", "function": '
                  '{"name": "f", "parameters": D}}]}',
    "prompt": '{"prompt": D, "completion": "x"}',
    "text": '{"text": D}',
    "preference": '{"input": {"messages": [{"role": "user", "content": D}]}, '
                  '"preferred_output": [{"role": "assistant", "content": "a"}], '
                  '"non_preferred_output": [{"role": "assistant", "content": "b"}]}',
    "root key": '{"text": "x", "metadata": D}',
}


@pytest.mark.parametrize("nested", [LISTS, OBJECTS], ids=["lists", "objects"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_deep_values_get_the_issue_of_their_place(place: str, nested: str) -> None:
    line = PLACES[place].replace("D", nested)
    json.loads(line)  # valid JSON, as the server's parser reads it
    report = validate_bytes(line.encode() + b"\n", "t.jsonl")
    assert "json-invalid" not in {i.code for i in report.issues}


@pytest.mark.parametrize("depth", [1010, 300])  # inside a string: only orjson reads it
def test_deep_arguments_are_an_arguments_issue_not_a_schema_one(depth: int) -> None:
    """jsonschema (or its message, which quotes the value) runs out of stack on the
    arguments: the tool's parameters are not at fault."""
    nested = "[" * depth + "]" * depth
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": nested}}
    line = ('{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", '
            f'"tool_calls": [{json.dumps(call)}]}}], {TOOLS}}}')
    report = validate_bytes(line.encode() + b"\n", "t.jsonl")
    assert [i.code for i in report.issues] == ["tool-arguments-schema"]
