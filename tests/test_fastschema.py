"""The fast schema check never accepts what jsonschema rejects (differential, with hypothesis),
and covers the schemas tools usually have."""

from __future__ import annotations

from typing import Any

import jsonschema
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


def test_outside_the_subset_there_is_no_fast_check() -> None:
    assert compile_fast({"anyOf": [{"type": "string"}]}) is None
    assert compile_fast({"$ref": "#/$defs/x", "$defs": {"x": {}}}) is None
    assert compile_fast({"$schema": "http://json-schema.org/draft-07/schema#"}) is None
    assert compile_fast({"enum": [1, True]}) is None
    assert compile_fast({"items": [{"type": "string"}]}) is None
    assert compile_fast({"pattern": "("}) is None
