"""Batch API request lines (SPEC §3): ``{"custom_id", "body", "method"?, "url"?}``.

Not a dataset format: a batch file holds requests, so there is no ``dataset_format``. The
``custom_id`` of every line is kept (id -> first line) to find repeats: memory grows with the
number of requests, which the server caps at 50,000.
"""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.describe import describe
from validator.formats.messages import check_messages
from validator.formats.tools import check_tools
from validator.limits import LIMITS

__all__ = ["ALLOWED_KEYS", "check"]

ALLOWED_KEYS = frozenset(("custom_id", "body", "method", "url"))
_MAX_ID = LIMITS.custom_id_max_chars


def check(rec: dict[str, Any], out: Collector, tally: Tally, seen: dict[str, int]) -> None:
    """One request line; ``seen`` maps each custom_id met so far to its first line."""
    cid = rec.get("custom_id")
    if type(cid) is not str or not 1 <= len(cid) <= _MAX_ID:
        what = "is missing" if "custom_id" not in rec else f"is {describe(cid)}"
        out.add("batch-custom-id", ("custom_id",),
                f"custom_id {what}: each request needs a string custom_id of 1 to {_MAX_ID} "
                "characters, unique in the file")
    elif cid in seen:
        out.add("batch-custom-id-duplicate", ("custom_id",),
                f"custom_id {cid!r} is already used on line {seen[cid]}: make each one unique")
    elif out.line is not None:
        seen[cid] = out.line
    for key in ("method", "url"):
        if key in rec and type(rec[key]) is not str:
            out.add("batch-method", (key,), f"{key} must be a string, not {describe(rec[key])}")
    for key in rec:
        if key not in ALLOWED_KEYS:
            out.add("key-unknown", (key,),
                    f"key {key!r} is not part of a batch request: trim it")
    _check_body(rec.get("body"), out, tally)


def _check_body(body: Any, out: Collector, tally: Tally) -> None:
    if type(body) is not dict:
        out.add("batch-body", ("body",),
                'body must be an object such as {"model": "...", "messages": [...]}, '
                f"not {describe(body)}")
        return
    model = body.get("model")
    if type(model) is not str or not model:
        out.add("batch-body", ("body", "model"),
                f"body needs a string model name, not {describe(model)}")
    if "messages" in body:
        declared = check_tools(body["tools"], ("body", "tools"), out) if "tools" in body else None
        result = check_messages(body["messages"], ("body", "messages"), out, tally, declared,
                                need_assistant=False, complete=False)
        if result is not None:
            tally.messages.add(result[0])
            tally.chars.add(result[1])
    elif "prompt" in body:
        prompt = body["prompt"]
        if type(prompt) is not str:
            out.add("batch-body", ("body", "prompt"),
                    f"prompt must be a string, not {describe(prompt)}")
        else:
            tally.chars.add(len(prompt))
    else:
        out.add("batch-body", ("body",),
                "body needs messages (a chat request) or prompt (a completion request)")
