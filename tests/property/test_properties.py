"""Property tests of the validator against SPEC.md.

(a) Valid data of every format, built to SPEC.md, gives no error and no warning, and the
    report's format and flags match what was generated.
(b) No input makes ``validate_bytes`` raise: arbitrary bytes, JSON-ish text, arbitrary JSON
    values, and valid records with one node replaced by junk, under every purpose. The
    report always has the server's twelve fields, ``nlines`` counts the non-blank lines, and
    under purpose eval a line is accepted exactly when it is one JSON object.
(c) Breaking one thing in a valid record (role "bot", no content, weight 2, ...) raises that
    rule's code, at that line and path, and nowhere else.
(d) File types: bytes validated in memory and the same bytes on disk give the same report;
    each purpose accepts only its file types; gzip/zstd JSONL reads like the plain file, and
    a broken archive is an error, never an exception.
(e) Valid batch-api request files give no issue.

The default run is bounded (about 60 examples per test). For a long run:
``HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/property/test_properties.py``.
"""

from __future__ import annotations

import base64
import copy
import csv
import gzip
import io
import json
import math
import os
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, find, given, note, settings
from hypothesis import strategies as st

from validator import validate_bytes, validate_file
from validator.purposes import PURPOSES
from validator.report import SERVER_FIELDS, Report
from validator.rules import RULES

