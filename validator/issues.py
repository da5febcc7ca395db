"""An issue is one data problem, as a value: where it is, which rule, how bad, how to fix."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["Issue", "Severity"]


class Severity(enum.StrEnum):
    """How an issue counts. ``off`` drops it; only ``error`` makes a file invalid."""

    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a file.

    ``line`` is 1-based (blank lines counted) and ``None`` for file-level problems; ``path`` is
    a JSON path such as ``$.messages[2].content`` (``None`` when the whole line or file is meant).
    """

    line: int | None
    path: str | None
    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "path": self.path,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
