"""Where checks put what they find: issues into a :class:`Collector`, facts into a :class:`Tally`.

Both are plain accumulators that merge, so a file validated in pieces gives the same result
as one validated whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from validator.config import Config
from validator.issues import GROUP_LINES, Issue, Location, Severity
from validator.rules.codes import Code
from validator.stats.sketch import Sketch

if TYPE_CHECKING:
    from validator.models.check import TokenTally

__all__ = ["Collector", "Tally"]

_ERROR = Severity.ERROR
_OFF = Severity.OFF
_WARNING = Severity.WARNING

_Key = tuple[str, Location | None, str]  # what makes issues identical: code, location, message
TRACKED = 1024
"""How many groups past the cap a collector still counts (for merging pieces of a file)."""


class Collector:
    """Issues of one file: severities applied, identical issues (same code, location and
    message) grouped, the first ``max_errors`` groups of each severity kept, all of them
    counted. ``line`` is the line being checked; checks only name code, location and message.

    A group's later lines are appended to ``group_lines`` (up to :data:`GROUP_LINES`) and
    counted in ``group_counts``, so memory is bounded by the cap however often an issue
    repeats. :meth:`grouped` gives the issues as a report shows them.
    """

    __slots__ = ("by_code", "capture", "errors", "first_error", "group_counts", "group_lines",
                 "groups", "issues", "kept", "line", "max_issues", "severity", "tracked",
                 "warnings")

    def __init__(self, config: Config) -> None:
        self.severity = config.severity
        self.max_issues = config.max_errors
        self.issues: list[Issue] = []  # the first issue of each kept group, in file order
        self.groups: dict[_Key, int] = {}  # -> index in issues
        self.group_counts: list[int] = []
        self.group_lines: list[list[int]] = []
        self.kept = {_ERROR: 0, _WARNING: 0}  # groups kept per severity
        self.tracked: dict[_Key, tuple[int, list[int]]] = {}  # past the cap: count, lines
        self.errors = 0
        self.warnings = 0
        self.by_code: dict[str, int] = {}
        self.first_error: Issue | None = None
        self.line: int | None = None
        self.capture: list[Issue] | None = None  # also gets every issue, ungrouped (quarantine)

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
        else:
            self.warnings += 1
        if self.capture is not None:
            self.capture.append(Issue(line, location, code, sev, message))
        if sev is _ERROR and self.first_error is None:
            self.first_error = Issue(line, location, code, sev, message)
        index = self.groups.get((code, location, message))
        if index is not None:  # a repeat: counted in its group, no Issue built
            self.group_counts[index] += 1
            kept = self.group_lines[index]
            if line is not None and len(kept) < GROUP_LINES:
                kept.append(line)
            return
        self._group(Issue(line, location, code, sev, message), 1, () if line is None else (line,))

    def _group(self, issue: Issue, count: int, lines: Sequence[int]) -> None:
        """Add ``count`` occurrences of ``issue`` found on ``lines`` to its group, or start a
        group if the cap allows one more of its severity, or else track it (see ``merge``)."""
        key = (issue.code, issue.location, issue.message)
        index = self.groups.get(key)
        if index is None:
            # A file-level issue (no line: a corrupt archive, a whole-file JSON document, no
            # samples) says what is wrong with the file as a whole: it is always kept, outside
            # the cap, so a flood of line issues cannot hide it. There are only a few of them.
            file_level = issue.line is None and self.max_issues > 0
            if not file_level and self.kept[issue.severity] >= self.max_issues:
                self._track(key, count, lines)
                return  # not kept: counted in errors/warnings, reported as omitted
            if not file_level:
                self.kept[issue.severity] += 1
            index = self.groups[key] = len(self.issues)
            self.issues.append(issue)
            self.group_counts.append(0)
            self.group_lines.append([])
        self.group_counts[index] += count
        _add_lines(self.group_lines[index], lines)

    def _track(self, key: _Key, count: int, lines: Sequence[int]) -> None:
        """Count an issue the cap does not keep, for up to :data:`TRACKED` groups: a file
        validated in pieces needs them when an earlier piece kept the group."""
        entry = self.tracked.get(key)
        if entry is None:
            if len(self.tracked) >= TRACKED:
                return
            entry = self.tracked[key] = (count, [])
        else:
            entry = self.tracked[key] = (entry[0] + count, entry[1])
        _add_lines(entry[1], lines)

    def reject_line(self, code: Code, message: str) -> None:
        """Mark the current line as failing ``code`` for a quarantine split only: its cause was
        reported once, for the whole file (a file-level issue), so the report does not repeat
        it per line, but the split must not pass the line as clean."""
        if self.capture is not None:
            self.capture.append(Issue(self.line, None, code, self.severity[code], message))

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

    def grouped(self) -> list[Issue]:
        """The kept issues as a report shows them: one per group, with its count and lines;
        the file-level ones first (what is wrong with the file, then with its lines)."""
        result = []
        for issue, n, lines in zip(self.issues, self.group_counts, self.group_lines,
                                   strict=True):
            result.append(issue if n == 1 else replace(issue, count=n, lines=tuple(lines)))
        result.sort(key=lambda issue: issue.line is not None)
        return result

    @property
    def omitted(self) -> int:
        return self.errors + self.warnings - sum(self.group_counts)

    def merge(self, other: Collector, shift: int) -> None:
        """Add the issues of the next piece of the same file, its lines moved by ``shift``.

        Each piece kept its own first ``max_errors`` groups of each severity, so the whole
        file's first groups are among them, and it counted the groups past its cap that an
        earlier piece may have kept (``tracked``): the result equals collecting the whole file
        in one pass. Only a piece with over :data:`TRACKED` groups past its cap may count fewer
        repeats of a group than one pass would (the totals, and ``omitted``, stay exact).
        """
        for issue, n, lines in zip(other.issues, other.group_counts, other.group_lines,
                                   strict=True):
            self._group(_shifted(issue, shift), n, [line + shift for line in lines])
        for key, (n, lines) in other.tracked.items():
            index = self.groups.get(key)  # a group the other piece had no room for
            if index is not None:
                self.group_counts[index] += n
                _add_lines(self.group_lines[index], [line + shift for line in lines])
        if self.first_error is None and other.first_error is not None:
            self.first_error = _shifted(other.first_error, shift)
        self.errors += other.errors
        self.warnings += other.warnings
        for code, n in other.by_code.items():
            self.by_code[code] = self.by_code.get(code, 0) + n


def _add_lines(kept: list[int], lines: Sequence[int]) -> None:
    if len(kept) < GROUP_LINES:
        kept.extend(lines[: GROUP_LINES - len(kept)])


def _shifted(issue: Issue, shift: int) -> Issue:
    if issue.line is None or not shift:
        return issue
    return replace(issue, line=issue.line + shift)


class Tally:
    """Counts, flags and statistics of one file (the server report's booleans among them)."""

    __slots__ = ("blank_lines", "chars", "format_lines", "formats", "has_message_weights",
                 "has_parallel_tool_calls", "has_reasoning", "has_sample_weights", "has_tools",
                 "is_multimodal", "messages", "nlines", "tokens")

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
        self.tokens: TokenTally | None = None  # with --model (validator.models.check)

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
        if other.tokens is not None:
            if self.tokens is None:
                self.tokens = other.tokens.empty()
            self.tokens.merge(other.tokens, shift)
