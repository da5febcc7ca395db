"""Tool parameters: jsonschema is loaded only when it must judge, and judges the same then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from validator.run.pipeline import validate_bytes

SEARCH = {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
          "required": ["q"], "additionalProperties": False}


def _sample(parameters: Any, arguments: str) -> bytes:
    return orjson.dumps({
        "tools": [{"type": "function", "function": {"name": "search",
                                                    "parameters": parameters}}],
        "messages": [
            {"role": "user", "content": "Find cats"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                "name": "search", "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "3 cats"},
            {"role": "assistant", "content": "Found 3 cats."},
        ]}) + b"\n"


def _codes(data: bytes) -> list[tuple[str, str | None]]:
    return [(i.code, i.path) for i in validate_bytes(data, "train.jsonl").issues]


PROBE = """
import sys
from validator import validate_file
report = validate_file(sys.argv[1])
print(report.valid, sorted(i.code for i in report.issues), "jsonschema" in sys.modules)
"""


def _probe(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_valid_tools_and_calls_never_load_jsonschema(tmp_path: Path) -> None:
    """About 0.1 s of import and set-up saved per process (and per worker) on tool datasets."""
    data = _sample(SEARCH, '{"q": "cats", "n": 3}') * 50
    assert _probe(tmp_path, data) == "True [] False"


def test_a_call_failing_the_fast_check_gets_jsonschemas_message(tmp_path: Path) -> None:
    data = _sample(SEARCH, '{"q": "cats"}') + _sample(SEARCH, '{"q": 3}')
    assert _probe(tmp_path, data) == "True ['tool-arguments-schema'] True"  # a warning
    (issue,) = validate_bytes(data, "train.jsonl").issues
    assert issue.line == 2
    assert issue.path == "$.messages[1].tool_calls[0].function.arguments"
    assert "3 is not of type 'string'" in issue.message
    assert "(at arguments.q)" in issue.message


def test_a_schema_the_metaschema_rejects_is_reported_even_inside_the_subset() -> None:
    """A fast check stands for "valid schema" too, so these must not get one (fastschema)."""
    for bad in ({**SEARCH, "description": 5}, {**SEARCH, "required": ["q", "q"]},
                {**SEARCH, "properties": {"q": {"type": ["string", "string"]}}}):
        assert _codes(_sample(bad, '{"q": "cats"}')) == [
            ("tool-schema-invalid", "$.tools[0].function.parameters")]


def test_a_schema_outside_the_subset_is_still_applied() -> None:
    any_of = {"type": "object", "properties": {"q": {"anyOf": [{"type": "string"},
                                                               {"type": "integer"}]}}}
    assert _codes(_sample(any_of, '{"q": 3}')) == []
    assert _codes(_sample(any_of, '{"q": []}')) == [
        ("tool-arguments-schema", "$.messages[1].tool_calls[0].function.arguments")]


def test_a_python_type_name_says_which_json_schema_type_to_write() -> None:
    """LLaMA-Factory's tool data writes "type": "str" (Python's names): say what to write."""
    for python, json_type in (("str", "string"), ("int", "integer"), ("float", "number"),
                              ("dict", "object"), ("List", "array"), ("bool", "boolean")):
        schema = {**SEARCH, "properties": {"q": {"type": python}}}
        (issue,) = validate_bytes(_sample(schema, '{"q": "cats"}'), "train.jsonl").issues
        assert issue.code == "tool-schema-invalid"
        assert issue.message.endswith(
            f"type {python!r} is a Python name, not a JSON Schema type: write {json_type!r} "
            "(at parameters.properties.q.type)"), issue.message
    other = {**SEARCH, "properties": {"q": {"type": "text"}}}  # not Python's: jsonschema's words
    (issue,) = validate_bytes(_sample(other, '{"q": "cats"}'), "train.jsonl").issues
    assert "'text' is not valid under any of the given schemas" in issue.message
