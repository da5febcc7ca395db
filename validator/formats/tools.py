"""Tool definitions and assistant tool calls (SPEC §2.3).

Each distinct ``parameters`` schema is checked and compiled once, and reused for every call to
that tool in the file. A ``tools`` list repeated on many samples is checked once: its verdict
(declared tools and issues) is replayed.

jsonschema (about 0.1 s to import and prepare) is loaded only when it must judge: a schema
inside the subset ``fastschema`` covers is known valid and gets a fast check, and jsonschema
waits for a call whose arguments fail that check (it then gives the message). A schema outside
the subset is checked against the metaschema and validated by jsonschema from the start.

The schemas' regular expressions (``pattern``, ``patternProperties``) run on a time budget in
both (patterns.py): a pattern that backtracks past it is skipped, the call passes it, and the
call gets a ``tool-pattern-unchecked`` warning naming where the pattern is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from validator.collect import Collector
from validator.formats.bytecache import ByteCache
from validator.formats.describe import describe
from validator.formats.fastschema import Check, compile_fast
from validator.formats.patterns import BUDGET, locations, noting
from validator.issues import Location, json_path
from validator.rules.codes import Code

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = ["Declared", "Params", "call_is_clean", "check_tool_calls", "check_tools",
           "declared_if_clean"]


class Params:
    """A tool's compiled ``parameters``: the fast check when the schema allows one, and
    jsonschema's validator, built on first use."""

    __slots__ = ("_validator", "fast", "schema")

    def __init__(self, schema: dict[str, Any], fast: Check | None,
                 validator: Validator | None = None) -> None:
        self.schema = schema
        self.fast = fast
        self._validator = validator

    def validator(self) -> Validator:
        if self._validator is None:
            from validator.formats.schemakeywords import (  # noqa: PLC0415 - loads jsonschema
                validator_class,
            )

            self._validator = validator_class(self.schema)(self.schema)
        return self._validator


# name -> its compiled parameters (None: no usable schema)
Declared = dict[str, "Params | None"]

# Both caches are bounded in entries and in bytes: the size of an entry is the length of its
# key (the JSON of the schema or tools list), a fair proxy for what its value holds (the parsed
# schema, its generated check or jsonschema validator), which grows with it. 32 MiB of keys
# each, 64 MiB in all, keep hundreds of large distinct tool lists and thousands of ordinary
# ones; a key over 2 MiB is not cached at all (compiled again when it repeats: it is rare, and
# its own size dwarfs the cost). Entry-count only, 3,000 tool lists of 1 MB held 3.78 GB.
_CACHE_LIMIT = 4096
_CACHE_BYTES = 32 << 20  # per cache
_ENTRY_BYTES = 2 << 20
_cache: ByteCache[bytes, Params | str] = ByteCache(_CACHE_LIMIT, _CACHE_BYTES, _ENTRY_BYTES)
_Recorded = tuple[Code, Location, str]
_tools_cache: ByteCache[tuple[Location, bytes], tuple[Declared | None, list[_Recorded]]] = (
    ByteCache(_CACHE_LIMIT, _CACHE_BYTES, _ENTRY_BYTES))


class _Recorder:
    """Collects what check_tools reports, to replay it for the next sample with these tools."""

    def __init__(self) -> None:
        self.issues: list[_Recorded] = []

    def add(self, code: Code, path: Location, message: str) -> None:
        self.issues.append((code, path, message))


def _compile(schema: dict[str, Any]) -> Params | str:
    """The compiled ``schema``, or the reason it is not a valid JSON Schema."""
    try:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return "schema is nested too deeply to use"
    found = _cache.get(key)
    if found is not None:
        return found
    fast = compile_fast(schema)  # not None: the schema is valid, no metaschema check needed
    result = Params(schema, fast) if fast is not None else _compile_slow(schema)
    _cache.put(key, result, len(key))
    return result


# the Python names that tool schemas written from Python code use for JSON Schema's types
_PYTHON_TYPES = {"str": "string", "int": "integer", "float": "number", "dict": "object",
                 "list": "array", "tuple": "array", "bool": "boolean", "none": "null"}


def _python_type(exc: Any) -> str:
    """The schema error's message, or for a Python type name (``"type": "str"``) what to
    write instead."""
    path = tuple(exc.absolute_path)
    if path and path[-1] == "type" and isinstance(exc.instance, str):
        wanted = _PYTHON_TYPES.get(exc.instance.casefold())
        if wanted is not None:
            return (f"type {exc.instance!r} is a Python name, not a JSON Schema type: write "
                    f"{wanted!r}")
    return str(exc.message)


