"""An issue is one data problem, as a value: where it is, which rule, how bad, how to fix.

Where it is: the 1-based ``line`` and a :data:`Location`, the keys and indexes from the
record's root down to the offending value. :func:`json_path` is the one place a location
becomes text (``$.messages[2].content``; keys that are not identifiers are quoted,
``$["a b"]``), so every renderer and sidecar spells paths alike.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.rules.codes import Code

__all__ = ["GROUP_LINES", "Issue", "Location", "Severity", "json_path"]

GROUP_LINES = 10
"""How many lines a group of identical issues names; the rest are only counted."""


class Severity(enum.StrEnum):
    """How an issue counts. ``off`` drops it; only ``error`` makes a file invalid."""

    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


Location = tuple[str | int, ...]
"""Keys (str) and list indexes (int) from a record's root: ``("messages", 2, "content")``."""


def json_path(location: Location | None, root: str = "$") -> str | None:
    """``location`` as a JSON path from ``root``: ``$.messages[2].content``, ``$["a b"]``."""
    if location is None:
        return None
    parts = [root]
    for step in location:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step.isidentifier():
            parts.append(f".{step}")
        else:
            import json  # noqa: PLC0415 - a quoted key is rare; json costs ~2 ms to import

            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a file.

    ``line`` is 1-based (blank lines counted) and ``None`` for file-level problems;
    ``location`` the place in the record (``None`` when the whole line or file is meant), and
    ``path`` the same as a JSON path such as ``$.messages[2].content``.

    A report groups identical issues (same code, path and message): ``line`` is the first
    line of the group, ``count`` how many there were, and ``lines`` their first lines (up to
    :data:`GROUP_LINES`; empty for a single issue, see :attr:`first_lines`).
    """

    line: int | None
    location: Location | None
    code: Code
    severity: Severity
    message: str
    count: int = 1
    lines: tuple[int, ...] = ()

    @property
    def first_lines(self) -> tuple[int, ...]:
        """The lines this issue (or group) was found on, up to :data:`GROUP_LINES` of them."""
        if self.lines:
            return self.lines
        return () if self.line is None else (self.line,)

    @property
    def path(self) -> str | None:
        return json_path(self.location)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "path": self.path,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "count": self.count,
            "lines": list(self.first_lines),
        }
