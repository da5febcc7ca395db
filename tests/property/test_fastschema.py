"""The fast schema check never accepts what jsonschema rejects (differential, with hypothesis),
and covers the schemas tools usually have."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.formats.fastschema import compile_fast

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([0.0, 1.0, 2.5, -1.5])
    | st.sampled_from(["", "a", "ab", "abc", "x@y", "2024-01-01"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, max_size=4),
    max_leaves=12,
)
TYPES = st.sampled_from(["object", "array", "string", "boolean", "null", "number", "integer"])


def schemas() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.booleans(),
        st.fixed_dictionaries({}, optional={
            "type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True),
            "enum": st.lists(st.none() | st.sampled_from(["a", "ab", "x@y"]), min_size=1),
            "minimum": st.integers(-3, 3), "maximum": st.integers(-3, 3),
            "exclusiveMinimum": st.sampled_from([-1, 0, 0.5]),
            "exclusiveMaximum": st.sampled_from([1, 2.5]),
            "minLength": st.integers(0, 3), "maxLength": st.integers(0, 3),
            "minItems": st.integers(0, 3), "maxItems": st.integers(0, 3),
            "pattern": st.sampled_from(["^a", "b$", "@", "[0-9]"]),
            "uniqueItems": st.booleans(), "format": st.sampled_from(["email", "date"]),
            "description": st.just("d"),
        }),
    )
    return st.recursive(leaf, lambda inner: st.fixed_dictionaries({}, optional={
        "type": TYPES,
        "properties": st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
        "required": st.lists(st.sampled_from(["a", "b", "d"]), unique=True, max_size=3),
        "additionalProperties": inner,
        "items": inner,
    }), max_leaves=6)


@given(schemas(), st.lists(JSON, min_size=1, max_size=8))
def test_fast_yes_is_jsonschema_yes(schema: Any, instances: list[Any]) -> None:
    fast = compile_fast(schema)
    assert fast is not None, schema  # everything generated is in the subset
    validator = jsonschema.Draft202012Validator(schema)
    for instance in instances:
        if fast(instance):
            assert validator.is_valid(instance), (schema, instance)


@given(st.lists(JSON, max_size=8))
def test_typical_tool_schema_is_fast_and_exact(instances: list[Any]) -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "string", "enum": ["a", "ab"]}, "b": {"type": "integer", "minimum": 0},
        "c": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
        "required": ["a"], "additionalProperties": False}
    fast = compile_fast(schema)
    assert fast is not None
    validator = jsonschema.Draft202012Validator(schema)
    for instance in [*instances, {"a": "a"}, {"a": "ab", "b": 3, "c": ["x", "y"]}]:
        assert fast(instance) == validator.is_valid(instance), instance


# keyword values the metaschema accepts, and some it rejects, for schemas that are mostly valid
ANY_VALUE: st.SearchStrategy[Any] = st.sampled_from(
    [None, True, 0, 1, -1, 1.0, 2.5, "", "a", [], ["a"], ["a", "a"], {}])
MAYBE = {
    "type": TYPES | st.lists(TYPES, min_size=0, max_size=3) | ANY_VALUE,
    "enum": st.lists(st.none() | st.sampled_from(["a", "b"]), max_size=3) | ANY_VALUE,
    "const": ANY_VALUE,
    "minimum": st.integers(-3, 3) | ANY_VALUE, "exclusiveMaximum": ANY_VALUE,
    "minLength": st.integers(-1, 3) | ANY_VALUE, "maxItems": st.integers(-1, 3) | ANY_VALUE,
    "pattern": st.sampled_from(["^a", "(", "[", "a{2}"]) | ANY_VALUE,
    "uniqueItems": ANY_VALUE,
    "required": st.lists(st.sampled_from(["a", "b"]), max_size=3) | ANY_VALUE,
    "$schema": st.sampled_from(["https://json-schema.org/draft/2020-12/schema", "x"]) | ANY_VALUE,
    **{key: ANY_VALUE for key in ("title", "description", "$comment", "format", "deprecated",
                                  "readOnly", "writeOnly", "examples", "default")},
}


def any_schemas() -> st.SearchStrategy[Any]:
    leaf = st.booleans() | ANY_VALUE | st.fixed_dictionaries({}, optional=MAYBE)
    return st.recursive(leaf, lambda inner: st.fixed_dictionaries({}, optional={
        **MAYBE,
        "properties": st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2) | ANY_VALUE,
        "additionalProperties": inner,
        "items": inner | st.lists(inner, max_size=2),
    }), max_leaves=6)


@given(any_schemas())
def test_a_fast_check_means_a_valid_schema(schema: Any) -> None:
    """tools.py skips jsonschema's metaschema check for a schema that has a fast check."""
    if compile_fast(schema) is not None:
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("schema", [
    {"description": 5}, {"title": 1}, {"format": 1}, {"$comment": []}, {"deprecated": "x"},
    {"readOnly": 3}, {"writeOnly": None}, {"examples": 1}, {"required": ["a", "a"]},
    {"type": ["string", "string"]}, {"type": []}, {"properties": {"a": {"$schema": 1}}},
    {"items": {"minLength": -1}}, {"pattern": "("}, {"minimum": True}, {"uniqueItems": 1},
])
def test_invalid_schemas_get_no_fast_check(schema: Any) -> None:
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema(schema)
    assert compile_fast(schema) is None


