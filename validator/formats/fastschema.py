"""A fast yes/no check for the common subset of JSON Schema that tool parameters use.

jsonschema walks a schema with Python objects per keyword and instance, which made validating
tool-call arguments the largest cost on tool-heavy files. Most tool schemas use a few keywords
only (``type``, ``properties``, ``required``, ``items``, ``enum`` of strings, bounds): for those,
:func:`compile_fast` writes the Python source of a check function once per schema and runs it
through ``exec``, so checking an arguments object is one Python call made of inline type tests,
``in`` tests and comparisons. A small subschema (a leaf, or one whose own subschemas are all
leaves, such as an array of strings) is inlined into its parent's function; every other
subschema gets a generated function of its own. So the nesting of the source stays bounded
whatever the schema, and the generated code descends into an instance only as deep as the
schema goes (a function calls only the functions of its own subschemas: no recursion).

Schemas come from untrusted files, so the rule of the generator is: no text of the schema ever
goes into the source. Property names, enum values, compiled patterns, bounds and lengths are
passed in the ``exec`` namespace as constants (``c1``, ``c2``, ...); the source holds only
names the generator makes (``f*`` functions, ``x*`` locals, ``c*`` constants) and fixed
templates, and it runs without builtins except the few it names. A ``pattern`` is searched on
a time budget (patterns.py): one that runs out of it says no, and jsonschema (whose pattern
keywords are on the same budget, see schemakeywords.py) has the last word, as for any no.

The fast check's "yes" is final; its "no" means "ask jsonschema", which gives the message and
has the last word (so a check may say no whenever it is unsure). A schema with any keyword
outside the subset, with a ``$schema`` other than Draft 2020-12, or too deep or too large to
generate (see ``_MAX_DEPTH`` and ``_MAX_NODES``) gets no fast check at all. So does a schema
the Draft 2020-12 metaschema rejects (an annotation of the wrong type, a repeated ``type`` or
``required`` name, ...): a fast check is also the verdict "this is a valid schema", and the
caller needs no jsonschema at all until an instance fails it. Differential property tests hold
both the fast "yes" and that verdict to jsonschema's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from validator.formats.patterns import fast_search

__all__ = ["compile_fast"]

Check = Callable[[Any], bool]

# keywords that never change validity (format too: jsonschema only asserts it when given a
# format checker, and ftdata gives none); "$schema" of a subschema is skipped as well
_IGNORED = frozenset(("title", "description", "default", "examples", "$comment", "deprecated",
                      "readOnly", "writeOnly", "format", "$schema"))
_DRAFT_2020 = ("https://json-schema.org/draft/2020-12/schema",
               "https://json-schema.org/draft/2020-12/schema#")

# beyond these a schema gets no fast check (jsonschema alone judges it)
_MAX_DEPTH = 32  # nested subschemas
_MAX_NODES = 2000  # subschemas in all; each adds a few lines of source at most

# the types the metaschema gives the annotations ("default" may be anything)
_ANNOTATIONS = {"title": str, "description": str, "$comment": str, "format": str,
                "deprecated": bool, "readOnly": bool, "writeOnly": bool, "examples": list}

# the only builtins the generated code may use
_BUILTINS: dict[str, Any] = {"__builtins__": {}, "type": type, "len": len, "set": set,
                             "dict": dict, "list": list, "str": str, "int": int,
                             "float": float, "bool": bool}

# source templates ({x}: a name the generator made); each JSON type's test, and what a value
# that passed it is to the keywords ("num": int or float, never bool)
_TYPE_TESTS = {
    "object": ("type({x}) is dict", "dict"),
    "array": ("type({x}) is list", "list"),
    "string": ("type({x}) is str", "str"),
    "boolean": ("type({x}) is bool", "bool"),
    "null": ("{x} is None", "none"),
    "number": ("type({x}) is int or type({x}) is float", "num"),
    # JSON Schema integers include 1.0 (is_integer is False for inf and nan)
    "integer": ("type({x}) is int or (type({x}) is float and {x}.is_integer())", "num"),
}
_GUARDS = {"dict": "type({x}) is dict", "list": "type({x}) is list", "str": "type({x}) is str",
           "num": "type({x}) is int or type({x}) is float"}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_LENGTHS = {"minLength": ">=", "maxLength": "<=", "minItems": ">=", "maxItems": "<="}
# the subset (patternProperties is outside it: additionalProperties then needs no regexes)
_KEYWORDS = frozenset(("type", "enum", "const", "properties", "additionalProperties",
                       "required", "items", "minItems", "maxItems", "uniqueItems", "minLength",
                       "maxLength", "pattern", *_BOUNDS))
_SUBSCHEMAS = ("properties", "items", "additionalProperties")
_REQUIRED_INLINE = 8  # more required names than this are checked by a loop over a tuple


class _Unsupported(Exception):
    """The schema uses something the fast check does not cover."""


def compile_fast(schema: Any) -> Check | None:
    """A check that returns True only for instances ``schema`` accepts; None when the schema
    is outside the subset or not a valid Draft 2020-12 schema (then only jsonschema can judge).
    """
    try:
        source, namespace = _generate(schema)
        exec(compile(source, "<fastschema>", "exec"), namespace)
    except (_Unsupported, re.error, TypeError, ValueError, RecursionError, SyntaxError,
            MemoryError, OverflowError):
        return None
    check: Check = namespace["f0"]
    return check


def _generate(schema: Any) -> tuple[str, dict[str, Any]]:
    """The source of the check (its entry point is ``f0``) and the namespace to run it in."""
    gen = _Generator()
    gen.function(schema, 0)
    return "\n".join(gen.lines) + "\n", gen.namespace


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _children(schema: Any) -> list[Any]:
    """The subschemas of ``schema`` that are objects (booleans inline anywhere)."""
    if not isinstance(schema, dict):
        return []
    found = []
    for key in _SUBSCHEMAS:
        sub = schema.get(key)
        if key == "properties" and isinstance(sub, dict):
            found += [s for s in sub.values() if isinstance(s, dict)]
        elif isinstance(sub, dict):
            found.append(sub)
    return found


def _inline(schema: Any) -> bool:
    """A leaf, or a schema whose subschemas are all leaves (such as an object of strings or an
    array of strings): it goes into its parent's function, one level of source deeper."""
    return all(not _children(sub) for sub in _children(schema))


