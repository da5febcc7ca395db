"""The rule registry: every rule ftdata checks, declared once in ``registry.toml``.

Each rule has a stable code, a default severity, the SPEC.md section it comes from, a one-line
summary, why it matters, how to fix it, and an example input that breaks it (the test suite
runs every example). The checks raise rules by code; :data:`~validator.rules.codes.Code` is
the closed set of codes, so mypy rejects a code that is not declared.

Hot paths need only the codes and their default severities, which ``codes.py`` holds (it is
generated from the registry): the registry itself is read only when a rule's text is wanted
(``ftdata rules``, the README table, the tests), through :func:`rules` or :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args

from validator.issues import Severity
from validator.rules.codes import CODES, DEFAULT_SEVERITY, Code

__all__ = ["CODES", "DEFAULT_SEVERITY", "RULES", "Code", "Example", "Rule", "rules"]

Form = Literal["text", "escaped", "gzip-cut", "parquet-rows", "directory"]
_FORMS: frozenset[str] = frozenset(get_args(Form))


@dataclass(frozen=True, slots=True)
class Example:
    """The smallest input that breaks a rule (see the comment at the top of registry.toml)."""

    text: str
    name: str = "example.jsonl"
    purpose: str = "fine-tune"
    config: dict[str, Any] = field(default_factory=dict)
    repeat: int = 1
    form: Form = "text"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: what it finds, where SPEC.md says so, why it matters and how to fix it."""

    code: Code
    severity: Severity
    spec: str
    summary: str
    why: str
    fix: str
    example: Example | None


_KEYS = frozenset({"severity", "spec", "summary", "why", "fix", "example"})
_EXAMPLE_KEYS = frozenset({"text", "name", "purpose", "config", "repeat", "form"})


@cache
def rules() -> dict[Code, Rule]:
    """Every rule by code, in the registry's order."""
    import tomllib  # noqa: PLC0415 - only when a rule's text is wanted
    from importlib.resources import files  # noqa: PLC0415 - ~6 ms, and so is tomllib

    text = files("validator.rules").joinpath("registry.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    found: dict[Code, Rule] = {}
    for code, entry in table.items():
        if code not in DEFAULT_SEVERITY:
            raise ValueError(f"registry.toml: {code!r} is not in codes.py: run `make rules`")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"registry.toml: [{code}] has unknown keys {sorted(unknown)}")
        rule = Rule(code, Severity(entry["severity"]), entry["spec"],
                    entry["summary"], entry.get("why", ""), entry.get("fix", ""),
                    _example(code, entry.get("example")))
        found[rule.code] = rule
    return found


def _example(code: str, value: Any) -> Example | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Example(value)
    unknown = set(value) - _EXAMPLE_KEYS
    if unknown:
        raise ValueError(f"registry.toml: [{code}.example] has unknown keys {sorted(unknown)}")
    form = value.get("form", "text")
    if form not in _FORMS:
        raise ValueError(f"registry.toml: [{code}.example] form {form!r} is not one of "
                         f"{', '.join(sorted(_FORMS))}")
    return Example(**value)


def __getattr__(name: str) -> Any:
    if name == "RULES":  # read on first use, not on import: the hook starts without it
        return rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