settings.register_profile(
    "ftdata-default", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Applied per test rather than loaded globally, so other test modules keep their own settings.
PROFILE = settings.get_profile(
    "deep" if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else "ftdata-default"
)

FORMATS = ("CONVERSATION", "INSTRUCTION", "GENERAL", "PREFERENCE_OPENAI")
FLAGS = tuple(f for f in SERVER_FIELDS if f.startswith(("dataset_has_", "dataset_is_")))

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
sample_weights = st.integers(0, 10**6) | st.floats(
    min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False
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
    """A valid CONVERSATION sample; ``image`` / ``call``: sure to hold an image / a tool call."""
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
    "CONVERSATION": conversation_records(),
    "INSTRUCTION": instruction_records(),
    "GENERAL": general_records(),
    "PREFERENCE_OPENAI": preference_records(),
}


@st.composite
def batch_requests(draw: st.DrawFn, custom_id: str) -> Record:
    """A batch-api request line (SPEC §3): a chat request (messages, tools) or a completion
    request (prompt), with the usual sampling options beside them."""
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
        body["prompt"] = draw(texts)
    if draw(st.booleans()):
        body["max_tokens"] = draw(st.integers(1, 4096))
    if draw(st.booleans()):
        body["temperature"] = draw(st.floats(0, 2))
    rec: Record = {"custom_id": custom_id, "body": body}
    if draw(st.booleans()):
        rec["method"] = "POST"
    if draw(st.booleans()):
        rec["url"] = "/v1/chat/completions" if "messages" in body else "/v1/completions"
    return rec


@st.composite
def batch_files(draw: st.DrawFn) -> tuple[list[Record], bytes]:
    ids = draw(st.lists(st.text(min_size=1, max_size=64), min_size=1, max_size=4, unique=True))
    records = [draw(batch_requests(cid)) for cid in ids]
    return records, "\n".join(json.dumps(r) for r in records).encode("utf-8")


@PROFILE
@given(batch_files())
def test_valid_batch_requests_give_no_issue(case: tuple[list[Record], bytes]) -> None:
    records, data = case
    note(data.decode("utf-8"))
    report = validate_bytes(data, purpose="batch-api")
    assert _issues(report) == []
    server = report.to_server_dict()
    assert server["valid"] is True
    assert server["dataset_format"] is None
    assert server["nlines"] == len(records)


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


def expected_flags(records: list[Record]) -> dict[str, bool]:
    """The server report's booleans, computed from SPEC.md §2.2-2.4 definitions."""
    flags = dict.fromkeys(FLAGS, False)

    def content(value: Any) -> None:
        if isinstance(value, list):
            flags["dataset_is_multimodal"] = True

    def messages(ms: list[Message]) -> None:
        for m in ms:
            content(m.get("content"))
            if "weight" in m:
                flags["dataset_has_message_weights"] = True
            calls = m.get("tool_calls")
            if calls is not None or m["role"] == "tool":
                flags["dataset_has_tools"] = True
            if m["role"] == "assistant" and calls is not None and len(calls) >= 2:
                flags["dataset_has_parallel_tool_calls"] = True
            if m["role"] == "assistant" and (m.get("reasoning") or m.get("reasoning_content")):
                flags["dataset_has_reasoning"] = True

    for rec in records:
        if "weight" in rec:
            flags["dataset_has_sample_weights"] = True
        if "messages" in rec:
            messages(rec["messages"])
        if "input" in rec:
            messages(rec["input"]["messages"] + rec["preferred_output"]
                     + rec["non_preferred_output"])
        if rec.get("tools") or ("input" in rec and rec["input"].get("tools")):
            flags["dataset_has_tools"] = True
        for key in ("prompt", "completion", "text"):
            content(rec.get(key))
    return flags


def _issues(report: Report) -> list[tuple[int | None, str | None, str, str]]:
    return [(i.line, i.path, i.code, i.message) for i in report.issues]


@PROFILE
@given(valid_files())
def test_valid_records_give_no_issue(case: tuple[str, list[Record], bytes]) -> None:
    fmt, records, data = case
    note(data.decode("utf-8"))
    report = validate_bytes(data)
    assert _issues(report) == []
    assert (report.errors, report.warnings) == (0, 0)
    server = report.to_server_dict()
    assert server["valid"] is True
    assert server["dataset_format"] == fmt
    assert server["nlines"] == len(records)
    assert {f: server[f] for f in FLAGS} == expected_flags(records)


# The strategies must keep reaching every flag, or (a) would quietly test less.
REACH: dict[str, st.SearchStrategy[Record]] = {
    "dataset_has_sample_weights": conversation_records(),
    "dataset_has_message_weights": conversation_records(),
    "dataset_is_multimodal": conversation_records(),
    "dataset_has_tools": preference_records(),
    "dataset_has_parallel_tool_calls": conversation_records(),
    "dataset_has_reasoning": preference_records(),
}


@pytest.mark.parametrize("flag", FLAGS)
def test_strategies_reach_every_flag(flag: str) -> None:
    found = find(REACH[flag], lambda rec: expected_flags([rec])[flag],
                 settings=settings(max_examples=500, database=None, phases=[Phase.generate]))
    report = validate_bytes(json.dumps(found).encode())
    assert _issues(report) == []
    assert report.to_server_dict()[flag] is True


# --------------------------------------------------------------------------------------------
# (b) Robustness: nothing raises, the report is always well formed
# --------------------------------------------------------------------------------------------

_JSON_WS = b" \t\r\n\f\v"
_BOM = b"\xef\xbb\xbf"


def count_samples(data: bytes) -> int:
    """Non-blank lines: after a leading BOM is set aside, lines holding only whitespace are
    blank (SPEC §2 and §4 nlines)."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    lines = data.split(b"\n")
    return sum(1 for line in lines if line.strip(_JSON_WS))


def check_report(report: Report, data: bytes, purpose: str) -> None:
    server = report.to_server_dict()
    assert tuple(server) == SERVER_FIELDS
    assert len(server) == 12
    assert server["nlines"] == count_samples(data)
    assert server["file_id"] is None
    assert server["valid"] is (report.errors == 0)
    if server["valid"]:
        assert (server["error_type"], server["error"]) == (None, None)
    else:
        assert server["error_type"] == "INVALID_FORMAT"
        assert isinstance(server["error"], str) and server["error"]
    for flag in FLAGS:
        assert type(server[flag]) is bool
    if purpose == "fine-tune":
        assert server["dataset_format"] in (None, *FORMATS)
    else:  # eval and batch data have no dataset format (SPEC §4)
        assert server["dataset_format"] is None
    if purpose == "eval":  # eval lines are only parsed, never looked into (SPEC §3)
        assert not any(server[f] for f in FLAGS)
    nlines_total = data.count(b"\n") + 1
    for issue in report.issues:
        assert issue.code in RULES
        assert issue.severity.value in ("error", "warning")
        assert issue.line is None or 1 <= issue.line <= nlines_total
        assert issue.message
        assert issue.path is None or issue.path.startswith("$")
    counted = sum(report.by_code.values())
    assert counted == report.errors + report.warnings >= len(report.issues)


purposes = st.sampled_from(PURPOSES)


@PROFILE
@given(st.binary(max_size=400), purposes)
def test_arbitrary_bytes_never_raise(data: bytes, purpose: str) -> None:
    check_report(validate_bytes(data, purpose=purpose), data, purpose)


# Fragments that steer random text into the parser's and the checks' corners.
TOKENS = (
    "{", "}", "[", "]", ":", ",", '"', "\\", " ", "\t", "\r", "\n", "\n", "\r\n", "\f",
    '"messages"', '"role"', '"content"', '"user"', '"assistant"', '"tool"', '"system"',
    '"text"', '"prompt"', '"completion"', '"weight"', '"tools"', '"tool_calls"', '"input"',
    '"preferred_output"', '"non_preferred_output"', '"type"', '"image_url"', '"url"',
    '"function"', '"arguments"', '"name"', '"id"', '"tool_call_id"', '"reasoning"',
    '"data:image/png;base64,iVBORw0KGgo="', '"data:image/jpg;base64,AAAA"',
    "0", "1", "-1", "1.0", "2", "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
    "true", "false", "null", "NaN", "Infinity", "-Infinity",
    '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\u0000"', '"é"', '"\u2028"',
    "\ufeff", "\x00", "\x7f",
)
jsonish_text = st.lists(
    st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60
).map("".join)


@PROFILE
@given(jsonish_text, purposes, st.booleans())
def test_jsonish_text_never_raises(text: str, purpose: str, bom: bool) -> None:
    data = (_BOM if bom else b"") + text.encode("utf-8", "surrogatepass")
    check_report(validate_bytes(data, purpose=purpose), data, purpose)


# Keys and strings the validator looks for, so arbitrary values land where checks run.
KEYS = ("messages", "role", "content", "text", "prompt", "completion", "weight", "tools",
        "tool_calls", "type", "image_url", "url", "function", "name", "arguments", "parameters",
        "description", "id", "tool_call_id", "reasoning", "reasoning_content", "input",
        "preferred_output", "non_preferred_output", "properties", "required", "$ref",
        "$schema", "items", "pattern", "enum", "custom_id", "body", "model", "method", "url")
STRINGS = ("system", "user", "assistant", "tool", "bot", "function", "text", "image_url",
           "object", "string", "integer", "{}", "{", '{"a": 1}', "[]", "null", "(",
           "#/definitions/x", "http://json-schema.org/draft-04/schema#", *IMAGE_URLS,
           "data:image/jpeg;base64," + IMAGE_URLS[0].split(",", 1)[1],
           "data:image/webp;base64,UklGRgAAAABXRUJQ", "data:image/png;base64,!!!!",
           "data:image/jpg;base64,AAAA", "https://example.com/cat.png")
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.sampled_from(STRINGS) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0, 1, 2, 0.0, 1.0])
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5
    )


json_values = st.recursive(json_scalars, _containers, max_leaves=25)


def _dumps(value: Any) -> bytes:
    # Python's json writes big integers exactly; orjson cannot. Infinite floats are excluded.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@PROFILE
@given(st.lists(json_values, min_size=1, max_size=4), purposes)
def test_arbitrary_json_values_never_raise(values: list[Any], purpose: str) -> None:
    data = b"\n".join(_dumps(v) for v in values)
    check_report(validate_bytes(data, purpose=purpose), data, purpose)


@st.composite
def format_shaped(draw: st.DrawFn) -> Record:
    """An object with one format's required keys, each holding an arbitrary value."""
    fmt = draw(st.sampled_from(["messages", "prompt completion", "text",
                                "input preferred_output non_preferred_output",
                                "custom_id body"]))
    rec: Record = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=2))
    for key in fmt.split():
        rec[key] = draw(json_values)
    return rec


