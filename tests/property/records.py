"""Strategies for valid data, built to SPEC.md: records of every format (SPEC §2), with
real PNG images, declared tools and matching tool calls, and batch-api request files (SPEC §3).
"""

from __future__ import annotations

import base64
import copy
import json
import struct
import zlib
from typing import Any

from hypothesis import strategies as st

FORMATS = ("conversation", "instruction", "general", "preference_openai")

Record = dict[str, Any]
Message = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Images: real PNGs, built once
# --------------------------------------------------------------------------------------------

def _png(width: int, height: int, seed: int) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + bytes((x * 31 + y * 17 + seed + c * 80) % 256
                        for x in range(width) for c in range(3))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


IMAGE_URLS = tuple(
    "data:image/png;base64," + base64.b64encode(_png(w, h, w * h)).decode()
    for w, h in ((1, 1), (2, 3), (8, 8))
)
MAX_IMAGES = 10  # per message and per sample (SPEC §2.4)
image_parts: st.SearchStrategy[dict[str, Any]] = st.builds(
    lambda url: {"type": "image_url", "image_url": {"url": url}}, st.sampled_from(IMAGE_URLS)
)


# --------------------------------------------------------------------------------------------
# (a) Strategies for valid records, one per format
# --------------------------------------------------------------------------------------------

texts = st.text(max_size=30)
nonblank_texts = st.tuples(texts, st.sampled_from("abcxyz019?é"), texts).map("".join)
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
# a sample weight of 0 is valid but warned about (sample-weight-zero): not drawn here
sample_weights = st.integers(1, 10**6) | st.floats(
    min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False, exclude_min=True
)
# small JSON values for tool arguments when no schema constrains them
json_leaves = (st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts
               | st.floats(allow_nan=False, allow_infinity=False))


def _small_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)


small_json = st.recursive(json_leaves, _small_containers, max_leaves=6)

# property kind -> (its JSON Schema, a strategy for values matching it)
PROPERTY_KINDS: dict[str, tuple[dict[str, Any], st.SearchStrategy[Any]]] = {
    "string": ({"type": "string"}, texts),
    "integer": ({"type": "integer"}, st.integers(-(2**53), 2**53)),
    "number": ({"type": "number"},
               st.integers(-1000, 1000) | st.floats(allow_nan=False, allow_infinity=False)),
    "boolean": ({"type": "boolean"}, st.booleans()),
    "enum": ({"type": "string", "enum": ["low", "medium", "high"]},
             st.sampled_from(["low", "medium", "high"])),
    "bounded": ({"type": "integer", "minimum": 1, "maximum": 10}, st.integers(1, 10)),
    "array": ({"type": "array", "items": {"type": "string"}}, st.lists(texts, max_size=3)),
    "object": ({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
               st.fixed_dictionaries({"q": texts})),
}


class Tool:
    """A declared tool: its definition and a strategy for arguments that match it."""

    def __init__(self, definition: dict[str, Any], arguments: st.SearchStrategy[dict[str, Any]]):
        self.definition = definition
        self.arguments = arguments

    @property
    def name(self) -> str:
        name = self.definition["function"]["name"]
        assert isinstance(name, str)
        return name


@st.composite
def tools(draw: st.DrawFn, name: str) -> Tool:
    function: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        function["description"] = draw(texts)
    arguments: st.SearchStrategy[dict[str, Any]] = st.dictionaries(texts, small_json, max_size=3)
    if draw(st.integers(0, 4)):  # usually a parameters schema
        props = draw(st.dictionaries(identifiers, st.sampled_from(sorted(PROPERTY_KINDS)),
                                     max_size=4))
        required = sorted(draw(st.sets(st.sampled_from(sorted(props)))) if props else set())
        closed = draw(st.booleans())
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p: copy.deepcopy(PROPERTY_KINDS[k][0]) for p, k in props.items()},
        }
        if required:
            schema["required"] = required
        if closed:
            schema["additionalProperties"] = False
        function["parameters"] = schema
        optional = {p: PROPERTY_KINDS[k][1] for p, k in props.items() if p not in required}
        arguments = st.fixed_dictionaries(
            {p: PROPERTY_KINDS[props[p]][1] for p in required}, optional=optional
        )
    return Tool({"type": "function", "function": function}, arguments)


@st.composite
def tool_lists(draw: st.DrawFn) -> list[Tool]:
    names = draw(st.lists(identifiers, min_size=1, max_size=3, unique=True))
    return [draw(tools(name)) for name in names]