class _Generator:
    """Writes the functions of one schema. Every method that takes ``x`` returns lines that
    ``return False`` unless the value in the local ``x`` fits; no lines means always fits."""

    def __init__(self) -> None:
        self.lines: list[str] = []  # the functions written so far
        self.namespace: dict[str, Any] = dict(_BUILTINS)
        self.names = 0
        self.nodes = 0

    def name(self, prefix: str) -> str:
        """A new identifier: the only names that go into the source."""
        name = f"{prefix}{self.names}"
        self.names += 1
        return name

    def const(self, value: Any) -> str:
        """A name for ``value`` in the namespace: schema data reaches the code only this way."""
        name = self.name("c")
        self.namespace[name] = value
        return name

    def function(self, schema: Any, depth: int) -> str | None:
        """Writes a function checking ``schema``; its name, or None if it always says yes."""
        name = self.name("f")
        body = self.node(schema, "v", depth)
        self.lines += [f"def {name}(v):", *_indent(body), "    return True"]
        return name if body else None

    def subschema(self, schema: Any, x: str, depth: int) -> list[str]:
        """A subschema's check: inline when small, else a call to a function of its own."""
        if _inline(schema):
            return self.node(schema, x, depth)
        name = self.function(schema, depth)
        return [f"if not {name}({x}): return False"] if name else []

    def node(self, schema: Any, x: str, depth: int) -> list[str]:
        self.nodes += 1
        if depth > _MAX_DEPTH or self.nodes > _MAX_NODES:
            raise _Unsupported("schema too deep or too large")
        if schema is True:
            return []
        if schema is False:
            return ["return False"]
        if not isinstance(schema, dict):
            raise _Unsupported("schema")
        for key in schema:
            if key not in _KEYWORDS and key not in _IGNORED:
                raise _Unsupported(key)
        for key, wanted in _ANNOTATIONS.items():  # never change an instance's verdict, but the
            if key in schema and type(schema[key]) is not wanted:  # schema's validity
                raise _Unsupported(key)
        if "$schema" in schema and schema["$schema"] not in _DRAFT_2020:
            raise _Unsupported("$schema")
        lines: list[str] = []
        kinds: frozenset[str] | None = None  # what the value is once "type" passed (None: any)
        if "type" in schema:
            test, kinds = _type(schema["type"])
            lines.append(f"if not ({test.format(x=x)}): return False")
        if "enum" in schema:
            lines += self.enum(schema["enum"], x, kinds)
        if "const" in schema:
            lines += self.enum([schema["const"]], x, kinds)
        # every keyword is checked for the subset, even one the type makes moot
        for kind, body in (("dict", self.object(schema, x, depth)),
                           ("list", self.array(schema, x, depth)),
                           ("str", self.string(schema, x)),
                           ("num", self.number(schema, x))):
            if not body or (kinds is not None and kind not in kinds):
                continue
            if kinds == frozenset((kind,)):
                lines += body
            else:
                lines += [f"if {_GUARDS[kind].format(x=x)}:", *_indent(body)]
        return lines

    def enum(self, value: Any, x: str, kinds: frozenset[str] | None) -> list[str]:
        # strings and null only: JSON Schema equality differs from Python's for numbers and bools
        if not isinstance(value, list) or not all(v is None or isinstance(v, str) for v in value):
            raise _Unsupported("enum")
        allowed = self.const(frozenset(value))
        if kinds is not None and kinds <= {"str", "none"}:
            return [f"if {x} not in {allowed}: return False"]
        return [f"if not (({x} is None or type({x}) is str) and {x} in {allowed}): return False"]

    def object(self, schema: dict[str, Any], x: str, depth: int) -> list[str]:
        """properties, required and additionalProperties, for a dict in ``x``."""
        props = schema.get("properties", {})
        required = schema.get("required", [])
        if not isinstance(props, dict):
            raise _Unsupported("properties")
        if (not isinstance(required, list) or not all(isinstance(n, str) for n in required)
                or len(set(required)) != len(required)):  # the metaschema wants unique names
            raise _Unsupported("required")
        checks: dict[str, tuple[str, list[str]]] = {}
        for name, sub in props.items():
            y = self.name("x")
            checks[name] = (y, self.subschema(sub, y, depth + 1))
        # a required property that has a check is looked up once, by that check
        fetched = {n for n in required if checks.get(n, ("", []))[1]}
        lines = self.required([n for n in dict.fromkeys(required) if n not in fetched], x)
        for name, (y, body) in checks.items():
            if not body:
                continue
            key = self.const(name)
            if name in fetched:
                lines += [f"if {key} not in {x}: return False", f"{y} = {x}[{key}]", *body]
            else:
                lines += [f"if {key} in {x}:", f"    {y} = {x}[{key}]", *_indent(body)]
        if "additionalProperties" in schema:
            lines += self.additional(schema["additionalProperties"], frozenset(props), x, depth)
        return lines

    def required(self, names: list[str], x: str) -> list[str]:
        if len(names) > _REQUIRED_INLINE:
            n = self.name("x")
            return [f"for {n} in {self.const(tuple(names))}:",
                    f"    if {n} not in {x}: return False"]
        return [f"if {self.const(name)} not in {x}: return False" for name in names]

    def additional(self, value: Any, known: frozenset[str], x: str, depth: int) -> list[str]:
        if value is False:
            return [f"if not {self.const(known)}.issuperset({x}): return False"]
        z = self.name("x")
        body = self.subschema(value, z, depth + 1)
        if not body:
            return []
        if not known:
            return [f"for {z} in {x}.values():", *_indent(body)]
        k = self.name("x")
        return [f"for {k}, {z} in {x}.items():",
                f"    if {k} not in {self.const(known)}:", *_indent(_indent(body))]

    def array(self, schema: dict[str, Any], x: str, depth: int) -> list[str]:
        """minItems, maxItems, uniqueItems and items, for a list in ``x``."""
        lines = self.lengths(schema, ("minItems", "maxItems"), x)
        unique = schema.get("uniqueItems", False)
        if unique is not True and unique is not False:
            raise _Unsupported("uniqueItems")
        if unique:
            # strings compare as JSON does; anything else is left to jsonschema (no = ask it)
            y = self.name("x")
            lines += [f"for {y} in {x}:", f"    if type({y}) is not str: return False",
                      f"if len(set({x})) != len({x}): return False"]
        if "items" in schema:
            items = schema["items"]
            if isinstance(items, list):  # tuple form (older drafts): not in the subset
                raise _Unsupported("items")
            y = self.name("x")
            body = self.subschema(items, y, depth + 1)
            if body:
                lines += [f"for {y} in {x}:", *_indent(body)]
        return lines

    def string(self, schema: dict[str, Any], x: str) -> list[str]:
        """minLength, maxLength and pattern, for a str in ``x``."""
        lines = self.lengths(schema, ("minLength", "maxLength"), x)
        if "pattern" in schema:
            pattern = schema["pattern"]
            if not isinstance(pattern, str):
                raise _Unsupported("pattern")
            search = self.const(fast_search(pattern))  # on a time budget: see patterns.py
            lines.append(f"if not {search}({x}): return False")
        return lines

    def lengths(self, schema: dict[str, Any], keys: tuple[str, str], x: str) -> list[str]:
        lines = []
        for key in keys:
            if key in schema:
                bound = schema[key]
                if type(bound) is not int or bound < 0:
                    raise _Unsupported(key)
                lines.append(f"if not (len({x}) {_LENGTHS[key]} {self.const(bound)}): "
                             "return False")
        return lines

    def number(self, schema: dict[str, Any], x: str) -> list[str]:
        """The four bounds, for an int or float in ``x`` (not a bool)."""
        lines = []
        for key, op in _BOUNDS.items():
            if key in schema:
                bound = schema[key]
                if type(bound) not in (int, float):
                    raise _Unsupported(key)
                # "not (x >= c)" rather than "x < c": a NaN bound then says no, as it always did
                lines.append(f"if not ({x} {op} {self.const(bound)}): return False")
        return lines


def _type(value: Any) -> tuple[str, frozenset[str]]:
    """The test for a ``type`` keyword (a template on {x}) and the kinds that pass it."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or any(n not in _TYPE_TESTS for n in names):
        raise _Unsupported("type")
    unique = dict.fromkeys(names)
    if len(unique) != len(names):  # the metaschema wants unique names
        raise _Unsupported("type")
    if "number" in unique:
        unique.pop("integer", None)  # every integer is a number
    tests = [_TYPE_TESTS[n] for n in unique]
    test = " or ".join(f"({test})" for test, _ in tests) if len(tests) > 1 else tests[0][0]
    return test, frozenset(kind for _, kind in tests)