def _compile_slow(schema: dict[str, Any]) -> Params | str:
    import jsonschema  # noqa: PLC0415 - see the module docstring

    from validator.formats.schemakeywords import validator_class  # noqa: PLC0415

    try:
        cls = validator_class(schema)  # pattern keywords on a time budget (patterns.py)
        cls.check_schema(schema)
        return Params(schema, None, cls(schema))
    except jsonschema.SchemaError as exc:
        where = json_path(tuple(exc.absolute_path), root="parameters")
        return _python_type(exc) + (f" (at {where})" if exc.absolute_path else "")
    except Exception as exc:  # user schemas run third-party code: any failure is a data problem
        return f"schema cannot be used: {exc}"


def check_tools(tools: Any, path: Location, out: Collector) -> Declared | None:
    """Check a ``tools`` list; return the declared tools by name (None if unusable)."""
    try:
        key = (path, orjson.dumps(tools))
    except orjson.JSONEncodeError:  # nested too deeply to serialise: check it as it is
        return _check_tools(tools, path, out)
    cached = _tools_cache.get(key)
    if cached is None:
        recorder = _Recorder()
        cached = (_check_tools(tools, path, recorder), recorder.issues)
        _tools_cache.put(key, cached, len(key[1]))
    declared, issues = cached
    for code, where, message in issues:
        out.add(code, where, message)
    return declared


def declared_if_clean(tools: Any) -> Declared | None:
    """The tools a top-level ``tools`` value declares when check_tools reports nothing about
    it, else None (for the scan's fast path, run/fastpath.py)."""
    recorder = _Recorder()
    declared = _check_tools(tools, ("tools",), recorder)
    return None if recorder.issues else declared


def _check_tools(tools: Any, path: Location, out: Collector | _Recorder) -> Declared | None:
    if type(tools) is not list:
        out.add("tools-invalid", path,
                f'tools must be a list of {{"type": "function", "function": {{...}}}}, '
                f"not {describe(tools)}")
        return None
    declared: Declared = {}
    for k, tool in enumerate(tools):
        p = (*path, k)
        if type(tool) is not dict:
            out.add("tools-invalid", p,
                    f'a tool must be an object {{"type": "function", "function": {{...}}}}, '
                    f"not {describe(tool)}")
            continue
        if tool.get("type") != "function":
            out.add("tools-invalid", (*p, "type"),
                    f'tool type must be "function", not {describe(tool.get("type"))}')
        fn = tool.get("function")
        if type(fn) is not dict:
            out.add("tools-invalid", (*p, "function"),
                    'a tool needs an object "function" with at least a string "name"')
            continue
        name = fn.get("name")
        if type(name) is not str or not name:
            out.add("tools-invalid", (*p, "function", "name"),
                    f"a tool function needs a non-empty string name, not {describe(name)}")
            continue
        if "description" in fn and type(fn["description"]) is not str:
            out.add("tools-invalid", (*p, "function", "description"),
                    f"a tool description must be a string, not {describe(fn['description'])}")
        schema: Params | None = None
        if "parameters" in fn:
            params = fn["parameters"]
            if type(params) is not dict:
                out.add("tools-invalid", (*p, "function", "parameters"),
                        f"tool parameters must be a JSON Schema object, not {describe(params)}")
            else:
                compiled = _compile(params)
                if isinstance(compiled, str):
                    out.add("tool-schema-invalid", (*p, "function", "parameters"),
                            f"parameters of tool {name!r} are not a valid JSON Schema: {compiled}")
                else:
                    schema = compiled
        if "required" in fn:
            where = "into parameters" if "parameters" in fn else 'into a "parameters" object schema'
            out.add("tool-required-misplaced", (*p, "function", "required"),
                    f"tool {name!r} has required beside its parameters, where JSON Schema does "
                    f"not read it: move it {where}; as it stands nothing is required")
        declared[name] = schema
    return declared


