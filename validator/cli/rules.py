"""``ftdata rules``: the command's arguments. What it prints is in :mod:`validator.cli.rule_pages`,
imported only when the command runs, so ``ftdata validate`` starts without it."""

from __future__ import annotations

import argparse
from typing import TextIO

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser(
        "rules", help="list the rules, or show what a rule checks, why, and how to fix it",
        description="Without CODE, list every rule: its code, default severity, SPEC.md "
                    "section and summary. With CODEs, show each rule's page: why it matters, "
                    "how to fix the data, and an example with what ftdata reports for it.")
    r.add_argument("codes", nargs="*", metavar="CODE", help="rule codes, such as turn-order")
    r.add_argument("--output", "-o", choices=("text", "json"), default="text")
    r.set_defaults(run=_run)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.cli import rule_pages  # noqa: PLC0415 - see the module docstring

    return rule_pages.run(args, out, err)
