"""One sample as ``ftdata stats`` reads it, without judging it: its texts (with their roles),
messages, turns and what it uses (tools, reasoning, images, weights).

:func:`read_sample` reads one parsed JSONL record (a fine-tune sample of a detected format, a
batch request, an eval or calibration row) into a :class:`Sample`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

__all__ = ["Sample", "read_sample", "row_sample"]


def _digest(data: bytes) -> int:
    """A 64-bit hash of ``data`` (blake2b): two different samples share one with a chance
    of about 1 in 2**64 per pair; the same in every process, so tables can be compared."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class Sample:
    """What one sample holds, read without judging it."""

    __slots__ = ("fmt", "images", "n_messages", "nothing_trained", "parallel_tool_calls",
                 "prompt_end", "reasoning", "roles", "texts", "tools", "turns", "weights")

    def __init__(self, fmt: str = "") -> None:
        self.fmt = fmt
        self.texts: list[str] = []
        self.roles: list[str] = []  # the role of each text ("" outside messages)
        self.prompt_end: int | None = None  # texts before it are the prompt; None: no prompt
        self.n_messages = 0
        self.turns = 0
        self.tools = False
        self.parallel_tool_calls = False
        self.reasoning = False
        self.images = False
        self.weights = False
        self.nothing_trained = False

    def content(self, value: Any, role: str = "") -> None:
        if type(value) is str:
            self.texts.append(value)
            self.roles.append(role)
        elif type(value) is list:
            for part in value:
                if type(part) is dict:
                    if type(part.get("text")) is str:
                        self.texts.append(part["text"])
                        self.roles.append(role)
                    if part.get("type") == "image_url":
                        self.images = True

    def hashes(self, key: bytes) -> tuple[int, int, int | None]:
        """The feature table's hashes: of ``key`` (what an exact duplicate repeats), of the
        normalized text (each part's role and its text case folded, whitespace collapsed),
        of the normalized prompt (the parts before ``prompt_end``)."""
        folded = [f"{role}\x1f{' '.join(text.casefold().split())}"
                  for role, text in zip(self.roles, self.texts, strict=True)]
        end = self.prompt_end
        if end is None:
            whole = "\x1e".join(folded).encode("utf-8", "surrogatepass")
            return _digest(key), _digest(whole), None
        # the prompt starts the whole text: hash it once, then go on from a copy of its state
        prompt = hashlib.blake2b("\x1e".join(folded[:end]).encode("utf-8", "surrogatepass"),
                                 digest_size=8)
        whole_state = prompt.copy()
        if end < len(folded):
            rest = "\x1e".join(folded[end:])
            whole_state.update(f"\x1e{rest}".encode("utf-8", "surrogatepass") if end else
                               rest.encode("utf-8", "surrogatepass"))
        return (_digest(key), int.from_bytes(whole_state.digest(), "little"),
                int.from_bytes(prompt.digest(), "little"))

    def messages(self, messages: Any, tools: Any, *, count: bool = True) -> None:
        if tools:
            self.tools = True
        if type(messages) is not list:
            return
        assistants = trained = 0
        texts, roles = self.texts, self.roles
        for m in messages:
            if type(m) is not dict:
                continue
            if count:
                self.n_messages += 1
            role = m.get("role")
            start = len(texts)
            content = m.get("content")
            if type(content) is str and type(role) is str:  # the common case, inline
                texts.append(content)
                roles.append(role)
            else:
                self.content(content, role if type(role) is str else "")
            if "weight" in m:
                self.weights = True
            if role == "tool":
                self.tools = True
            if role != "assistant":
                continue
            if count:
                self.prompt_end = start  # the messages before the last assistant message
            assistants += 1
            trained += m.get("weight", 1) != 0
            calls = m.get("tool_calls")
            if calls:
                self.tools = True
                if type(calls) is list and len(calls) >= 2:
                    self.parallel_tool_calls = True
            if m.get("reasoning") or m.get("reasoning_content"):
                self.reasoning = True
        if count:
            self.turns += assistants
            if assistants and not trained:
                self.nothing_trained = True


def read_sample(rec: dict[str, Any], reading: str, fmt: str) -> tuple[Sample, bytes | None]:
    """The sample ``rec`` holds, read as ``reading`` (fine-tune samples of format ``fmt``,
    batch requests, or eval and calibration rows), and what an exact duplicate of it repeats:
    None for the line's own bytes, else the bytes to compare (a batch request's body)."""
    if reading == "batch-api":
        body = rec.get("body")
        sample = Sample("batch")
        if type(body) is dict:
            if "messages" in body:
                sample.messages(body.get("messages"), body.get("tools"))
            else:
                sample.content(body.get("prompt"))
        return sample, orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    if reading == "rows":
        return row_sample(_strings(rec)), None
    sample = Sample(fmt)
    if "weight" in rec:
        sample.weights = True
    if fmt == "conversation":
        sample.messages(rec.get("messages"), rec.get("tools"))
    elif fmt == "preference_openai":
        given = rec.get("input")
        if type(given) is dict:
            sample.messages(given.get("messages"), given.get("tools"))
        sample.prompt_end = len(sample.texts)  # the input
        for key in ("preferred_output", "non_preferred_output"):
            sample.messages(rec.get(key), None, count=False)
        sample.turns += 1
    elif fmt == "instruction":
        sample.content(rec.get("prompt"), "prompt")
        sample.prompt_end = len(sample.texts)
        sample.content(rec.get("completion"), "completion")
        sample.turns = 1
    else:
        sample.content(rec.get("text"))
    return sample, None


def row_sample(texts: Iterable[str]) -> Sample:
    """An eval or calibration row: its string values."""
    sample = Sample("row")
    for text in texts:
        sample.content(text)
    return sample


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if type(value) is str:
        yield value
    elif depth < 32 and type(value) in (dict, list):
        for item in value.values() if type(value) is dict else value:
            yield from _strings(item, depth + 1)
