"""The record generators, one per dataset: each takes the dataset's RNG and the record's
index and returns one record that ftdata accepts with no error and no warning."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.content import _SYSTEM_PROMPTS, Message, Record, _image_urls, _sentence, _text
from benchmarks.tools import _TOOLS, _arguments, _call_id

# --- conversational --------------------------------------------------------------------------


def _conversational(rng: random.Random, _index: int) -> Record:
    weighted = rng.random() < 0.5
    messages: list[Message] = []
    if rng.random() < 0.8:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    turns = rng.randint(1, 5)
    for turn in range(turns):
        messages.append({"role": "user", "content": _text(rng, 60, 900)})
        messages.append({"role": "assistant", "content": _text(rng, 300, 3500)})
        if weighted:
            messages[-2]["weight"] = 0
            # earlier answers may be left out of training; the last one always trains
            messages[-1]["weight"] = 1 if turn == turns - 1 else rng.randint(0, 1)
    if weighted and messages[0]["role"] == "system":
        messages[0]["weight"] = 0
    return {"messages": messages}


# --- mixed: tools, parallel calls, reasoning, images -----------------------------------------


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _assistant(rng: random.Random, content: Any, *, reasoning: bool = True) -> Message:
    msg: Message = {"role": "assistant", "content": content}
    if reasoning:
        key = "reasoning" if rng.random() < 0.8 else "reasoning_content"
        msg[key] = _text(rng, 80, 600)
    return msg


def _tool_sample(rng: random.Random, parallel: bool) -> Record:
    tools = rng.sample(_TOOLS, rng.randint(2, 5))
    names = [t["function"]["name"] for t in tools]
    messages: list[Message] = []
    if rng.random() < 0.6:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    for _step in range(rng.randint(1, 2)):
        messages.append({"role": "user", "content": _text(rng, 40, 400)})
        for _round in range(rng.randint(1, 2)):
            n_calls = rng.randint(2, min(3, len(names))) if parallel else 1
            calls = [{"id": _call_id(rng), "type": "function",
                      "function": {"name": name, "arguments": _dumps(_arguments(rng, name))}}
                     for name in rng.sample(names, n_calls)]
            call: Message = {"role": "assistant", "tool_calls": calls}
            if rng.random() < 0.3:
                call["content"] = None
            elif rng.random() < 0.3:
                call["content"] = _sentence(rng)
            if rng.random() < 0.7:
                call["reasoning"] = _text(rng, 60, 300)
            messages.append(call)
            for c in calls:
                result = {"ok": True, "result": _text(rng, 40, 300), "n": rng.randint(0, 99)}
                messages.append({"role": "tool", "tool_call_id": c["id"],
                                 "content": _dumps(result)})
        messages.append(_assistant(rng, _text(rng, 200, 1500)))
    return {"tools": tools, "messages": messages}


def _parts(text: str) -> list[Record]:
    return [{"type": "text", "text": text}]


def _image_sample(rng: random.Random, images: list[str]) -> Record:
    """Every message uses content-part lists (a sample may not mix the two forms)."""
    messages: list[Message] = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": _parts(rng.choice(_SYSTEM_PROMPTS))})
    for turn in range(rng.randint(1, 3)):
        parts = _parts(_text(rng, 30, 300))
        if turn == 0 or rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                parts.append({"type": "image_url", "image_url": {"url": rng.choice(images)}})
        user: Message = {"role": "user", "content": parts}
        if rng.random() < 0.5:
            user["weight"] = 0  # a message with an image may have weight 0, never 1
        messages.append(user)
        messages.append(_assistant(rng, _parts(_text(rng, 100, 1200)),
                                   reasoning=rng.random() < 0.5))
    return {"messages": messages}


def _mixed_maker() -> Callable[[random.Random, int], Record]:
    images: list[str] = []

    def make(rng: random.Random, index: int) -> Record:
        if not images:  # drawn from the dataset's RNG on the first record: deterministic
            images.extend(_image_urls(rng))
        kind = index % 4
        if kind == 0:
            return _tool_sample(rng, parallel=False)
        if kind == 1:
            return _tool_sample(rng, parallel=True)
        if kind == 2:
            return _image_sample(rng, images)
        # a plain chat with reasoning, tools declared but not called
        record = _conversational(rng, index)
        for m in record["messages"]:
            if m["role"] == "assistant":
                m["reasoning"] = _text(rng, 80, 500)
        record["tools"] = rng.sample(_TOOLS, rng.randint(1, 3))
        return record

    return make


# --- instruction, preference -----------------------------------------------------------------


def _instruction(rng: random.Random, _index: int) -> Record:
    prompt = _text(rng, 100, 1500)
    if rng.random() < 0.3:
        prompt = rng.choice(_SYSTEM_PROMPTS) + "\n\n" + prompt
    return {"prompt": prompt, "completion": _text(rng, 200, 2500)}


def _preference(rng: random.Random, _index: int) -> Record:
    messages: list[Message] = []
    if rng.random() < 0.6:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    for _ in range(rng.randint(0, 2)):
        messages.append({"role": "user", "content": _text(rng, 40, 500)})
        messages.append({"role": "assistant", "content": _text(rng, 100, 1000)})
    messages.append({"role": "user", "content": _text(rng, 40, 600)})
    good = _text(rng, 200, 2000)
    bad = _text(rng, 50, 1200)
    return {"input": {"messages": messages},
            "preferred_output": [{"role": "assistant", "content": good}],
            "non_preferred_output": [{"role": "assistant", "content": bad}]}


# --- ASCII variants: the same records with every non-ASCII character made a Latin letter ------
# Building Python strings from non-ASCII text is most of what JSON parsing costs, so speed on
# ASCII and on multilingual text differ: the variants show both on the same structure.


def _ascii_text(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c if c < "\x80" else chr(97 + ord(c) % 26) for c in text)


def _ascii(value: Any) -> Any:
    if isinstance(value, str):
        return _ascii_text(value)
    if isinstance(value, list):
        return [_ascii(item) for item in value]
    if isinstance(value, dict):
        return {_ascii_text(key): _ascii(item) for key, item in value.items()}
    return value


def _ascii_maker(maker: Callable[[], Callable[[random.Random, int], Record]],
                 ) -> Callable[[], Callable[[random.Random, int], Record]]:
    def make() -> Callable[[random.Random, int], Record]:
        inner = maker()
        return lambda rng, index: _ascii(inner(rng, index))
    return make


_MAKERS: dict[str, Callable[[], Callable[[random.Random, int], Record]]] = {
    "conversational": lambda: _conversational,
    "mixed": _mixed_maker,
    "instruction": lambda: _instruction,
    "preference": lambda: _preference,
}
_MAKERS["conversational-ascii"] = _ascii_maker(_MAKERS["conversational"])
_MAKERS["mixed-ascii"] = _ascii_maker(_MAKERS["mixed"])
DATASETS = tuple(_MAKERS)
