"""Where checks put what they find: issues into a :class:`Collector`, facts into a :class:`Tally`.

Both are plain accumulators that merge, so a file validated in pieces gives the same result
as one validated whole.
"""

from __future__ import annotations

from dataclasses import replace

from validator.config import Config
from validator.issues import Issue, Location, Severity
from validator.rules.codes import Code
from validator.stats.sketch import Sketch

__all__ = ["Collector", "Tally"]

_ERROR = Severity.ERROR
_OFF = Severity.OFF


class Collector:
    """Issues of one file: severities applied, the first ``max_errors`` of each severity kept,
    all of them counted. ``line`` is the line being checked; checks only name code, location
    and message."""

    __slots__ = ("by_code", "capture", "errors", "first_error", "issues", "line", "max_issues",
                 "severity", "warnings")

    def __init__(self, config: Config) -> None:
        self.severity = config.severity
        self.max_issues = config.max_errors
        self.issues: list[Issue] = []
        self.errors = 0
        self.warnings = 0
        self.by_code: dict[str, int] = {}
        self.first_error: Issue | None = None
        self.line: int | None = None
        self.capture: list[Issue] | None = None  # also gets every issue, uncapped (quarantine)

    def add(self, code: Code, location: Location | None, message: str) -> None:
        self.add_at(self.line, code, location, message)

    def add_at(self, line: int | None, code: Code, location: Location | None,
               message: str) -> None:
        sev = self.severity[code]
        if sev is _OFF:
            return
        self.by_code[code] = self.by_code.get(code, 0) + 1
        if sev is _ERROR:
            self.errors += 1
            n = self.errors
        else:
            self.warnings += 1
            n = self.warnings
        if self.capture is not None:
            self.capture.append(Issue(line, location, code, sev, message))
        if n <= self.max_issues or (sev is _ERROR and self.first_error is None):
            issue = Issue(line, location, code, sev, message)
            if sev is _ERROR and self.first_error is None:
                self.first_error = issue
            if n <= self.max_issues:
                self.issues.append(issue)

    def count(self, code: Code, n: int) -> None:
        """Count ``n`` more issues of ``code`` without keeping them: for vectorised checks that
        report the first offending rows with ``add_at`` and only count the rest."""
        sev = self.severity[code]
        if sev is _OFF or n <= 0:
            return
        self.by_code[code] = self.by_code.get(code, 0) + n
        if sev is _ERROR:
            self.errors += n
        else:
            self.warnings += n

    @property
    def omitted(self) -> int:
        return self.errors + self.warnings - len(self.issues)

    def merge(self, other: Collector, shift: int) -> None:
        """Append the issues of the next piece of the same file, its lines moved by ``shift``.

        Each piece kept its own first ``max_errors`` of each severity, so the whole file's first
        ones are among them: the result equals collecting the whole file in one pass.
        """
        kept = {_ERROR: min(self.errors, self.max_issues),
                Severity.WARNING: min(self.warnings, self.max_issues)}
        for issue in other.issues:
            if kept[issue.severity] < self.max_issues:
                kept[issue.severity] += 1
                self.issues.append(_shifted(issue, shift))
        if self.first_error is None and other.first_error is not None:
            self.first_error = _shifted(other.first_error, shift)
        self.errors += other.errors
        self.warnings += other.warnings
        for code, n in other.by_code.items():
            self.by_code[code] = self.by_code.get(code, 0) + n


def _shifted(issue: Issue, shift: int) -> Issue:
    if issue.line is None or not shift:
        return issue
    return replace(issue, line=issue.line + shift)


class Tally:
    """Counts, flags and statistics of one file (the server report's booleans among them)."""

    __slots__ = ("blank_lines", "chars", "format_lines", "formats", "has_message_weights",
                 "has_parallel_tool_calls", "has_reasoning", "has_sample_weights", "has_tools",
                 "is_multimodal", "messages", "nlines")

    def __init__(self) -> None:
        self.nlines = 0
        self.blank_lines = 0
        self.formats: dict[str, int] = {}
        self.format_lines: dict[str, int] = {}  # format -> first line that had it
        self.has_sample_weights = False
        self.has_message_weights = False
        self.is_multimodal = False
        self.has_tools = False
        self.has_parallel_tool_calls = False
        self.has_reasoning = False
        self.messages = Sketch()
        self.chars = Sketch()

    def merge(self, other: Tally, shift: int) -> None:
        """Add the tallies of the next piece of the same file, its lines moved by ``shift``."""
        self.nlines += other.nlines
        self.blank_lines += other.blank_lines
        for name, n in other.formats.items():
            self.formats[name] = self.formats.get(name, 0) + n
        for name, line in other.format_lines.items():
            self.format_lines.setdefault(name, line + shift)
        self.has_sample_weights |= other.has_sample_weights
        self.has_message_weights |= other.has_message_weights
        self.is_multimodal |= other.is_multimodal
        self.has_tools |= other.has_tools
        self.has_parallel_tool_calls |= other.has_parallel_tool_calls
        self.has_reasoning |= other.has_reasoning
        self.messages.merge(other.messages)
        self.chars.merge(other.chars)
