"""conversation samples (SPEC §2.1-2.4): ``messages`` and optional ``tools``.

The message list checks are shared with preference and batch lines: see
:mod:`validator.formats.messages`.
"""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.messages import Messages, check_messages
from validator.formats.tools import check_tools

__all__ = ["Messages", "check", "check_messages"]


def check(rec: dict[str, Any], out: Collector, tally: Tally) -> None:
    """A conversation sample: ``messages`` and optional ``tools``."""
    declared = None
    if "tools" in rec:
        tools = rec["tools"]
        declared = check_tools(tools, ("tools",), out)
        if tools:
            tally.has_tools = True
    result = check_messages(rec["messages"], ("messages",), out, tally, declared)
    if result is not None:
        tally.messages.add(result[0])
        tally.chars.add(result[1])
