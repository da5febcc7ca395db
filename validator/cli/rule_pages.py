"""``ftdata rules``: the rule registry, as a list or one rule's page (loaded only for the
command, by :mod:`validator.cli.rules`).

Without CODE, one line per rule: code, default severity, SPEC.md section, summary. With CODEs,
each rule's page: why it matters, how to fix the data, its example and what ftdata reports
when it validates that example. The registry is read here only, never by ``ftdata validate``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from validator.errors import UsageError

if TYPE_CHECKING:
    from validator.issues import Issue
    from validator.rules import Code, Example, Rule

__all__ = ["run"]

WIDTH = 79  # pages fit an 80-column terminal
INDENT = "  "
MAX_LINES = 8  # example lines shown; the rest are counted
MAX_ROWS = 8  # terminal rows an example line may take before its middle is left out


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``ftdata rules [CODE ...]``: the list, or the pages of CODEs."""
    from validator.rules import rules  # noqa: PLC0415 - the registry is read only here

    registry = rules()
    chosen = _chosen(args.codes, registry)
    if not chosen:
        if args.output == "json":
            _write_json(out, [_rule_dict(rule) for rule in registry.values()])
        else:
            width = max(len(code) for code in registry)
            out.writelines(f"{rule.code:<{width}}  {rule.severity.value:<7}  "
                           f"§{rule.spec:<3}  {rule.summary}\n" for rule in registry.values())
        return 0
    pages = [(rule, _example_issues(rule)) for rule in chosen]
    if args.output == "json":
        _write_json(out, [{**_rule_dict(rule), "issues": [i.to_dict() for i in issues]}
                          for rule, issues in pages])
    else:
        out.write("\n".join(_page(rule, issues) for rule, issues in pages))
    return 0


def _chosen(codes: Sequence[str], registry: Mapping[Code, Rule]) -> list[Rule]:
    """The rules of ``codes``, once each; an unknown code is a UsageError naming close ones."""
    by_code: dict[str, Rule] = {rule.code: rule for rule in registry.values()}
    for code in codes:
        if code not in by_code:
            close = difflib.get_close_matches(code, list(by_code), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UsageError(f"unknown rule code {code!r}{hint}; `ftdata rules` lists them all")
    return [by_code[code] for code in dict.fromkeys(codes)]


def _write_json(out: TextIO, doc: list[dict[str, Any]]) -> None:
    import orjson  # noqa: PLC0415

    out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")


def _rule_dict(rule: Rule) -> dict[str, Any]:
    example = None if rule.example is None else dataclasses.asdict(rule.example)
    return {"code": rule.code, "severity": rule.severity.value, "spec": rule.spec,
            "summary": rule.summary, "why": rule.why, "fix": rule.fix, "example": example}


def _example_issues(rule: Rule) -> list[Issue]:
    """What validating the rule's example reports, the temporary folder left out of it."""
    if rule.example is None:
        return []
    from validator.rules.examples import validate_example  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="ftdata-rules-") as folder:
        report = validate_example(rule, Path(folder))
        hidden = str(Path(folder)) + "/"
        return [dataclasses.replace(i, message=i.message.replace(hidden, ""))
                for i in report.issues]


# -- the page --------------------------------------------------------------------------------

def _page(rule: Rule, issues: list[Issue]) -> str:
    from validator.report.text import format_issue  # noqa: PLC0415

    lines = [f"{rule.code}: {rule.severity.value}, SPEC.md §{rule.spec}",
             *_paragraph(rule.summary), ""]
    for title, text in (("Why", rule.why), ("Fix", rule.fix)):
        lines += [f"{title}:", *_paragraph(text), ""]
    example = rule.example
    if example is None:
        lines += ["Example: none", ""]
        return "\n".join(lines) + "\n"
    lines += [f"Example: {line}" if n == 0 else line
              for n, line in enumerate(_paragraph(_describe(example), first="", width=70))]
    lines += _content(example)
    lines += ["", "ftdata reports:"]
    mine = [i for i in issues if i.code == rule.code]
    for issue in mine:
        lines += textwrap.wrap(format_issue(example.name, issue), WIDTH, initial_indent=INDENT,
                               subsequent_indent=INDENT * 3, break_long_words=False,
                               break_on_hyphens=False)
    if not mine:
        lines.append(f"{INDENT}nothing for {rule.code}: the example does not raise it")
    others = _counts(i.code for i in issues if i.code != rule.code)
    if others:
        lines += _paragraph(f"(also reported: {others})")
    return "\n".join(lines) + "\n"


def _paragraph(text: str, first: str = INDENT, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width, initial_indent=first,
                         subsequent_indent=INDENT, break_on_hyphens=False)


def _counts(codes: Iterable[str]) -> str:
    counted: dict[str, int] = {}
    for code in codes:
        counted[code] = counted.get(code, 0) + 1
    return ", ".join(code if n == 1 else f"{code} x{n}" for code, n in counted.items())


def _describe(example: Example) -> str:
    """The example's file in words: name, purpose and settings when not the defaults, form."""
    parts = [example.name]
    if example.purpose != "fine-tune":
        parts.append(f"purpose {example.purpose}")
    if example.config:
        parts.append("with " + ", ".join(f"{key} = {value!r}"
                                         for key, value in example.config.items()))
    form = {
        "text": "",
        "escaped": "these bytes (\\xNN: a byte that is not UTF-8)",
        "gzip-cut": "these lines gzip-compressed, then cut short before the stream's end",
        "parquet-rows": "a Parquet table with these rows",
        "directory": "a directory, not a file",
    }[example.form]
    if form:
        parts.append(form)
    if example.repeat != 1:
        parts.append(f"the text written {example.repeat:,} times, {{i}} replaced by 1 to "
                     f"{example.repeat:,}")
    return ", ".join(parts)


def _content(example: Example) -> list[str]:
    """The example's lines, numbered, wrapped, a very long one shortened in the middle."""
    from validator.rules.examples import fill  # noqa: PLC0415

    if example.form == "directory":
        return []
    text = fill(example.text)
    rows = text.splitlines()
    if not rows:
        return [f"{INDENT}(no bytes at all)"]
    gutter = len(str(min(len(rows), MAX_LINES)))
    width = WIDTH - len(INDENT) * 2 - gutter
    shown = []
    for n, row in enumerate(rows[:MAX_LINES], 1):
        wrapped = _wrap_line(row if example.form == "escaped" else _visible(row), width)
        shown.append(f"{INDENT}{n:>{gutter}}{INDENT}{wrapped[0]}".rstrip())
        shown += [f"{INDENT}{'':>{gutter}}{INDENT}{part}" for part in wrapped[1:]]
    if len(rows) > MAX_LINES:
        shown.append(f"{INDENT}... {len(rows) - MAX_LINES:,} more lines")
    return shown


def _wrap_line(line: str, width: int) -> list[str]:
    """One example line in rows of ``width``; past MAX_ROWS rows, its middle is left out."""
    if len(line) > MAX_ROWS * width:
        head, tail = 3 * width, width
        line = (f"{line[:head]} ... [{len(line) - head - tail:,} characters left out] ... "
                f"{line[-tail:]}")
    return textwrap.wrap(line, width, break_on_hyphens=False) or [""]


def _visible(text: str) -> str:
    """``text`` with characters a terminal would not show (controls, a BOM) escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   if ord(c) < 0x80 else f"\\u{ord(c):04x}" for c in text)
