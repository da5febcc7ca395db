"""Where checks put what they find: issues into a :class:`Collector`, facts into a :class:`Tally`.

Both are plain accumulators that merge, so a file validated in pieces gives the same result
as one validated whole.
"""

from __future__ import annotations

from validator.config import Config
from validator.issues import Issue, Severity
from validator.stats import Sketch

__all__ = ["Collector", "Tally"]

_ERROR = Severity.ERROR
_OFF = Severity.OFF


class Collector:
    """Issues of one file: severities applied, the first ``max_errors`` of each severity kept,
    all of them counted. ``line`` is the line being checked; checks only name code, path and
    message."""

    __slots__ = ("by_code", "errors", "first_error", "issues", "line", "max_issues",
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

    def add(self, code: str, path: str | None, message: str) -> None:
        self.add_at(self.line, code, path, message)

    def add_at(self, line: int | None, code: str, path: str | None, message: str) -> None:
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
        if n <= self.max_issues or (sev is _ERROR and self.first_error is None):
            issue = Issue(line, path, code, sev, message)
            if sev is _ERROR and self.first_error is None:
                self.first_error = issue
            if n <= self.max_issues:
                self.issues.append(issue)

    @property
    def omitted(self) -> int:
        return self.errors + self.warnings - len(self.issues)


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
