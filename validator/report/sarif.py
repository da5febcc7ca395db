"""``--output sarif``: a SARIF 2.1.0 log, for GitHub code scanning and other SARIF readers.

One run: ``tool.driver`` is ftdata with every rule of the registry (id, summary, why, fix,
default level), and each issue is a result with its ``ruleId``, ``level`` (``error`` or
``warning``) and a ``physicalLocation``: the file, and ``region.startLine`` when the issue has
a line. A group of identical issues (``Issue.count``) becomes one result per line it names, so
each shows at its line; when the group is bigger than the lines it names (see
:data:`~validator.issues.GROUP_LINES`), each of those results says how many there were in all.
Issues left out by ``--max-errors`` are a notification of the run's invocation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import orjson

from validator.issues import Issue, Severity
from validator.report import Report

__all__ = ["SCHEMA_URI", "render"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    from validator.rules import rules  # noqa: PLC0415 - the registry's text, read only here

    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for code, rule in rules().items():
        index[code] = len(descriptors)
        descriptors.append({
            "id": code,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why},
            "help": {"text": rule.fix, "markdown": rule.fix},
            "defaultConfiguration": {"level": _level(rule.severity)},
        })
    return descriptors, index


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _uri(path: str) -> str:
    """A URI reference for ``path``: relative paths stay relative (as code scanning wants,
    from the repository root), absolute ones become ``file://`` URIs."""
    from urllib.parse import quote  # noqa: PLC0415

    if os.path.isabs(path):
        return "file://" + quote(path.replace(os.sep, "/"))
    return quote(path.replace(os.sep, "/"))


def _location(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _results(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for issue in report.issues:
        text = f"{issue.path}: {issue.message}" if issue.path else issue.message
        lines: Sequence[int | None] = issue.first_lines or (None,)
        if issue.count > len(lines):
            shown = f"the first {len(lines)} are listed" if issue.first_lines else "no line"
            text += f" ({issue.count:,} identical issues in this file; {shown})"
        results.extend(_result(report.path, issue, line, text, index) for line in lines)
    return results


def _result(path: str, issue: Issue, line: int | None, text: str,
            index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": issue.code}
    if issue.code in index:
        result["ruleIndex"] = index[issue.code]
    result["level"] = _level(issue.severity)
    result["message"] = {"text": text}
    result["locations"] = [_location(path, line)]
    return result


def render(reports: Sequence[Report]) -> str:
    from validator import __version__  # noqa: PLC0415 - validator imports this module

    descriptors, index = _rules()
    results = [result for report in reports for result in _results(report, index)]
    notes = [{"level": "note",
              "message": {"text": f"{report.omitted:,} more issues not shown; raise "
                                  "--max-errors to see them"},
              "locations": [_location(report.path, None)]}
             for report in reports if report.omitted]
    invocation: dict[str, Any] = {"executionSuccessful": all(r.readable for r in reports)}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ftdata", "version": __version__,
                                "semanticVersion": __version__, "rules": descriptors}},
            "invocations": [invocation],
            "results": results,
        }],
    }
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode() + "\n"