def test_outside_the_subset_there_is_no_fast_check() -> None:
    assert compile_fast({"anyOf": [{"type": "string"}]}) is None
    assert compile_fast({"$ref": "#/$defs/x", "$defs": {"x": {}}}) is None
    assert compile_fast({"$schema": "http://json-schema.org/draft-07/schema#"}) is None
    assert compile_fast({"enum": [1, True]}) is None
    assert compile_fast({"items": [{"type": "string"}]}) is None
    assert compile_fast({"pattern": "("}) is None


# --- the generated code: schema text is data, never source ---------------------------------

HOSTILE = [
    "'", '"', "\\", "\\'", '\\"', "\n", "\r\n", "}", "{", ")", "(", "#", ":", "{x}", "{0}",
    "__import__('os')", "__import__('os').system('false')", '"); import os; os._exit(3); ("',
    "') or __import__('os')._exit(3) or ('", "\" or __import__(\"os\")._exit(3) or \"",
    "\ndef f0(v):\n    return True\n", "x\x00y", "\u2028", "é", "名前", "🤖", "v", "f0", "c1",
    "x1", "True", "return True", "", " ", "    ",
]


def _source_names(source: str) -> tuple[set[str], set[int]]:
    """The names in generated source, and the kinds of its other tokens."""
    import io
    import tokenize

    names: set[str] = set()
    kinds: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            names.add(token.string)
        else:
            kinds.add(token.type)
    return names, kinds


def _assert_only_generated_names(schema: Any) -> None:
    import keyword
    import re
    import tokenize

    from validator.formats.fastschema import _generate

    source, namespace = _generate(schema)
    names, kinds = _source_names(source)
    # no literal of any kind: every value reaches the code as a constant of the namespace
    assert not kinds & {tokenize.STRING, tokenize.NUMBER, tokenize.ERRORTOKEN}, source
    allowed = {"type", "len", "set", "dict", "list", "str", "int", "float", "bool",
               "is_integer", "issuperset", "items", "values"}
    for name in names:
        assert (keyword.iskeyword(name) or name in allowed
                or re.fullmatch(r"[cfx][0-9]+|v", name)), (name, source)
    assert namespace["__builtins__"] == {}
    for text in HOSTILE:
        if len(text) > 3 and set(text) & set("'\"\\()"):
            assert text not in source


def test_hostile_names_and_values_are_data() -> None:
    props = {name: {"type": "string", "enum": HOSTILE} for name in HOSTILE}
    schema = {"type": "object", "properties": props, "required": HOSTILE[:5],
              "additionalProperties": False}
    _assert_only_generated_names(schema)
    fast = compile_fast(schema)
    assert fast is not None
    validator = jsonschema.Draft202012Validator(schema)
    everything = dict.fromkeys(HOSTILE, "__import__('os')")
    instances = [
        everything,
        {name: name for name in HOSTILE},
        {name: name for name in HOSTILE[:5]},
        {name: name for name in HOSTILE[:4]},  # a required hostile name is missing
        {**{name: name for name in HOSTILE}, "not declared": "x"},
        {**{name: name for name in HOSTILE}, HOSTILE[7]: "not in the enum"},
        {**{name: name for name in HOSTILE}, HOSTILE[3]: None},
    ]
    for instance in instances:
        assert fast(instance) == validator.is_valid(instance), instance
    assert fast(everything) and not fast(instances[3]) and not fast(instances[4])


