"""The JSON Schemas of validator/schemas/ and their agreement with the fast validator.

The schemas are the published contract, the hand-written checks of ``validator/formats/`` what
runs. Both must give the same STRUCTURAL verdict on every record: the fast validator reports no
issue whose code is in :data:`STRUCTURAL` exactly when the line validates against its format's
bundled schema. Any difference is a bug in one of them. The other rules (cross-field, across
lines, decoding) are named in each schema's description and are not compared.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from validator import schemas, validate_bytes
from validator.cli.main import main
from validator.errors import UsageError
from validator.formats.detect import detect
from validator.rules import RULES

ROOT = Path(__file__).resolve().parents[2]

# The rule codes a JSON Schema can express: the shape and type of each value, on its own or
# given its siblings (an assistant message with tool_calls may drop its content). Each is an
# error. Everything else needs more than one record, decoding, or addressing the last item.
STRUCTURAL = frozenset({
    "messages-invalid", "message-invalid", "role-invalid", "content-missing", "content-invalid",
    "no-assistant",
    "weight-invalid", "sample-weight-invalid",
    "tools-invalid", "tool-call-invalid",
    "reasoning-invalid",
    "part-invalid", "image-url-invalid", "image-too-large",
    "field-invalid", "preference-input-invalid", "preference-output-invalid",
    "batch-custom-id", "batch-body", "batch-method",
})

FORMAT_SCHEMA = {
    "conversation": "conversation",
    "instruction": "instruction",
    "general": "text",
    "preference_openai": "preference",
}
EXPECTED_NAMES = ["batch", "content", "conversation", "instruction", "preference", "reasoning",
                  "text", "tools", "weights"]


def test_structural_codes_are_rules() -> None:
    assert STRUCTURAL.issubset(RULES)


# --- the documents -----------------------------------------------------------------------------


def test_names() -> None:
    assert schemas.names() == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_documents_are_draft_2020_12(name: str) -> None:
    doc = schemas.load(name)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"{schemas.BASE_URI}{name}.json"
    assert "not expressed" in doc["description"].lower()
    Draft202012Validator.check_schema(doc)
    Draft202012Validator.check_schema(schemas.bundle(name))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_shared_parts_are_referenced_not_copied() -> None:
    refs = {name: {r.split("#")[0] for r in _refs(schemas.load(name))} - {""}
            for name in EXPECTED_NAMES}
    assert "content.json" in refs["conversation"]
    assert {"conversation.json", "tools.json"} <= refs["preference"]
    assert {"conversation.json", "tools.json"} <= refs["batch"]
    assert {"tools.json", "weights.json", "reasoning.json"} <= refs["conversation"]
    # the part definitions live in one document only
    for name in EXPECTED_NAMES:
        if name != "content":
            assert "image-url" not in json.dumps(schemas.load(name).get("$defs", {}))


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_bundle_is_self_contained(name: str) -> None:
    bundled = schemas.bundle(name)
    assert all(ref.startswith("#") for ref in _refs(bundled))
    # no registry: an unresolvable reference would raise while validating
    validator = Draft202012Validator(bundled)
    samples: list[Any] = [{}, {"messages": [{"role": "user", "content": []}]}, [], "x"]
    for sample in samples:
        validator.is_valid(sample)
    assert schemas.bundle(name) == bundled  # bundling does not change the stored documents
    external = {r.split("#")[0].removesuffix(".json") for r in _refs(schemas.load(name))} - {""}
    assert external <= set(bundled.get("$defs", {}))


def test_unknown_name() -> None:
    with pytest.raises(UsageError, match="conversation"):
        schemas.load("nope")


def test_cli_lists_and_prints(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["schema"], out, err) == 0
    assert out.getvalue().split() == EXPECTED_NAMES
    out = io.StringIO()
    assert main(["schema", "preference"], out, err) == 0
    assert json.loads(out.getvalue()) == schemas.bundle("preference")
    out, err = io.StringIO(), io.StringIO()
    assert main(["schema", "nope"], out, err) == 2
    assert "conversation" in err.getvalue()
    assert out.getvalue() == ""


def test_wheel_ships_the_schemas_and_the_rule_registry(tmp_path: Path) -> None:
    """The wheel's file list holds every schema and the rule registry (building it takes about
    a second)."""
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    shipped = {n for n in names if n.startswith("validator/schemas/") and n.endswith(".json")}
    assert shipped == {f"validator/schemas/{name}.json" for name in EXPECTED_NAMES}
    assert "validator/rules/registry.toml" in names


def build_wheel(out: Path) -> Path:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = out.glob("ftdata-*.whl")
    return wheel


# --- the differential test ---------------------------------------------------------------------


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schemas.bundle(name))


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _at(rec: Any, path: str) -> Any:
    node = rec
    for key, index in _STEP.findall(path[1:]):
        node = node[key] if key else node[int(index)]
    return node


def fast_structural(line: bytes, rec: dict[str, Any], purpose: str) -> list[str]:
    """The structural issues the fast validator reports on one line."""
    found = []
    for issue in validate_bytes(line, "line.jsonl", purpose).issues:
        if issue.code not in STRUCTURAL:
            continue
        if issue.code == "weight-invalid" and issue.path is not None:
            value = _at(rec, issue.path)
            if type(value) is float and value in (0.0, 1.0):
                continue  # 1.0 is 1 to JSON Schema: listed as not expressed in weights.json
        found.append(f"{issue.code} at {issue.path}")
    return found


def schema_errors(rec: dict[str, Any], name: str) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in _validator(name).iter_errors(rec)]


def schema_for(rec: Any, purpose: str) -> str | None:
    if type(rec) is not dict:
        return None
    if purpose == "batch-api":
        return "batch"
    fmt, _ = detect(rec)
    return None if fmt is None else FORMAT_SCHEMA[fmt.name]


def compare(line: bytes, purpose: str) -> tuple[bool, str] | None:
    """None when the line has no format to compare, else (agree, explanation)."""
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    name = schema_for(rec, purpose)
    if name is None:
        return None
    fast = fast_structural(line, rec, purpose)
    slow = schema_errors(rec, name)
    return (not fast) == (not slow), f"schema {name}: fast {fast}, jsonschema {slow}"


def _example_files() -> list[tuple[Path, str]]:
    files = []
    for path in sorted([*(ROOT / "tests" / "data").rglob("*.jsonl"),
                        *(ROOT / "examples").rglob("*.jsonl")]):
        purpose = "batch-api" if path.parent.name == "batch" else "fine-tune"
        files.append((path, purpose))
    return files


EXAMPLES = _example_files()


@pytest.mark.parametrize(("path", "purpose"), EXAMPLES,
                         ids=[str(p.relative_to(ROOT)) for p, _ in EXAMPLES])
def test_example_files_agree(path: Path, purpose: str) -> None:
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        result = compare(line, purpose)
        if result is not None:
            agree, why = result
            assert agree, f"{path.name} line {n}: {why}"


def test_examples_cover_formats() -> None:
    formats = {"conversation", "instruction", "text", "preference", "batch"}
    seen: set[str] = set()
    invalid = 0
    for path, purpose in EXAMPLES:  # the agreement itself is test_example_files_agree's
        for line in path.read_bytes().splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            name = schema_for(rec, purpose)
            if name is not None:
                seen.add(name)
                if invalid < 20:  # enough to show it; jsonschema on the rest is slow
                    invalid += bool(schema_errors(rec, name))
        if seen == formats and invalid >= 20:
            break
    assert seen == formats
    assert invalid >= 20  # the comparison sees many invalid records, not only valid ones


# --- hypothesis: valid records, and mutations of them ------------------------------------------

_text = st.text(max_size=6)
_IMAGE = "data:image/png;base64,iVBORw0KGgo="
_text_part = st.fixed_dictionaries({"type": st.just("text"), "text": _text})
_image_part = st.fixed_dictionaries(
    {"type": st.just("image_url"),
     "image_url": st.fixed_dictionaries({"url": st.sampled_from([
         _IMAGE, "data:image/jpeg;base64,/9j/4A==", "data:image/webp;base64,UklGRg=="])})})
_parts = st.lists(st.one_of(_text_part, _image_part), max_size=3)
_content = st.one_of(_text, _parts)
_weight = st.sampled_from([0, 1, True, False])
_args = st.sampled_from(['{}', '{"x": 1}', "not json", {"x": 1}])
_call = st.fixed_dictionaries(
    {"id": _text, "type": st.just("function"),
     "function": st.fixed_dictionaries({"name": st.text(min_size=1, max_size=4),
                                        "arguments": _args})})
_tool = st.fixed_dictionaries(
    {"type": st.just("function"),
     "function": st.fixed_dictionaries(
         {"name": st.text(min_size=1, max_size=4)},
         optional={"description": _text,
                   "parameters": st.sampled_from([{}, {"type": "object"}, {"type": 5}])})})
_tools = st.lists(_tool, max_size=2)


def _message(role: str) -> st.SearchStrategy[dict[str, Any]]:
    optional: dict[str, st.SearchStrategy[Any]] = {"weight": _weight}
    if role == "assistant":
        optional |= {"reasoning": _text, "reasoning_content": _text,
                     "tool_calls": st.one_of(st.none(), st.lists(_call, max_size=2))}
    if role == "tool":
        optional["tool_call_id"] = _text
    message = st.fixed_dictionaries({"role": st.just(role), "content": _content},
                                    optional=optional)
    if role != "assistant":
        return message
    called = st.fixed_dictionaries(
        {"role": st.just("assistant"), "tool_calls": st.lists(_call, min_size=1, max_size=2)},
        optional={"content": st.one_of(st.none(), _content)})
    return st.one_of(message, called)


_any_message = st.sampled_from(["system", "user", "assistant", "tool"]).flatmap(_message)
_messages = st.lists(_any_message, min_size=1, max_size=4)
_sample_weight = st.one_of(st.integers(0, 3), st.floats(0, 5, allow_nan=False))
_conversation = st.fixed_dictionaries(
    {"messages": st.tuples(_messages, _message("assistant")).map(lambda t: [*t[0], t[1]])},
    optional={"tools": _tools, "weight": _sample_weight})
_instruction = st.fixed_dictionaries({"prompt": _content, "completion": _content},
                                     optional={"weight": _sample_weight})
_general = st.fixed_dictionaries({"text": _content}, optional={"weight": _sample_weight})
_output = _message("assistant").map(lambda m: [m])
_preference = st.fixed_dictionaries(
    {"input": st.fixed_dictionaries({"messages": _messages}, optional={"tools": _tools}),
     "preferred_output": _output, "non_preferred_output": _output},
    optional={"weight": _sample_weight})
_batch = st.fixed_dictionaries(
    {"custom_id": st.text(min_size=1, max_size=8),
     "body": st.one_of(
         st.fixed_dictionaries({"model": st.text(min_size=1, max_size=4), "messages": _messages},
                               optional={"tools": _tools}),
         st.fixed_dictionaries({"model": st.text(min_size=1, max_size=4), "prompt": _text}))},
    optional={"method": st.just("POST"), "url": st.just("/v1/chat/completions")})

RECORDS = {
    "fine-tune": st.one_of(_conversation, _instruction, _general, _preference),
    "batch-api": _batch,
}

# values a mutation puts in place of one part of a record
_REPLACEMENTS = st.sampled_from([
    None, 0, 1, 2, -1, 1.0, 0.5, -0.5, True, False, "", "x", "assistant", "user", "tool",
    "function", "text", "image_url", "data:image/jpg;base64,AA==", "http://x/y.png", _IMAGE,
    "{}", [], [1], ["x"], {}, {"type": "text"}, {"type": "image_url", "image_url": {}},
    {"role": "assistant"}, {"role": "user", "content": "hi"}, [{"role": "assistant",
                                                              "content": "a"}],
    "x" * 65,
])


def _locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the record: paths to its values (the root excluded)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _locations(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _locations(value, (*path, i))
    return found


@st.composite
def mutated(draw: st.DrawFn, purpose: str) -> dict[str, Any]:
    # copies: sampled_from hands out the same objects every time, and mutations change them
    rec: dict[str, Any] = copy.deepcopy(draw(RECORDS[purpose]))
    for _ in range(draw(st.integers(1, 2))):
        places = _locations(rec)
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent: Any = rec
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[last]  # a missing key
        else:
            parent[last] = copy.deepcopy(draw(_REPLACEMENTS))
    return rec


def _agree(rec: dict[str, Any], purpose: str) -> None:
    line = orjson.dumps(rec)
    note(line.decode())
    result = compare(line, purpose)
    if result is not None:
        agree, why = result
        assert agree, why


@pytest.mark.parametrize("purpose", sorted(RECORDS))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_records_agree(purpose: str, data: st.DataObject) -> None:
    rec = data.draw(RECORDS[purpose])
    _agree(rec, purpose)
    # a generated record is valid for both: the schema rejects none of them
    name = schema_for(rec, purpose)
    assert name is None or not schema_errors(rec, name), rec


@pytest.mark.parametrize("purpose", sorted(RECORDS))
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_records_agree(purpose: str, data: st.DataObject) -> None:
    _agree(data.draw(mutated(purpose)), purpose)
