"""The scan's fast path (validator/run/fastpath.py) against the full checks, on generated and
mutated lines: the report with it and without it is the same, whatever the bytes.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.common import PROFILE, TOKENS
from tests.property.records import conversation_records, preference_records
from validator.run import fastpath, scan
from validator.run.pipeline import validate_bytes

# text that steers into the decoders' corners: escapes, backslash runs, surrogate pairs,
# characters of one to four bytes, control characters
_PIECES = ["a", "é", "я", "日本", "😀", "\\", "\\\\", '"', "\n", "\t", "\x01", "\x7f", "u",
           "\\u", "\\ud83d", "D8", "\u2028", "/", " "]
text = st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=12).map("".join)


@st.composite
def plain_samples(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly what the fast path takes: system, user and assistant turns, weights, reasoning."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(text)})
    for _ in range(draw(st.integers(1, 3))):
        messages.append({"role": "user", "content": draw(text)})
        messages.append({"role": "assistant", "content": draw(text)})
    for m in messages:
        if draw(st.integers(0, 3)) == 0:
            m["weight"] = draw(st.sampled_from([0, 1, 1, 1]))
        if m["role"] == "assistant" and draw(st.integers(0, 3)) == 0:
            m["reasoning"] = draw(text)
    return {"messages": messages}


@st.composite
def plain_pairs(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly what the fast path takes: an input (without weights, mostly ending with the user)
    and two replies."""
    messages = draw(plain_samples())["messages"]
    for m in messages:
        if draw(st.integers(0, 5)):
            m.pop("weight", None)
    if draw(st.integers(0, 4)):
        messages.pop()
    replies = [{"role": "assistant", "content": draw(text)} for _ in range(2)]
    return {"input": {"messages": messages}, "preferred_output": replies[:1],
            "non_preferred_output": replies[1:]}


_WEATHER: dict[str, Any] = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city"], "additionalProperties": False}}}
_SEARCH: dict[str, Any] = {"type": "function", "function": {"name": "search", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"},
                                     "tags": {"type": "array", "items": {"type": "string"}}}}}}
_PLAIN: dict[str, Any] = {"type": "function", "function": {"name": "now"}}
# arguments by tool: some that match its parameters, some that do not
_ARGUMENTS = {
    "get_weather": ['{"city": "Köln"}', '{"city": "Oslo", "days": 3}', '{"city": ""}',
                    '{"days": 2}', '{"city": "Rom", "days": 9}', '{"city": 5}', "{", "[]", "",
                    '{"city": "x", "wind": true}'],
    "search": ['{"query": "ß"}', "{}", '{"tags": ["a", "b"]}', '{"tags": [1]}', '"q"',
               '{"query": "a"} x'],
    "now": ["{}", '{"tz": "UTC"}', "null", "{"],
    "undeclared": ["{}"],
}


