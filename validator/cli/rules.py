"""``ftdata rules``: the rule registry, as a list or one rule's page."""

from __future__ import annotations

import argparse
from typing import TextIO

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser("rules", help="list every rule code with its default severity")
    r.add_argument("--output", "-o", choices=("text", "json"), default="text")
    r.set_defaults(run=_rules)


def _rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.rules import rules  # noqa: PLC0415 - the registry is read only here

    registry = rules()
    if args.output == "json":
        import orjson  # noqa: PLC0415

        doc = [{"code": r.code, "severity": r.severity.value, "summary": r.summary}
               for r in registry.values()]
        out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    width = max(len(code) for code in registry)
    for rule in registry.values():
        out.write(f"{rule.code:<{width}}  {rule.severity.value:<7}  {rule.summary}\n")
    return 0
