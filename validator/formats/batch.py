"""Batch API request lines (SPEC §3): ``{"custom_id", "body", "method"?, "url"?}``.

The body is checked by endpoint (chat completions by ``validator.formats.chat``, audio by
``"method": "FILE"``), not by the fine-tuning rules.

Not a dataset format: a batch file holds requests, so there is no ``dataset_format``. The
``custom_id`` of every line is kept (id -> first line) to find repeats: memory grows with the
number of requests, which the server caps at 50,000.
"""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.chat import check_chat
from validator.formats.describe import describe
from validator.formats.tools import check_tools
from validator.limits import LIMITS

__all__ = ["ALLOWED_KEYS", "check"]

ALLOWED_KEYS = frozenset(("custom_id", "body", "method", "url"))
_MAX_ID = LIMITS.custom_id_max_chars
_MAX_LINE = LIMITS.batch_max_line_bytes


def check(rec: dict[str, Any], out: Collector, tally: Tally, seen: dict[str, int],
          size: int = 0) -> None:
    """One request line of ``size`` bytes; ``seen`` maps each custom_id met so far to its
    first line."""
    if size > _MAX_LINE:
        out.add("batch-line-too-long", None,
                f"request line is {size:,} bytes, over the batch limit of {_MAX_LINE:,} "
                "(base64 included): the upload takes it, but the job fails with \"error reading "
                'input file"; pass large images as https:// URLs or shrink them')
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
    _check_body(rec.get("body"), rec.get("method"), out, tally)


def _check_body(body: Any, method: Any, out: Collector, tally: Tally) -> None:
    """The request by endpoint: chat completions (``messages``), audio (``"method": "FILE"``
    and a ``file`` URL) or a completions-style ``prompt`` (a warning). Other body keys are
    request parameters (``max_tokens``, ``temperature``, ...), not checked."""
    if type(body) is not dict:
        out.add("batch-body", ("body",),
                'body must be an object such as {"model": "...", "messages": [...]}, '
                f"not {describe(body)}")
        return
    model = body.get("model")
    if type(model) is not str or not model:
        out.add("batch-body", ("body", "model"),
                f"body needs a string model name, not {describe(model)}")
    if method == "FILE":
        file = body.get("file")
        if type(file) is not str or not file.startswith(("https://", "http://")):
            what = "has no file" if "file" not in body else f"has file {describe(file)}"
            out.add("batch-body", ("body", "file"),
                    f'an audio request ("method": "FILE") {what}: body needs "file", the URL '
                    'of the audio file, such as "https://example.com/audio.mp3"')
    elif "messages" in body:
        if "tools" in body:
            check_tools(body["tools"], ("body", "tools"), out)
        check_chat(body["messages"], ("body", "messages"), out, tally)
    elif "prompt" in body:
        out.add("batch-prompt", ("body", "prompt"),
                "a prompt body is a completions request, which is not a batch endpoint: write "
                'it as a chat request, "messages": [{"role": "user", "content": <prompt>}]')
    else:
        out.add("batch-body", ("body",),
                'body needs "messages" (a chat completions request), or "file" with '
                '"method": "FILE" (an audio transcription or translation)')