@st.composite
def agent_samples(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly what the fast path takes: tools, an assistant message making one or two calls
    (arguments matching the parameters or not), tool messages answering them (in any order,
    or one left out or misnamed), and a last reply or not."""
    tools = draw(st.lists(st.sampled_from([_WEATHER, _SEARCH, _PLAIN]), min_size=1,
                          max_size=3, unique_by=lambda t: t["function"]["name"]))
    names = [t["function"]["name"] for t in tools]
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(text)})
    messages.append({"role": "user", "content": draw(text)})
    calls = []
    for k in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(names) if draw(st.integers(0, 7)) else st.just("undeclared"))
        calls.append({"id": f"call_{k}", "type": "function",
                      "function": {"name": name,
                                   "arguments": draw(st.sampled_from(_ARGUMENTS[name]))}})
    making: dict[str, Any] = {"role": "assistant", "tool_calls": calls}
    content = draw(st.sampled_from(["absent", "null", "text"]))
    if content != "absent":
        making["content"] = None if content == "null" else draw(text)
    if draw(st.integers(0, 3)) == 0:
        making["weight"] = draw(st.sampled_from([0, 1]))
    if draw(st.integers(0, 3)) == 0:
        making[draw(st.sampled_from(["reasoning", "reasoning_content"]))] = draw(text)
    messages.append(making)
    ids = draw(st.permutations([c["id"] for c in calls]))
    if draw(st.integers(0, 5)) == 0:
        ids = ids[1:]  # one call left unanswered
    if draw(st.integers(0, 7)) == 0:
        ids = [*ids[:-1], "call_9"]  # an answer to no call
    messages.extend({"role": "tool", "content": draw(text), "tool_call_id": cid} for cid in ids)
    if draw(st.integers(0, 5)):
        messages.append({"role": "assistant", "content": draw(text)})
    return {"messages": messages, "tools": tools}


_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(30))).decode()
_JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(30)).decode()
# image URLs: good ones, and ones each rule of check_image_url refuses
_URLS = [f"data:image/png;base64,{_PNG}", f"data:image/jpeg;base64,{_JPEG}",
         f"data:image/webp;base64,{_PNG}", f"data:image/jpg;base64,{_JPEG}",
         f"data:image/png;base64,{_PNG[:-2]}", f"data:image/png;base64,{_PNG[:20]}\n{_PNG[20:]}",
         "data:image/png;base64,", "https://example.com/a.png", ""]


@st.composite
def image_samples(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly what the fast path takes: content-part lists of text and images, images in user
    messages; sometimes an image elsewhere, too many, a weight on one, or a string content
    among the lists."""
    def part() -> dict[str, Any]:
        if draw(st.integers(0, 2)):
            return {"type": "text", "text": draw(text)}
        url = draw(st.sampled_from(_URLS[:2]) if draw(st.integers(0, 4)) else
                   st.sampled_from(_URLS))
        return {"type": "image_url", "image_url": {"url": url}}

    messages: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 2))):
        messages.append({"role": "user",
                         "content": [part() for _ in range(draw(st.integers(1, 6)))]})
        reply = [{"type": "text", "text": draw(text)}]
        if draw(st.integers(0, 9)) == 0:
            reply.append(part())
        messages.append({"role": "assistant", "content": reply})
    for m in messages:
        if draw(st.integers(0, 5)) == 0:
            m["weight"] = draw(st.sampled_from([0, 1]))
    if draw(st.integers(0, 7)) == 0:
        m = draw(st.sampled_from(messages))
        m["content"] = draw(text)
    if draw(st.integers(0, 7)) == 0:
        messages.insert(0, {"role": "system", "content": [{"type": "text", "text": draw(text)}]})
    return {"messages": messages}


def written(draw: Any, rec: Any) -> bytes:
    """``rec`` as one line, the ways writers write JSON."""
    how = draw(st.integers(0, 3))
    if how == 0:
        return orjson.dumps(rec)
    return json.dumps(rec, ensure_ascii=how == 1,
                      separators=(", ", ": ") if how == 2 else (",", ":")).encode()


@st.composite
def lines(draw: st.DrawFn, kind: str) -> bytes:
    """A sample's line, maybe with one thing broken: a byte changed, removed or inserted."""
    rec = draw(plain_samples() | agent_samples() | image_samples() | conversation_records()
               if kind == "conversation"
               else plain_pairs() | preference_records())
    line = written(draw, rec)
    twist = draw(st.integers(0, 3))
    if twist and line:
        at = draw(st.integers(0, len(line) - 1))
        piece = draw(st.sampled_from([b"\\", b'"', b"\x00", b"\xff", b"\xc3", b"\xe6\x97",
                                      b"u", b"1", b",", b" ", b"}", b"]", b"\x01", b"\\u",
                                      b"\\ud800", b"\xef\xbb\xbf"])
                     | st.sampled_from(TOKENS).map(lambda t: t.encode("utf-8", "replace")))
        if twist == 1:
            line = line[:at] + piece + line[at + 1:]
        elif twist == 2:
            line = line[:at] + line[at + 1:]
        else:
            line = line[:at] + piece + line[at:]
    return line.replace(b"\n", b" ")


@contextmanager
def fast_after(n: int) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "FAST_AFTER", n)
        yield


