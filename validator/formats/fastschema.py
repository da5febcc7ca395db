"""A fast yes/no check for the common subset of JSON Schema that tool parameters use.

jsonschema walks a schema with Python objects per keyword and instance, which made validating
tool-call arguments the largest cost on tool-heavy files. Most tool schemas use a few keywords
only (``type``, ``properties``, ``required``, ``items``, ``enum`` of strings, bounds): for those,
:func:`compile_fast` builds nested closures once, and a call costs a few comparisons.

The fast check's "yes" is final; its "no" means "ask jsonschema", which gives the message and
has the last word (so a check may say no whenever it is unsure). A schema with any keyword
outside the subset, or with a ``$schema`` other than Draft 2020-12, gets no fast check at all.
A differential property test holds the fast "yes" to jsonschema's verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["compile_fast"]

Check = Callable[[Any], bool]

# keywords that never change validity
# keywords that never change validity (format too: jsonschema only asserts it when given a
# format checker, and ftdata gives none)
_ANNOTATIONS = frozenset(("title", "description", "default", "examples", "$comment",
                          "deprecated", "readOnly", "writeOnly", "format"))
_DRAFT_2020 = ("https://json-schema.org/draft/2020-12/schema",
               "https://json-schema.org/draft/2020-12/schema#")


class _Unsupported(Exception):
    """The schema uses something the fast check does not cover."""


def compile_fast(schema: Any) -> Check | None:
    """A check that returns True only for instances ``schema`` accepts; None when the schema
    is outside the subset (then only jsonschema can judge)."""
    if isinstance(schema, dict) and "$schema" in schema and schema["$schema"] not in _DRAFT_2020:
        return None
    try:
        return _compile(schema)
    except (_Unsupported, re.error, TypeError, ValueError, RecursionError):
        return None


def _is_integer(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "number": lambda v: type(v) is int or type(v) is float,
    "integer": _is_integer,
}


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda _: True
    if schema is False:
        return lambda _: False
    if not isinstance(schema, dict):
        raise _Unsupported
    checks: list[Check] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS or key == "$schema":
            continue
        make = _KEYWORDS.get(key)
        if make is None:
            raise _Unsupported(key)
        checks.append(make(value, schema))
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    """Checks chained with ``and`` (no generator per call: this runs per argument value)."""
    if not checks:
        return lambda _: True
    first = checks[0]
    if len(checks) == 1:
        return first
    rest = _all(checks[1:])
    return lambda v: first(v) and rest(v)


def _type(value: Any, _schema: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
        raise _Unsupported("type")
    tests = [_TYPES[n] for n in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _properties(value: Any, _schema: dict[str, Any]) -> Check:
    if not isinstance(value, dict):
        raise _Unsupported("properties")
    props = {name: _compile(sub) for name, sub in value.items()}

    items = tuple(props.items())

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return True
        for name, test in items:  # noqa: SIM110 - a plain loop is cheaper than all() here
            if name in v and not test(v[name]):
                return False
        return True

    return check


def _additional(value: Any, schema: dict[str, Any]) -> Check:
    if "patternProperties" in schema:
        raise _Unsupported("patternProperties")
    known = frozenset(schema.get("properties") or ())
    rest = _compile(value)

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return True
        return all(rest(item) for key, item in v.items() if key not in known)

    return check


def _required(value: Any, _schema: dict[str, Any]) -> Check:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise _Unsupported("required")
    names = tuple(value)
    return lambda v: type(v) is not dict or all(n in v for n in names)


def _items(value: Any, _schema: dict[str, Any]) -> Check:
    if isinstance(value, list):  # tuple form (older drafts): not in the subset
        raise _Unsupported("items")
    test = _compile(value)
    return lambda v: type(v) is not list or all(test(item) for item in v)


def _enum(value: Any, _schema: dict[str, Any]) -> Check:
    # strings and null only: JSON Schema equality differs from Python's for numbers and bools
    if not isinstance(value, list) or not all(x is None or isinstance(x, str) for x in value):
        raise _Unsupported("enum")
    allowed = tuple(value)
    return lambda v: (v is None or type(v) is str) and v in allowed


def _const(value: Any, schema: dict[str, Any]) -> Check:
    return _enum([value], schema)


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[Any, dict[str, Any]], Check]:
    def make(value: Any, _schema: dict[str, Any]) -> Check:
        if type(value) not in (int, float):
            raise _Unsupported("bound")
        return lambda v: not (type(v) is int or type(v) is float) or compare(v, value)
    return make


def _length(attr_type: type[str] | type[list[Any]], compare: Callable[[int, int], bool]
            ) -> Callable[[Any, dict[str, Any]], Check]:
    def make(value: Any, _schema: dict[str, Any]) -> Check:
        if type(value) is not int or value < 0:
            raise _Unsupported("length")
        return lambda v: type(v) is not attr_type or compare(len(v), value)
    return make


def _unique(value: Any, _schema: dict[str, Any]) -> Check:
    if value is not True and value is not False:
        raise _Unsupported("uniqueItems")
    if value is False:
        return lambda _: True

    def check(v: Any) -> bool:
        if type(v) is not list:
            return True
        # strings compare as JSON does; anything else is left to jsonschema (False = ask it)
        return all(type(x) is str for x in v) and len(set(v)) == len(v)

    return check


def _pattern(value: Any, _schema: dict[str, Any]) -> Check:
    if not isinstance(value, str):
        raise _Unsupported("pattern")
    search = re.compile(value).search
    return lambda v: type(v) is not str or search(v) is not None


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "enum": _enum,
    "const": _const,
    "minimum": _bound(lambda v, b: v >= b),
    "maximum": _bound(lambda v, b: v <= b),
    "exclusiveMinimum": _bound(lambda v, b: v > b),
    "exclusiveMaximum": _bound(lambda v, b: v < b),
    "minLength": _length(str, lambda n, b: n >= b),
    "maxLength": _length(str, lambda n, b: n <= b),
    "minItems": _length(list, lambda n, b: n >= b),
    "maxItems": _length(list, lambda n, b: n <= b),
    "pattern": _pattern,
    "uniqueItems": _unique,
}