class Builder:
    """Draws the messages of one sample, keeping the sample-wide rules: one content form
    (strings or part lists), at most 10 images, unique tool call ids, images only in user
    messages and never with weight 1."""

    def __init__(self, draw: st.DrawFn, declared: list[Tool] | None, *, parts: bool,
                 calls: bool, weights: bool, reasoning: bool, force_image: bool = False,
                 force_call: bool = False):
        self.draw = draw
        self.force_image = force_image  # the first user message holds an image
        self.force_call = force_call  # the first exchange makes a tool call
        self.declared = declared
        self.parts = parts
        self.calls = calls
        self.weights = weights
        self.reasoning = reasoning
        self.images = 0
        self.next_id = 0

    def content(self, role: str) -> str | list[dict[str, Any]]:
        draw = self.draw
        if not self.parts:
            return draw(texts)
        content: list[dict[str, Any]] = [
            {"type": "text", "text": t} for t in draw(st.lists(texts, min_size=1, max_size=2))
        ]
        if role == "user":
            least = 1 if self.force_image and self.images == 0 else 0
            n = draw(st.integers(least, min(2, MAX_IMAGES - self.images)))
            self.images += n
            for _ in range(n):
                content.insert(draw(st.integers(0, len(content))), draw(image_parts))
        return content

    def message(self, role: str) -> Message:
        content = self.content(role)
        m: Message = {"role": role, "content": content}
        self._extras(m, has_image=isinstance(content, list)
                     and any(p["type"] == "image_url" for p in content))
        return m

    def _extras(self, m: Message, *, has_image: bool = False) -> None:
        draw = self.draw
        if self.weights and draw(st.booleans()):
            m["weight"] = 0 if has_image else draw(st.sampled_from([0, 1]))
        if self.reasoning and m["role"] == "assistant" and draw(st.booleans()):
            m[draw(st.sampled_from(["reasoning", "reasoning_content"]))] = draw(texts)

    def tool_calls(self) -> list[dict[str, Any]]:
        draw = self.draw
        calls = []
        for _ in range(draw(st.integers(1, 3))):
            if self.declared:
                tool = draw(st.sampled_from(self.declared))
                name, args = tool.name, draw(tool.arguments)
            else:
                name, args = draw(identifiers), draw(st.dictionaries(texts, small_json, max_size=3))
            self.next_id += 1
            cid = f"call_{self.next_id}{draw(st.text(max_size=4))}"
            calls.append({"id": cid, "type": "function",
                          "function": {"name": name, "arguments": json.dumps(args)}})
        return calls

    def calling_assistant(self) -> Message:
        """An assistant message with tool calls; content may be left out, null or present."""
        draw = self.draw
        m: Message = {"role": "assistant"}
        how = draw(st.sampled_from(["absent", "null", "present"]))
        if how == "null":
            m["content"] = None
        elif how == "present":
            m["content"] = self.content("assistant")
        m["tool_calls"] = self.tool_calls()
        self._extras(m)
        return m

    def exchange(self) -> list[Message]:
        """User turn, then zero or more tool rounds, then the assistant's answer."""
        out = [self.message("user")]
        rounds = self.draw(st.integers(0, 2)) if self.calls else 0
        if self.force_call and self.next_id == 0:
            rounds = max(rounds, 1)
        for _ in range(rounds):
            call = self.calling_assistant()
            out.append(call)
            for c in self.draw(st.permutations(call["tool_calls"])):
                answer = {"role": "tool", "tool_call_id": c["id"], "content": self.content("tool")}
                self._extras(answer)
                out.append(answer)
        out.append(self.message("assistant"))
        return out

    def conversation(self, *, system: bool, exchanges: int) -> list[Message]:
        messages = [self.message("system")] if system else []
        for _ in range(exchanges):
            messages.extend(self.exchange())
        return messages


def _train_something(messages: list[Message]) -> None:
    """At least one assistant message must train (SPEC §2.1 nothing-trained)."""
    assistants = [m for m in messages if m["role"] == "assistant"]
    if assistants and all(m.get("weight", 1) == 0 for m in assistants):
        assistants[-1]["weight"] = 1


@st.composite
def conversation_records(draw: st.DrawFn, *, image: bool = False, call: bool = False) -> Record:
    """A valid conversation sample; ``image`` / ``call``: sure to hold an image / a tool call."""
    declared = draw(st.none() | tool_lists())
    b = Builder(draw, declared, parts=image or draw(st.booleans()),
                calls=call or declared is not None or draw(st.booleans()),
                weights=draw(st.booleans()), reasoning=draw(st.booleans()),
                force_image=image, force_call=call)
    messages = b.conversation(system=draw(st.booleans()), exchanges=draw(st.integers(1, 3)))
    _train_something(messages)
    rec: Record = {"messages": messages}
    if declared is not None:
        rec["tools"] = [t.definition for t in declared]
    return _with_sample_weight(draw, rec)


