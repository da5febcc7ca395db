"""``--output github``: GitHub Actions workflow commands, so issues show on the pull request."""

from __future__ import annotations

from collections.abc import Sequence

from validator.issues import Severity
from validator.report import Report
from validator.report.text import repeats, summary

__all__ = ["render"]


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(reports: Sequence[Report]) -> str:
    lines: list[str] = []
    for report in reports:
        for issue in report.issues:
            kind = "error" if issue.severity is Severity.ERROR else "warning"
            props = [f"file={_prop(report.path)}"]
            if issue.line is not None:
                props.append(f"line={issue.line}")
            props.append(f"title={_prop('ftdata ' + issue.code)}")
            where = f"{issue.path}: " if issue.path else ""
            lines.append(f"::{kind} {','.join(props)}::"
                         f"{_data(where + issue.message + repeats(issue))}")
        if report.omitted:
            lines.append(f"::notice file={_prop(report.path)}::{report.omitted} more issues "
                         "not shown; raise --max-errors to see them")
        lines.append(summary(report))
    return "\n".join(lines) + "\n"