def reports(data: bytes) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The report with the fast path and without it, and the lines the fast path took."""
    made: list[fastpath.FastPath] = []
    init = fastpath.FastPath.__init__

    def spy(self: fastpath.FastPath, name: str) -> None:
        init(self, name)
        made.append(self)

    with fast_after(0), pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath.FastPath, "__init__", spy)
        fast = validate_bytes(data).to_dict()
    with fast_after(1 << 62):
        full = validate_bytes(data).to_dict()
    return fast, full, sum(p.hits for p in made)


@PROFILE
@given(st.sampled_from(["conversation", "preference"]).flatmap(
    lambda kind: st.lists(lines(kind), min_size=1, max_size=6)))
def test_both_paths_give_one_report(sample_lines: list[bytes]) -> None:
    fast, full, _ = reports(b"\n".join(sample_lines) + b"\n")
    assert fast == full


@PROFILE
@given(st.lists(plain_samples(), min_size=1, max_size=6), st.data())
def test_plain_samples_take_it(samples: list[dict[str, Any]], data: st.DataObject) -> None:
    """A trained plain sample is always taken, however it is written (but the first, which
    names the format)."""
    for s in samples:
        if not any(m.get("weight", 1) for m in s["messages"] if m["role"] == "assistant"):
            s["messages"][-1]["weight"] = 1
    body = b"\n".join(written(data.draw, s) for s in samples) + b"\n"
    fast, full, hits = reports(body)
    assert fast == full
    assert hits == len(samples) - 1
    assert full["validation_report"]["valid"]


@PROFILE
@given(st.lists(plain_samples(), min_size=1, max_size=4),
       st.sampled_from([("name", "x"), ("tool_calls", None), ("weight", 1.0), ("weight", True),
                        ("content", None), ("role", "bot")]))
def test_what_it_does_not_read_goes_to_the_full_checks(samples: list[dict[str, Any]],
                                                      change: tuple[str, Any]) -> None:
    """A message with a key the fast path does not read, or a value it does not take, sends
    the whole line to the full checks (the forced fallback), with the same report."""
    key, value = change
    for s in samples:
        s["messages"][0][key] = value
    fast, full, hits = reports(b"\n".join(orjson.dumps(s) for s in samples) + b"\n")
    assert fast == full
    assert hits == 0


_MARK = "\u2603"  # where a broken piece goes
_BROKEN = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x01", b"\x1f", b"\\x",
           b"\\ud800", b"\\udc00 ", b"\\u12", b"\\", b'"', b"\\n", b"\\\\", b"\\u00e9"]


@PROFILE
@given(plain_samples(), st.sampled_from(_BROKEN), st.data())
def test_a_broken_piece_of_content_is_seen(sample: dict[str, Any], piece: bytes,
                                           data: st.DataObject) -> None:
    """What orjson refuses inside a string, msgspec must refuse too: invalid UTF-8, a
    control character, a bad escape, a lone surrogate (the last three pieces are fine)."""
    message = data.draw(st.sampled_from(sample["messages"]))
    message["content"] += "é" + _MARK
    line = orjson.dumps(sample).replace(_MARK.encode(), piece)
    fast, full, _ = reports(line + b"\n")
    assert fast == full


@PROFILE
@given(st.lists(plain_pairs(), min_size=2, max_size=6))
def test_plain_pairs(pairs: list[dict[str, Any]]) -> None:
    """Preference pairs: each is taken exactly when it has no issue (but the first, which
    names the format), with the same report."""
    body = b"\n".join(orjson.dumps(p) for p in pairs) + b"\n"
    fast, full, hits = reports(body)
    assert fast == full
    clean = [not validate_bytes(orjson.dumps(p) + b"\n").issues for p in pairs[1:]]
    assert hits == sum(clean)  # each pair's own issues, as the report groups repeated ones


@PROFILE
@given(st.lists(agent_samples() | image_samples(), min_size=2, max_size=6), st.data())
def test_agent_and_image_samples(samples: list[dict[str, Any]], data: st.DataObject) -> None:
    """Samples with tools and calls, or with images: each is taken exactly when it has no
    issue (but the first, which names the format), with the same report, however it is
    written."""
    body = b"\n".join(written(data.draw, s) for s in samples) + b"\n"
    fast, full, hits = reports(body)
    assert fast == full
    clean = [not validate_bytes(orjson.dumps(s) + b"\n").issues for s in samples[1:]]
    assert hits == sum(clean)
