"""``--output text``: one greppable line per issue, ``file:line: path: code message``, then a
summary per file and, for several files, a total. Identical issues print once, as their first
line with ``(x2,000: lines 4, 9, ...)`` after the message."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from validator.issues import Issue, Severity
from validator.report import Report

__all__ = ["format_issue", "group_lines", "printable", "render", "repeats", "use_color"]

# What a terminal acts on rather than shows: C0 controls (ESC, CR, LF...), DEL, C1 controls,
# the Unicode line and paragraph separators and the bidirectional overrides and isolates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """``text`` with what a terminal would act on written as escapes (``\\x1b``, ``\\n``,
    ``\\u202e``): a key, role or file name from the data can neither colour the output, move
    the cursor, nor forge a line that reads as ftdata's own."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


_FLAGS = (
    ("dataset_has_tools", "tools"),
    ("dataset_has_parallel_tool_calls", "parallel tool calls"),
    ("dataset_has_reasoning", "reasoning"),
    ("dataset_is_multimodal", "multimodal"),
    ("dataset_has_message_weights", "message weights"),
    ("dataset_has_sample_weights", "sample weights"),
)


def group_lines(issue: Issue) -> str:
    """The lines of a group of identical issues, ``4, 9, 12, ...``; ``""`` for one issue."""
    if issue.count == 1 or not issue.first_lines:
        return ""
    more = ", ..." if issue.count > len(issue.first_lines) else ""
    return ", ".join(str(n) for n in issue.first_lines) + more


def repeats(issue: Issue) -> str:
    """`` (x2,000: lines 4, 9, 12, ...)`` for a group of identical issues, ``""`` for one."""
    if issue.count == 1:
        return ""
    lines = group_lines(issue)
    return f" (x{issue.count:,}: lines {lines})" if lines else f" (x{issue.count:,})"


RED, YELLOW, GREEN, BOLD, RESET = "\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[1m", "\x1b[0m"


def use_color(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Colour for ``stream``: only a terminal, and never with ``NO_COLOR`` set (no-color.org)
    or ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def format_issue(path: str, issue: Issue, *, color: bool = False) -> str:
    path = printable(path)
    where = f"{path}:{issue.line}:" if issue.line is not None else f"{path}:"
    json_path = f" {printable(issue.path)}:" if issue.path else ""
    level = "" if issue.severity is Severity.ERROR else " [warning]"
    code = f"{issue.code}{level}"
    if color:
        code = f"{RED if issue.severity is Severity.ERROR else YELLOW}{code}{RESET}"
    return f"{where}{json_path} {code} {printable(issue.message)}{repeats(issue)}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def summary(report: Report, *, color: bool = False) -> str:
    verdict = "valid" if report.valid else "INVALID"
    if not report.readable:
        verdict = "UNREADABLE"
    if color:
        verdict = f"{GREEN}{verdict}{RESET}" if report.valid else f"{BOLD}{RED}{verdict}{RESET}"
    parts = []
    if report.dataset_format:
        parts.append(report.dataset_format)
    parts.append(_plural(report.nlines, "sample"))
    parts.append(f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}")
    flags = [label for name, label in _FLAGS if getattr(report, name)]
    if flags:
        parts.append("has " + ", ".join(flags))
    return f"{printable(report.path)}: {verdict} ({report.purpose}): " + "; ".join(parts)


def render(reports: Sequence[Report], *, color: bool = False, quiet: bool = False) -> str:
    """``color``: ANSI colours (errors red, warnings yellow); ``quiet``: only the issues of
    the files that are not valid, without summaries (nothing at all when every file is)."""
    lines: list[str] = []
    for report in reports:
        if quiet and report.valid:
            continue
        lines.extend(format_issue(report.path, issue, color=color) for issue in report.issues)
        if report.omitted:
            kept: dict[str, int] = {}
            for issue in report.issues:
                kept[issue.code] = kept.get(issue.code, 0) + issue.count
            rest = sorted(((n - kept.get(code, 0), code) for code, n in report.by_code.items()),
                          reverse=True)
            shown = [(n, code) for n, code in rest if n]
            top = ", ".join(f"{code} x{n:,}" for n, code in shown[:5])
            if len(shown) > 5:
                top += f", and {len(shown) - 5:,} more"
            more = _plural(report.omitted, "more issue")
            lines.append(f"{printable(report.path)}: ... {more} not shown ({top}); raise "
                         "--max-errors to see them")
        if not quiet:
            lines.append(summary(report, color=color))
    if len(reports) > 1 and not quiet:
        bad = sum(not r.valid for r in reports)
        lines.append(f"{_plural(len(reports), 'file')}: {len(reports) - bad:,} valid, "
                     f"{bad:,} invalid")
    return "\n".join(lines) + "\n" if lines else ""
