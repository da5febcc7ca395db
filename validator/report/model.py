"""The report: the server's ``validation_report`` field for field, plus every issue and stats.

A report is plain data. Renderers (``validator.report.renderers``) turn it into text, JSON or GitHub
annotations; nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validator.issues import Issue, Severity

__all__ = ["SERVER_FIELDS", "Report"]

SERVER_FIELDS = (
    "valid",
    "dataset_format",
    "dataset_has_sample_weights",
    "dataset_has_message_weights",
    "dataset_is_multimodal",
    "dataset_has_tools",
    "dataset_has_parallel_tool_calls",
    "dataset_has_reasoning",
    "nlines",
    "file_id",
    "error_type",
    "error",
)


@dataclass
class Report:
    """What ftdata found in one file."""

    path: str
    purpose: str
    dataset_format: str | None = None
    nlines: int = 0
    dataset_has_sample_weights: bool = False
    dataset_has_message_weights: bool = False
    dataset_is_multimodal: bool = False
    dataset_has_tools: bool = False
    dataset_has_parallel_tool_calls: bool = False
    dataset_has_reasoning: bool = False
    file_id: str | None = None
    issues: list[Issue] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    first_error: Issue | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    readable: bool = True  # False: the file could not be read at all (CLI exit 2)

    @property
    def valid(self) -> bool:
        """No errors (warnings do not count)."""
        return self.errors == 0

    @property
    def error_type(self) -> str | None:
        return None if self.valid else "INVALID_FORMAT"

    @property
    def error(self) -> str | None:
        """The first error as the server words it: ``Line N: <message>`` (the message alone for
        a file-level error). The issue's path is in ``issues``, not here."""
        issue = self.first_error
        if issue is None:
            return None
        return issue.message if issue.line is None else f"Line {issue.line}: {issue.message}"

    @property
    def omitted(self) -> int:
        """Issues counted but not kept (over --max-errors); a group counts all it holds."""
        return self.errors + self.warnings - sum(i.count for i in self.issues)

    def to_server_dict(self) -> dict[str, Any]:
        """Exactly the twelve fields of the server's ``validation_report``, in its order."""
        return {name: getattr(self, name) for name in SERVER_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """The file's entry in ``ftdata validate --output json``."""
        return {
            "path": self.path,
            "validation_report": self.to_server_dict(),
            "issues": [i.to_dict() for i in self.issues],
            "stats": {
                "purpose": self.purpose,
                "errors": self.errors,
                "warnings": self.warnings,
                "issues_omitted": self.omitted,
                "issues_by_code": dict(sorted(self.by_code.items())),
                **self.stats,
            },
        }

    @classmethod
    def unreadable(cls, path: str, purpose: str, reason: str) -> Report:
        """The report for a file that cannot be read at all."""
        issue = Issue(None, None, "file-unreadable", Severity.ERROR, reason)
        return cls(path=path, purpose=purpose, issues=[issue], errors=1,
                   by_code={"file-unreadable": 1}, first_error=issue, readable=False)
