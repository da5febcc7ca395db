"""jsonschema validators whose regular expressions run on a time budget (see patterns.py).

jsonschema's ``pattern``, ``patternProperties``, ``additionalProperties`` (which skips the
properties a ``patternProperties`` key matches) and ``unevaluatedProperties`` (which counts
them as evaluated) call ``re.search`` on the patterns of the schema, which come from the data.
Here they are reimplemented on :func:`validator.formats.patterns.search`, with the messages of
the originals. A pattern not known in time makes its keyword pass: the value does not fail
``pattern``, a property name counts as matched (so it is neither additional nor unevaluated)
but the subschema of that ``patternProperties`` key is not applied to it.

Importing this module imports jsonschema (tools.py does so only when jsonschema must judge).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema import _keywords
from jsonschema._utils import extras_msg, is_valid
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from validator.formats.patterns import search

__all__ = ["validator_class"]


def _pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and search(patrn, instance) is False:
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pattern_properties: Any, instance: Any,
                        schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for k, v in instance.items():
            if search(pattern, k):  # None (not known in time): the subschema is not applied
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _matched(name: str, patterns: Any) -> bool:
    """Whether a pattern matches ``name``, or could not be checked in time."""
    return any(search(p, name) is not False for p in patterns)


def _additional(instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's find_additional_properties (each pattern searched on its own, where the
    original searches them joined by ``|``, which says the same)."""
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    for name in instance:
        if name not in properties and not (patterns and _matched(name, patterns)):
            yield name


def _additional_properties(validator: Any, ap: Any, instance: Any,
                           schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    extras = set(_additional(instance, schema))
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            error = "Additional properties are not allowed (%s %s unexpected)"
            yield ValidationError(error % extras_msg(sorted(extras, key=str)))


def _evaluated(validator: Any, instance: Any, schema: Any) -> list[Any]:
    """jsonschema's find_evaluated_property_keys_by_schema, its patterns on a budget."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[Any] = []
    for keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(keyword)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            keys += _evaluated(validator.evolve(schema=resolved.contents,
                                                _resolver=resolved.resolver),
                               instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if (subschema := schema.get(keyword)) is None:
            continue
        keys += (key for key, value in instance.items()
                 if is_valid(validator.descend(value, subschema)))
    if "patternProperties" in schema:
        patterns = list(schema["patternProperties"])
        keys += (name for name in instance for p in patterns if search(p, name) is not False)
    if "dependentSchemas" in schema:
        for name, subschema in schema["dependentSchemas"].items():
            if name in instance:
                keys += _evaluated(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if is_valid(validator.descend(instance, subschema)):
                keys += _evaluated(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys += _evaluated(validator, instance, schema["if"])
            if "then" in schema:
                keys += _evaluated(validator, instance, schema["then"])
        elif "else" in schema:
            keys += _evaluated(validator, instance, schema["else"])
    return keys


def _unevaluated_properties(validator: Any, unevaluated: Any, instance: Any,
                            schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = _evaluated(validator, instance, schema)
    failed = []  # a name once per error, as jsonschema has it
    for name in instance:
        if name not in evaluated:
            failed += [name for _ in validator.descend(instance[name], unevaluated,
                                                       path=name, schema_path=name)]
    if failed:
        if unevaluated is False:
            error = "Unevaluated properties are not allowed (%s %s unexpected)"
            yield ValidationError(error % extras_msg(sorted(failed, key=str)))
        else:
            error = ("Unevaluated properties are not valid under the given schema "
                     "(%s %s unevaluated and invalid)")
            yield ValidationError(error % extras_msg(failed))


_KEYWORDS = {"pattern": _pattern, "patternProperties": _pattern_properties,
             "additionalProperties": _additional_properties,
             "unevaluatedProperties": _unevaluated_properties}
_classes: dict[type[Any], type[Any]] = {}


def validator_class(schema: Any) -> type[Validator]:
    """The jsonschema validator class for ``schema`` (by its ``$schema``, Draft 2020-12 by
    default), with the keywords above in place of jsonschema's own."""
    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls = _classes.get(base)
    if cls is None:
        keywords = {k: f for k, f in _KEYWORDS.items()  # where the draft has the original
                    if base.VALIDATORS.get(k) is getattr(_keywords, k)}
        extend: Any = jsonschema.validators.extend  # untyped in the stubs
        cls = _classes[base] = extend(base, keywords)
    return cls