def check_tool_calls(calls: Any, path: Location, out: Collector,
                     declared: Declared | None) -> list[str]:
    """Check an assistant ``tool_calls`` list; return the call ids found."""
    if type(calls) is not list:
        out.add("tool-call-invalid", path,
                f"tool_calls must be a list of calls, not {describe(calls)}")
        return []
    if not calls:
        out.add("tool-calls-empty", path,
                "tool_calls is an empty list: drop the key, or add the calls")
    ids: list[str] = []
    for k, call in enumerate(calls):
        p = path + (k,)  # concatenation: about three times as fast as (*path, k)
        if type(call) is not dict:
            out.add("tool-call-invalid", p,
                    'a tool call must be an object {"id", "type": "function", "function": {...}}')
            continue
        cid = call.get("id")
        if type(cid) is str:
            ids.append(cid)
        else:
            out.add("tool-call-invalid", (*p, "id"),
                    f"a tool call needs a string id, not {describe(cid)}")
        if call.get("type") != "function":
            out.add("tool-call-invalid", (*p, "type"),
                    f'tool call type must be "function", not {describe(call.get("type"))}')
        fn = call.get("function")
        if type(fn) is not dict:
            out.add("tool-call-invalid", (*p, "function"),
                    'a tool call needs an object "function": {"name": ..., "arguments": "..."}')
            continue
        name = fn.get("name")
        if type(name) is not str or not name:
            out.add("tool-call-invalid", (*p, "function", "name"),
                    f"a tool call needs a non-empty string function name, not {describe(name)}")
            name = None
        _check_arguments(fn, p + ("function", "arguments"), out, name, declared)
    return ids


def call_is_clean(name: str, arguments: str, declared: Declared | None) -> bool:
    """Whether a call of the function ``name`` with the string ``arguments`` gets no issue
    from check_tool_calls (for the scan's fast path): a non-empty name, declared where tools
    are, arguments that parse and pass the parameters' fast check. False is no verdict: the
    full checks judge."""
    schema = None
    if not name:
        return False
    if declared is not None:
        if name not in declared:
            return False
        schema = declared[name]
    try:
        args = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return False
    if schema is None:
        return True
    fast = schema.fast
    return fast is not None and fast(args)


def _check_arguments(fn: dict[str, Any], path: Location, out: Collector, name: str | None,
                     declared: Declared | None) -> None:
    schema = None
    if declared is not None and name is not None:
        if name in declared:
            schema = declared[name]
        else:
            known = ", ".join(sorted(declared)[:8]) or "none"
            out.add("tool-undeclared", (*path[:-1], "name"),
                    f"tool {name!r} is called but not declared in tools (declared: {known})")
    if "arguments" not in fn:
        out.add("tool-call-invalid", path,
                'a tool call needs "arguments": a string holding a JSON object, such as "{}"')
        return
    raw = fn["arguments"]
    if type(raw) is str:
        try:
            args = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            out.add("tool-arguments-invalid", path,
                    f"arguments are not valid JSON ({exc.msg} at character {exc.pos + 1}): "
                    "the string must hold a JSON object, such as \"{}\"")
            return
    elif type(raw) is dict:
        out.add("tool-arguments-object", path,
                "arguments are an object; the API format is a string holding JSON: "
                "serialize them with json.dumps")
        args = raw
    else:
        out.add("tool-call-invalid", path,
                f"arguments must be a string holding JSON, not {describe(raw)}")
        return
    if schema is None:
        return
    fast = schema.fast
    if fast is not None and fast(args):
        return
    from jsonschema.exceptions import best_match  # noqa: PLC0415 - see the module docstring

    try:
        with noting() as unchecked:  # the patterns that ran out of time (patterns.py)
            error = best_match(schema.validator().iter_errors(args))
    except RecursionError:  # the arguments, not the schema: too deep for jsonschema (or its
        out.add("tool-arguments-schema", path,  # message, which quotes the value)
                f"arguments are nested too deeply to check against the parameters of tool "
                f"{name!r}: flatten them")
        return
    except Exception as exc:  # e.g. an unresolvable $ref, met only while validating
        out.add("tool-schema-invalid", path,
                f"parameters of tool {name!r} cannot be applied: {exc}")
        return
    for source in unchecked:
        _unchecked(schema.schema, source, path, out, name)
    if error is not None:
        where = json_path(tuple(error.absolute_path), root="arguments")
        out.add("tool-arguments-schema", path,
                f"arguments do not match the parameters of tool {name!r}: "
                f"{error.message}" + (f" (at {where})" if error.absolute_path else ""))


def _unchecked(schema: dict[str, Any], source: str, path: Location, out: Collector,
               name: str | None) -> None:
    """Warn that the arguments at ``path`` were not checked against the pattern ``source``."""
    found = locations(schema, source)
    where = json_path(found[0], root="parameters") if found else "parameters"
    more = f" (and {len(found) - 1} more places)" if len(found) > 1 else ""
    shown = source if len(source) <= 80 else source[:77] + "..."
    out.add("tool-pattern-unchecked", path,
            f"the pattern {shown!r} at {where}{more} of tool {name!r} backtracks too much to "
            f"check in {BUDGET:g} s: the arguments were not checked against it; simplify the "
            "pattern (avoid nested quantifiers such as (a+)+ and overlapping alternatives "
            "such as (a|aa)+)")