@st.composite
def instruction_records(draw: st.DrawFn) -> Record:
    if draw(st.booleans()):
        rec = {"prompt": draw(texts), "completion": draw(nonblank_texts)}
        return _with_sample_weight(draw, rec)
    prompt: list[dict[str, Any]] = [
        {"type": "text", "text": t} for t in draw(st.lists(texts, max_size=2))
    ]
    for _ in range(draw(st.integers(0 if prompt else 1, 3))):
        prompt.insert(draw(st.integers(0, len(prompt))), draw(image_parts))
    completion = [{"type": "text", "text": t}
                  for t in draw(st.lists(nonblank_texts, min_size=1, max_size=2))]
    return _with_sample_weight(draw, {"prompt": prompt, "completion": completion})


@st.composite
def general_records(draw: st.DrawFn) -> Record:
    return _with_sample_weight(draw, {"text": draw(st.text(max_size=200))})


@st.composite
def preference_records(draw: st.DrawFn) -> Record:
    declared = draw(st.none() | tool_lists())
    b = Builder(draw, declared, parts=draw(st.booleans()),
                calls=declared is not None or draw(st.booleans()),
                weights=False, reasoning=draw(st.booleans()))
    messages = b.conversation(system=draw(st.booleans()), exchanges=draw(st.integers(0, 2)))
    messages.append(b.message("user"))  # the outputs answer this
    data: dict[str, Any] = {"messages": messages}
    if declared is not None:
        data["tools"] = [t.definition for t in declared]

    def output() -> list[Message]:
        if b.calls and draw(st.integers(0, 3)) == 0:
            m: Message = {"role": "assistant", "tool_calls": b.tool_calls()}
            if draw(st.booleans()):
                m["content"] = b.content("assistant")
        else:
            m = {"role": "assistant", "content": b.content("assistant")}
        if b.reasoning and draw(st.booleans()):
            m["reasoning"] = draw(texts)
        return [m]

    preferred, rejected = output(), output()
    if preferred == rejected:  # identical outputs are a warning (preference-identical)
        rejected[0]["reasoning"] = "other than " + str(preferred[0].get("reasoning"))
    rec = {"input": data, "preferred_output": preferred, "non_preferred_output": rejected}
    return _with_sample_weight(draw, rec)


def _with_sample_weight(draw: st.DrawFn, rec: Record) -> Record:
    if draw(st.booleans()):
        rec["weight"] = draw(sample_weights)
    return rec


RECORDS: dict[str, st.SearchStrategy[Record]] = {
    "conversation": conversation_records(),
    "instruction": instruction_records(),
    "general": general_records(),
    "preference_openai": preference_records(),
}


@st.composite
def batch_requests(draw: st.DrawFn, custom_id: str) -> Record:
    """A batch-api request line (SPEC §3): a chat request (messages, tools) or an audio
    request (``"method": "FILE"``, a file URL), with the usual request options beside them."""
    body: Record = {"model": draw(st.sampled_from(["meta-llama/Llama-3.3-70B-Instruct-Turbo",
                                                   "Qwen/Qwen2.5-7B-Instruct", "m"]))}
    if draw(st.booleans()):
        declared = draw(st.none() | tool_lists())
        b = Builder(draw, declared, parts=draw(st.booleans()),
                    calls=declared is not None or draw(st.booleans()),
                    weights=False, reasoning=False)
        messages = b.conversation(system=draw(st.booleans()), exchanges=draw(st.integers(0, 2)))
        messages.append(b.message("user"))  # the request asks for the next assistant turn
        body["messages"] = messages
        if declared is not None:
            body["tools"] = [t.definition for t in declared]
    else:
        body["file"] = "https://example.com/audio/" + draw(identifiers) + ".mp3"
    if draw(st.booleans()):
        body["max_tokens"] = draw(st.integers(1, 4096))
    if draw(st.booleans()):
        body["temperature"] = draw(st.floats(0, 2))
    rec: Record = {"custom_id": custom_id, "body": body}
    if "file" in body:
        rec["method"] = "FILE"
    elif draw(st.booleans()):
        rec["method"] = "POST"
    if draw(st.booleans()):
        rec["url"] = "/v1/chat/completions" if "messages" in body else "/v1/audio/transcriptions"
    return rec


@st.composite
def batch_files(draw: st.DrawFn) -> tuple[list[Record], bytes]:
    ids = draw(st.lists(st.text(min_size=1, max_size=64), min_size=1, max_size=4, unique=True))
    records = [draw(batch_requests(cid)) for cid in ids]
    return records, "\n".join(json.dumps(r) for r in records).encode("utf-8")


@st.composite
def valid_files(draw: st.DrawFn) -> tuple[str, list[Record], bytes]:
    """A file of one format: 1-4 lines, LF or CRLF endings, final newline or not."""
    fmt = draw(st.sampled_from(FORMATS))
    records = draw(st.lists(RECORDS[fmt], min_size=1, max_size=4))
    ascii_only = draw(st.booleans())
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(json.dumps(r, ensure_ascii=ascii_only) for r in records)
    if draw(st.booleans()):
        text += eol
    return fmt, records, text.encode("utf-8")