def test_hostile_patterns_bounds_and_required_lists_are_data() -> None:
    many = [*HOSTILE, *(f"r{i}" for i in range(20))]  # long enough for the loop form
    schemas: list[dict[str, Any]] = [
        {"type": "string", "pattern": r"""^'"\\\)\((?#}{x})"""},
        {"type": "object", "required": many},
        {"type": "object", "properties": {"'": {"type": "object", "properties": {"\\": {
            "type": "array", "items": {"enum": HOSTILE}}}}}},
        {"minimum": -0.0, "maximum": 1e308, "exclusiveMinimum": -1e308,
         "exclusiveMaximum": 1.7976931348623157e308},
        {"const": "\"); raise SystemExit(3); (\""},
        {"type": "integer", "minimum": 2 ** 80, "maximum": 10 ** 30 * 7},
        {"additionalProperties": {"enum": HOSTILE}, "properties": {"\n": True}},
    ]
    instances: list[Any] = [
        "'\")(", "'\"\\)(", "x", 0, -0.0, 0.0, 1e308, -1e308, 2 ** 80, 2 ** 80 + 0.0, 10 ** 31, 2.5,
        dict.fromkeys(many, 1), {"'": {"\\": HOSTILE}}, {"'": {"\\": ["nope"]}},
        "\"); raise SystemExit(3); (\"", {"\n": 1, HOSTILE[0]: HOSTILE[1]}, {"z": "z"}, None,
    ]
    for schema in schemas:
        _assert_only_generated_names(schema)
        fast = compile_fast(schema)
        assert fast is not None, schema
        validator = jsonschema.Draft202012Validator(schema)
        for instance in instances:
            assert fast(instance) == validator.is_valid(instance), (schema, instance)


# --- deep and large schemas: no fast check, never an exception -----------------------------

def _nested(depth: int, leaf: Any = True) -> Any:
    schema = leaf
    for i in range(depth):
        schema = ({"type": "object", "properties": {"a": schema}, "required": ["a"]} if i % 2
                  else {"type": "array", "items": schema})
    return schema


def test_deep_or_large_schemas_get_no_fast_check() -> None:
    assert compile_fast(_nested(40)) is None
    assert compile_fast(_nested(100_000)) is None
    assert compile_fast({"properties": {f"p{i}": {"type": "string"} for i in range(5000)}}) is None
    wide_and_deep = {"properties": {f"p{i}": _nested(20) for i in range(200)}}
    assert compile_fast(wide_and_deep) is None
    deep_items: Any = {}
    for _ in range(10_000):
        deep_items = {"items": deep_items, "additionalProperties": deep_items}  # shared: a DAG
    assert compile_fast(deep_items) is None


def test_deepest_accepted_schema_checks_deep_instances_without_recursion() -> None:
    import re

    from validator.formats.fastschema import _generate

    schema = _nested(32, {"type": "string"})
    fast = compile_fast(schema)
    assert fast is not None
    instance: Any = "leaf"
    for i in range(32):
        instance = {"a": instance} if i % 2 else [instance]
    assert fast(instance)
    validator = jsonschema.Draft202012Validator(schema)
    bad = instance
    for _ in range(100):  # deeper than the schema: the check stops where the schema does
        bad = [bad] if isinstance(bad, list) else {"a": bad}
    assert fast(bad) is validator.is_valid(bad) is False
    anything = compile_fast(_nested(32))
    assert anything is not None
    deep: Any = []
    for _ in range(100_000):  # far below the schema's depth: never looked at
        deep = [deep]
    instance = deep
    for i in range(32):
        instance = {"a": instance} if i % 2 else [instance]
    assert anything(instance)
    source, _ = _generate(schema)
    indents = [len(m) for m in re.findall(r"^ *", source, flags=re.MULTILINE)]
    assert max(indents) <= 6 * 4  # nested subschemas are functions, not nested source


# --- agreement with jsonschema on typical tool schemas --------------------------------------

