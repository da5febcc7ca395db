"""The dataset formats as JSON Schema (Draft 2020-12) documents, shipped in ``validator/schemas/``.

The schemas are the published contract: editors, other languages and other tools can use the
same definition ftdata enforces. The validator does not use them per line (its hand-written checks
are much faster); the test suite proves both agree on every structural rule. Each document's
``description`` names the rules JSON Schema cannot express (turn order, tool_call_id pairing,
image counts, format mixing, ...), which only ftdata checks.

``names()`` and ``load()`` need only the standard library; ``bundle()`` returns one
self-contained document with every document it refers to inlined under ``$defs``.
"""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any

from validator.errors import UsageError

__all__ = ["BASE_URI", "bundle", "load", "names"]

BASE_URI = "https://ftdata.dev/schemas/"
_FOLDER = "schemas"
_SUFFIX = ".json"


def names() -> list[str]:
    """The schema names, sorted: ``ftdata schema NAME`` and ``load(NAME)`` take them."""
    folder = files("validator").joinpath(_FOLDER)
    return sorted(p.name[: -len(_SUFFIX)] for p in folder.iterdir()
                  if p.name.endswith(_SUFFIX))


def load(name: str) -> dict[str, Any]:
    """The schema document ``name`` as stored: its ``$ref``s to other documents stay relative."""
    if name not in names():
        raise UsageError(f"unknown schema {name!r}: use one of {', '.join(names())}")
    text = files("validator").joinpath(_FOLDER, name + _SUFFIX).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def bundle(name: str) -> dict[str, Any]:
    """``name`` as one self-contained document: each document it refers to (directly or not)
    is copied under ``$defs/<its name>``, and every ``$ref`` becomes a pointer into this
    document, so a validator needs no registry and no retrieval."""
    root = load(name)
    needed = [name]
    docs: dict[str, dict[str, Any]] = {name: root}
    i = 0
    while i < len(needed):  # the documents reachable from ``name``
        for ref in _refs(docs[needed[i]]):
            other = _split(ref)[0]
            if other and other not in docs:
                docs[other] = load(other)
                needed.append(other)
        i += 1
    out: dict[str, Any] = _rewrite(root, name, name)
    defs = out.setdefault("$defs", {})
    for other in needed[1:]:
        if other in defs:
            raise ValueError(f"schema {name!r} already has a $defs entry {other!r}")
        inlined = _rewrite(docs[other], other, name)
        inlined.pop("$schema", None)
        inlined.pop("$id", None)
        defs[other] = inlined
    return out


def _split(ref: str) -> tuple[str, str]:
    """``"content.json#/$defs/parts"`` -> ``("content", "/$defs/parts")``;
    ``"#/x"`` -> ``("", "/x")``."""
    doc, _, pointer = ref.partition("#")
    if doc.startswith(BASE_URI):
        doc = doc[len(BASE_URI):]
    if doc and (not doc.endswith(_SUFFIX) or "/" in doc):
        raise ValueError(f"$ref {ref!r} is not to a document of validator/schemas")
    return doc[: -len(_SUFFIX)], pointer


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            found += _refs(value)
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _rewrite(node: Any, doc: str, root: str) -> Any:
    """A deep copy of ``node`` (part of document ``doc``) with each ``$ref`` pointing into
    the bundle of ``root``."""
    if isinstance(node, list):
        return [_rewrite(item, doc, root) for item in node]
    if not isinstance(node, dict):
        return copy.copy(node)
    out = {key: _rewrite(value, doc, root) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target, pointer = _split(ref)
        target = target or doc
        out["$ref"] = "#" + pointer if target == root else f"#/$defs/{target}{pointer}"
    return out
