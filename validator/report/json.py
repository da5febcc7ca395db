"""``--output json``: ``{"files": [{"path", "validation_report", "issues", "stats"}]}``."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from validator.report import Report

__all__ = ["render"]


def render(reports: Sequence[Report]) -> str:
    doc = {"files": [r.to_dict() for r in reports]}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