TOOL_SCHEMAS: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "object", "properties": {
        "symbol": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
        "exchange": {"type": "string", "enum": ["NASDAQ", "NYSE", "TSE", "LSE"]}},
      "required": ["symbol"]},
     [{"symbol": "AAPL", "exchange": "NASDAQ"}, {"symbol": "AAPL"}, {"symbol": "aapl"},
      {"symbol": "AAPL", "exchange": "nasdaq"}, {"exchange": "NYSE"}, {"symbol": None},
      {"symbol": "AAPL", "other": 1}, [], "AAPL", None]),
    ({"type": "object", "properties": {
        "query": {"type": "string"},
        "top_k": {"type": "integer", "minimum": 1, "maximum": 50},
        "filters": {"type": "object", "additionalProperties": False, "properties": {
            "language": {"type": "string", "enum": ["en", "fr"]},
            "after": {"type": "string", "format": "date"},
            "range": {"type": "object", "required": ["from"], "properties": {
                "from": {"type": "number", "exclusiveMinimum": 0},
                "to": {"type": ["number", "null"]}}}}}},
      "required": ["query"]},
     [{"query": "q"}, {"query": "q", "top_k": 2}, {"query": "q", "top_k": 2.0},
      {"query": "q", "top_k": 2.5}, {"query": "q", "top_k": True}, {"query": "q", "top_k": 0},
      {"query": "q", "top_k": 50.0}, {"query": "q", "top_k": 51}, {"query": "q", "top_k": "2"},
      {"query": "q", "filters": {}}, {"query": "q", "filters": {"language": "en"}},
      {"query": "q", "filters": {"language": "de"}}, {"query": "q", "filters": {"x": 1}},
      {"query": "q", "filters": {"after": "not a date"}}, {"query": "q", "filters": []},
      {"query": "q", "filters": {"range": {"from": 1}}},
      {"query": "q", "filters": {"range": {"from": 0}}},
      {"query": "q", "filters": {"range": {"from": 1, "to": None}}},
      {"query": "q", "filters": {"range": {"from": 1, "to": False}}},
      {"query": "q", "filters": {"range": {"to": 1}}}]),
    ({"type": "object", "properties": {
        "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "attendees": {"type": "array", "maxItems": 3,
                      "items": {"type": "object", "properties": {
                          "name": {"type": "string", "minLength": 1, "maxLength": 5},
                          "role": {"enum": ["host", "guest", None]},
                          "age": {"type": "integer", "minimum": 0}},
                          "required": ["name"], "additionalProperties": False}}},
      "required": ["to"], "additionalProperties": {"type": "boolean"}},
     [{"to": ["a"]}, {"to": []}, {"to": ["a", 1]}, {"to": "a"}, {"to": ["a"], "flag": True},
      {"to": ["a"], "flag": 1}, {"to": ["a"], "attendees": []},
      {"to": ["a"], "attendees": [{"name": "ann"}, {"name": "bob", "role": None}]},
      {"to": ["a"], "attendees": [{"name": "ann", "role": "boss"}]},
      {"to": ["a"], "attendees": [{"name": ""}]}, {"to": ["a"], "attendees": [{"name": "ann"}] * 4},
      {"to": ["a"], "attendees": [{"name": "ann", "age": 3.0}, {"name": "b", "age": 3.5}]},
      {"to": ["a"], "attendees": [{"name": "ann", "age": -1}]},
      {"to": ["a"], "attendees": [{"name": "ann", "age": False}]},
      {"to": ["a"], "attendees": [{"name": "ann", "x": 1}]}, {"to": ["a"], "attendees": [1]}]),
    ({"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]},
                 "uniqueItems": True},
        "mode": {"enum": ["fast", None]}, "flag": {"type": "boolean"},
        "n": {"type": "integer"}, "x": {"type": "number", "maximum": 2},
        "fixed": {"const": "v1"}, "nothing": {"type": "null"}, "never": False}},
     [{}, {"tags": ["a", "b"]}, {"tags": ["a", "a"]}, {"tags": ["c"]}, {"mode": None},
      {"mode": "slow"}, {"mode": "fast"}, {"flag": True}, {"flag": 1}, {"n": 1}, {"n": True},
      {"n": 1.0}, {"n": 1.5}, {"x": 2}, {"x": 2.0}, {"x": 2.5}, {"x": False},
      {"fixed": "v1"}, {"fixed": "v2"}, {"nothing": None}, {"nothing": 0}, {"never": 1}]),
]


def test_tool_schemas_agree_with_jsonschema() -> None:
    for schema, instances in TOOL_SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(schema)
        fast = compile_fast(schema)
        assert fast is not None, schema
        validator = jsonschema.Draft202012Validator(schema)
        for instance in instances:
            assert fast(instance) == validator.is_valid(instance), (schema, instance)