def _nodes(value: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in a JSON value, parents before children."""
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((value, k))
            _nodes(v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((value, i))
            _nodes(v, out)
    return out


@st.composite
def damaged_records(draw: st.DrawFn) -> Record:
    """A valid record with one node replaced by an arbitrary JSON value or removed."""
    any_record = st.one_of(*RECORDS.values(), batch_files().map(lambda f: f[0][0]))
    rec: Record = json.loads(json.dumps(draw(any_record)))  # a private copy
    nodes = _nodes(rec, [])
    container, key = draw(st.sampled_from(nodes))
    if isinstance(container, dict) and draw(st.integers(0, 3)) == 0:
        del container[key]
    else:
        container[key] = draw(json_values)
    return rec


@PROFILE
@given(st.lists(format_shaped() | damaged_records(), min_size=1, max_size=3), purposes)
def test_damaged_records_never_raise(records: list[Record], purpose: str) -> None:
    data = b"\n".join(_dumps(r) for r in records)
    check_report(validate_bytes(data, purpose=purpose), data, purpose)


def _python_accepts_object(line: bytes) -> bool | None:
    """Is the line one JSON object? None when JSON parsers may fairly disagree: numbers out
    of double range and lone surrogate escapes (RFC 8259 §6 and §8.2 leave both open)."""
    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        text = line.decode("utf-8")
        value = json.loads(text, parse_constant=reject)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    if _has_open_question(value):
        return None
    return isinstance(value, dict)


def _has_open_question(value: Any) -> bool:
    if isinstance(value, float):
        return math.isinf(value)
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_has_open_question(k) or _has_open_question(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_open_question(v) for v in value)
    return False


@PROFILE
@given(st.lists(jsonish_text | json_values.map(lambda v: _dumps(v).decode("utf-8")),
                min_size=1, max_size=4))
def test_eval_accepts_exactly_json_objects(lines: list[str]) -> None:
    """Purpose eval checks one thing per line (SPEC §3): it is one JSON object. Python's json
    module (NaN and Infinity refused) is the oracle for "one JSON object"."""
    raw = [ln.encode("utf-8", "surrogatepass") for ln in "\n".join(lines).split("\n")]
    assume(not raw[0].startswith(_BOM))
    verdicts = [_python_accepts_object(ln) for ln in raw if ln.strip(_JSON_WS)]
    assume(None not in verdicts)
    data = b"\n".join(raw)
    report = validate_bytes(data, purpose="eval")
    check_report(report, data, "eval")
    errors = {(i.line, i.code) for i in report.issues if i.severity.value == "error"}
    expected_valid = bool(verdicts) and all(verdicts)
    assert report.valid is expected_valid, errors


# --------------------------------------------------------------------------------------------
# (c) Mutations: one broken thing gives its code, at its line and path, and only there
# --------------------------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]  # st.DataObject.draw
Mutation = Callable[[Draw, Record], tuple[str, str]]  # -> (expected code, JSON path)


def _pick_message(draw: Draw, rec: Record, ok: Callable[[Message], bool]) -> int:
    candidates = [i for i, m in enumerate(rec["messages"]) if ok(m)]
    assume(candidates)
    index: int = draw(st.sampled_from(candidates))
    return index


def role_bot(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: True)
    rec["messages"][i]["role"] = "bot"
    return "role-invalid", f"$.messages[{i}].role"


def drop_content(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: "tool_calls" not in m)
    del rec["messages"][i]["content"]
    return "content-missing", f"$.messages[{i}]"


def weight_two(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: True)
    rec["messages"][i]["weight"] = draw(st.sampled_from([2, -1, 1.0, 0.5, "1", None]))
    return "weight-invalid", f"$.messages[{i}].weight"


def no_assistant(draw: Draw, rec: Record) -> tuple[str, str]:
    rec["messages"] = [m for m in rec["messages"] if m["role"] in ("system", "user")]
    return "no-assistant", "$.messages"


def sample_weight(draw: Draw, rec: Record) -> tuple[str, str]:
    rec["weight"] = draw(st.sampled_from([-1, -0.5, "1", None, [1], {"w": 1}]))
    return "sample-weight-invalid", "$.weight"


def bad_arguments(draw: Draw, rec: Record) -> tuple[str, str]:
    i = _pick_message(draw, rec, lambda m: bool(m.get("tool_calls")))
    k = draw(st.integers(0, len(rec["messages"][i]["tool_calls"]) - 1))
    fn = rec["messages"][i]["tool_calls"][k]["function"]
    fn["arguments"] = draw(st.sampled_from(["{city: Paris}", "{", "", "{'a': 1}", "[1,]"]))
    return "tool-arguments-invalid", f"$.messages[{i}].tool_calls[{k}].function.arguments"


def jpg_prefix(draw: Draw, rec: Record) -> tuple[str, str]:
    places = [(i, j) for i, m in enumerate(rec["messages"]) if isinstance(m.get("content"), list)
              for j, p in enumerate(m["content"]) if p["type"] == "image_url"]
    assume(places)
    i, j = draw(st.sampled_from(places))
    holder = rec["messages"][i]["content"][j]["image_url"]
    holder["url"] = holder["url"].replace("data:image/png", "data:image/jpg", 1)
    return "image-url-invalid", f"$.messages[{i}].content[{j}].image_url.url"


def image_weight_one(draw: Draw, rec: Record) -> tuple[str, str]:
    places = [i for i, m in enumerate(rec["messages"]) if isinstance(m.get("content"), list)
              and any(p["type"] == "image_url" for p in m["content"])]
    assume(places)
    i = draw(st.sampled_from(places))
    rec["messages"][i]["weight"] = 1
    return "image-weight", f"$.messages[{i}].weight"


MUTATIONS: dict[str, Mutation] = {
    "role-bot": role_bot,
    "drop-content": drop_content,
    "weight-2": weight_two,
    "no-assistant": no_assistant,
    "sample-weight": sample_weight,
    "bad-arguments": bad_arguments,
    "jpg-prefix": jpg_prefix,
    "image-weight-1": image_weight_one,
}


NEEDS = {"bad-arguments": {"call": True}, "jpg-prefix": {"image": True},
         "image-weight-1": {"image": True}}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@PROFILE
@given(data=st.data())
def test_one_mutation_gives_its_code_there(name: str, data: st.DataObject) -> None:
    good = data.draw(st.lists(conversation_records(), min_size=1, max_size=2), label="good")
    bad = data.draw(conversation_records(**NEEDS.get(name, {})), label="record")
    code, path = MUTATIONS[name](data.draw, bad)
    at = data.draw(st.integers(0, len(good)), label="position")
    records = [*good[:at], bad, *good[at:]]
    payload = b"\n".join(json.dumps(r).encode() for r in records)
    report = validate_bytes(payload)
    line = at + 1
    assert not report.valid
    assert (line, path, code) in {(i.line, i.path, i.code) for i in report.issues}, _issues(report)
    # the other, untouched lines stay clean
    assert {i.line for i in report.issues} == {line}, _issues(report)


@PROFILE
@given(data=st.data())
def test_preference_and_instruction_mutations(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["output-two", "output-user", "last-assistant",
                                      "prompt-number", "identical"]))
    if kind == "prompt-number":
        rec = data.draw(instruction_records())
        rec["prompt"] = data.draw(st.integers() | st.none() | st.booleans())
        code, path = "field-invalid", "$.prompt"
    else:
        rec = data.draw(preference_records())
        if kind == "output-two":
            rec["preferred_output"] = rec["preferred_output"] * 2
            code, path = "preference-output-invalid", "$.preferred_output"
        elif kind == "output-user":
            rec["non_preferred_output"][0]["role"] = "user"
            code, path = "preference-output-invalid", "$.non_preferred_output[0].role"
        elif kind == "last-assistant":
            rec["input"]["messages"].append({"role": "assistant", "content": "done"})
            code, path = "preference-last-assistant", "$.input.messages"
        else:
            rec["non_preferred_output"] = json.loads(json.dumps(rec["preferred_output"]))
            code, path = "preference-identical", "$.non_preferred_output"
    report = validate_bytes(json.dumps(rec).encode())
    assert (1, path, code) in {(i.line, i.path, i.code) for i in report.issues}, _issues(report)
    assert report.valid is (RULES[code].severity.value != "error")


# --------------------------------------------------------------------------------------------
# File types: bytes in memory and the same bytes on disk agree; purpose x type pairs
# --------------------------------------------------------------------------------------------

def _parquet(columns: dict[str, list[list[int]]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


token_ids = st.lists(st.integers(0, 50_000), min_size=1, max_size=6)
FILE_BYTES: dict[str, st.SearchStrategy[bytes]] = {
    "jsonl": valid_files().map(lambda case: case[2]) | st.binary(max_size=200)
    | jsonish_text.map(lambda t: t.encode("utf-8")),
    "csv": st.lists(st.lists(st.text(max_size=6), min_size=2, max_size=2), min_size=1,
                    max_size=5).map(_csv) | st.binary(max_size=200),
    "parquet": st.lists(token_ids, min_size=1, max_size=4).map(
        lambda rows: _parquet({"input_ids": rows})) | st.binary(max_size=200),
}


@pytest.mark.parametrize("kind", sorted(FILE_BYTES))
@PROFILE
@given(data=st.data())
def test_bytes_and_file_agree(kind: str, data: st.DataObject) -> None:
    """``validate_bytes(data, name)`` is ``validate_file`` of a file ``name`` holding ``data``."""
    raw = data.draw(FILE_BYTES[kind], label="bytes")
    purpose = data.draw(purposes, label="purpose")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"data.{kind}")
        with open(path, "wb") as handle:
            handle.write(raw)
        on_disk = validate_file(path, purpose)
    in_memory = validate_bytes(raw, name=f"data.{kind}", purpose=purpose)
    assert in_memory.to_server_dict() == on_disk.to_server_dict()
    assert [(i.line, i.path, i.code) for i in in_memory.issues] == \
        [(i.line, i.path, i.code) for i in on_disk.issues]


# SPEC §1 and §3: JSONL for every purpose, CSV only for eval, Parquet only for fine-tune.
ACCEPTED_PURPOSES: dict[str, set[str]] = {"jsonl": set(PURPOSES), "csv": {"eval"},
                                          "parquet": {"fine-tune"}}
SMALL_FILES: dict[str, Callable[[], bytes]] = {
    "jsonl": lambda: b'{"text": "hello"}\n',
    "csv": lambda: _csv([["question", "answer"], ["2 + 2?", "4"]]),
    "parquet": lambda: _parquet({"input_ids": [[1, 2, 3]]}),
}


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("kind", sorted(ACCEPTED_PURPOSES))
def test_purpose_file_type_pairs(tmp_path: Path, kind: str, purpose: str) -> None:
    path = tmp_path / f"data.{kind}"
    path.write_bytes(SMALL_FILES[kind]())
    report = validate_file(str(path), purpose)
    rejected = "purpose-file-type" in report.by_code
    assert rejected is (purpose not in ACCEPTED_PURPOSES[kind]), _issues(report)


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {"gz": gzip.compress, "zst": _zstd}


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@PROFILE
@given(data=st.data())
def test_compressed_jsonl_reads_like_plain(ext: str, data: st.DataObject) -> None:
    """SPEC §1: ``*.jsonl.gz`` / ``*.jsonl.zst`` hold JSONL; the report is the plain file's."""
    raw = data.draw(FILE_BYTES["jsonl"].filter(bool), label="bytes")  # 0 bytes: file-empty
    purpose = data.draw(purposes, label="purpose")
    plain = validate_bytes(raw, name="data.jsonl", purpose=purpose)
    packed = validate_bytes(COMPRESSORS[ext](raw), name=f"data.jsonl.{ext}", purpose=purpose)
    assert packed.to_server_dict() == plain.to_server_dict()
    assert [(i.line, i.path, i.code) for i in packed.issues] == \
        [(i.line, i.path, i.code) for i in plain.issues]


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@PROFILE
@given(raw=st.binary(max_size=300), data=st.data(), purpose=purposes)
def test_corrupt_compressed_input_never_raises(ext: str, raw: bytes, data: st.DataObject,
                                               purpose: str) -> None:
    """Truncated or garbage archives are an error in the report, never an exception."""
    whole = COMPRESSORS[ext](raw)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    for blob in (raw, whole[:cut]):  # random bytes are not an archive; a cut one is broken
        report = validate_bytes(blob, name=f"data.jsonl.{ext}", purpose=purpose)
        server = report.to_server_dict()
        assert tuple(server) == SERVER_FIELDS
        assert server["valid"] is False, _issues(report)
        for issue in report.issues:
            assert issue.code in RULES
