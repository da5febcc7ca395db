"""The lines the fast-path tests (test_fastpath.py) feed the scan: those the fast path must
take, counting them as the full checks do, and those it must leave to the full checks (an
issue, or a shape it does not read)."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson

from validator.limits import LIMITS

__all__ = ["MISSED", "MISSED_PAIRS", "TAKEN", "TAKEN_PAIRS"]


def _line(*messages: dict[str, Any], **top: Any) -> bytes:
    return orjson.dumps({"messages": list(messages), **top})


U = {"role": "user", "content": "Wie spät ist es? 日本語"}
A = {"role": "assistant", "content": "Es ist drei Uhr. Понятно."}
S = {"role": "system", "content": "Sei kurz."}
AU = {"role": "user", "content": "What time is it?"}
AA = {"role": "assistant", "content": "Three o'clock."}



def _call(cid: str, name: str = "f", arguments: str = "{}") -> dict[str, Any]:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": arguments}}


def _calls(*calls: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": "assistant", "tool_calls": list(calls), **more}


def _answer(cid: str, content: str = '{"ok": true}') -> dict[str, Any]:
    return {"role": "tool", "content": content, "tool_call_id": cid}


def _tools_raw(raw: bytes, *messages: dict[str, Any]) -> bytes:
    """A conversation (user, the messages, assistant) whose tools are the bytes ``raw``."""
    return (b'{"messages": ' + orjson.dumps([U, *messages, A]) + b', "tools": ' + raw + b"}")


def _image(url: str | None = None, **more: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": PNG if url is None else url, **more}}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _parts(role: str, *parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": role, "content": list(parts), **more}


PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(40))).decode()
JPEG = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(40)).decode()
PNG_PADDED = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(41)).decode()
_PNG_END = base64.b64encode(bytes(2)).decode()  # 3 characters and one =


def _png_of(chars: int) -> str:
    """A PNG data URL whose base64 payload has ``chars`` characters (a multiple of 4)."""
    return "data:image/png;base64," + base64.b64encode(
        b"\x89PNG\r\n\x1a\n" + bytes(3 * chars // 4 - 8)).decode()


_MOST = (LIMITS.max_image_url_chars - 22) // 4 * 4  # the longest payload allowed


SEE = _parts("user", _text("Was siehst du? 日本"), _image())
SAW = _parts("assistant", _text("Eine Katze. Кошка."))

TOOLS = [{"type": "function", "function": {"name": "f", "description": "Does f."}}]
WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city"], "additionalProperties": False}}}]

# lines the fast path takes: it must count them as the full checks do
TAKEN = {
    "ascii": _line(AU, AA),
    "multilingual": _line(S, U, A),
    "weights": _line({**S, "weight": 1}, {**U, "weight": 0}, {**A, "weight": 1}),
    "user weight trains": _line(U, {**A, "weight": 0}, {**U, "weight": 1}, A),
    "ascii weights": _line({**AU, "weight": 0}, {**AA, "weight": 1}),
    "reasoning": _line(U, {**A, "reasoning": "Weil die Uhr es sagt."}),
    "empty reasoning": _line(U, {**A, "reasoning": ""}),
    "reasoning not ascii, content ascii": _line(AU, {**AA, "reasoning": "Überlegung"}),
    "empty content": _line({"role": "user", "content": ""}, A),
    "escapes": json.dumps({"messages": [
        {"role": "user", "content": 'a\nb\t"q" \\ / \\\\u00e9 é \\n'},
        {"role": "assistant", "content": "\u00e9\u0001\U0001F600 \ud7ff \\\\\\"}]},
        ensure_ascii=False).encode(),
    "unicode escapes": json.dumps({"messages": [U, {**A, "content": "é 😀 \u2028 \\u"}]},
                                  ensure_ascii=True).encode(),
    "escaped escapes, not ascii": (b'{"messages": [{"role": "user", "content": "\\u00e9 \\\\u00e9'
                                   b' \\\\\\u00e9 \\ud83d\\ude00 \\uD83D\\uDE00 \xc3\xa9"}, '
                                   b'{"role": "assistant", "content": "\\\\\\\\"}]}'),
    "spaces and CR": b' { "messages" : [ {"role":"user","content":"h\xc3\xa9"} ,'
                     b' {"content":"ok","role":"assistant"} ] }\r',
    "escaped key": b'{"messages":[{"r\\u006fle":"user","content":"\xc3\xa9"},'
                   b'{"role":"assistant","content":"x"}]}',
    "repeated content": b'{"messages":[{"role":"user","content":"\xc3\xa9\xc3\xa9",'
                        b'"content":"\xc3\xa9"},{"role":"assistant","content":"x"}]}',
    "long": _line(*[m for _ in range(200) for m in (U, A)]),
    "reasoning_content": _line(U, {**A, "reasoning_content": "r"}),
    "empty reasoning_content": _line(U, {**A, "reasoning_content": ""}),
    # agent samples: tools, calls and the tool messages that answer them
    "tool calls": _line(U, _calls(_call("c")), _answer("c"), A),
    "tool calls without tools": _line(U, _calls(_call("c", "g", '{"x": [1, 2]}')), _answer("c"),
                                      A),
    "tools declared, not called": _line(U, A, tools=[{"type": "function",
                                                      "function": {"name": "f"}}]),
    "empty tools": _line(U, A, tools=[]),
    "tools and a schema": _line(U, _calls(_call("c", "get_weather", '{"city": "Köln"}')),
                                _answer("c"), A, tools=WEATHER),
    "parallel calls": _line(U, _calls(_call("c1", "get_weather", '{"city": "Oslo"}'),
                                      _call("c2", "get_weather", '{"city": "Rom", "days": 2}')),
                            _answer("c1"), _answer("c2"), A, tools=WEATHER),
    "answers the other way round": _line(U, _calls(_call("c1"), _call("c2")), _answer("c2"),
                                         _answer("c1"), A, tools=TOOLS),
    "two rounds of calls": _line(S, U, _calls(_call("a")), _answer("a"), _calls(_call("b")),
                                 _answer("b"), A, U, A, tools=TOOLS),
    "a call in the last message": _line(U, _calls(_call("c")), tools=TOOLS),
    "calls with content": _line(U, _calls(_call("c"), content="Ich sehe nach."), _answer("c"), A,
                                tools=TOOLS),
    "calls with null content": _line(U, _calls(_call("c"), content=None), _answer("c"), A,
                                     tools=TOOLS),
    "calls with weight and reasoning": _line(U, _calls(_call("c"), weight=1, reasoning="r"),
                                             _answer("c"), {**A, "weight": 0}, tools=TOOLS),
    "calls with reasoning_content": _line(U, _calls(_call("c"), reasoning_content="r"),
                                          _answer("c"), A, tools=TOOLS),
    "a call id used twice": _line(U, _calls(_call("c")), _answer("c"), _calls(_call("c")),
                                  _answer("c"), A, tools=TOOLS),
    "tools spaced out": _tools_raw(b'[ {"type" : "function", "function" : {"name" : "f"} } ] ',
                                   _calls(_call("c")), _answer("c")),
    "tools with escapes": _tools_raw(b'[{"type": "function", "function": {"name": "f", '
                                     b'"description": "\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\"}}]',
                                     _calls(_call("c")), _answer("c")),
    "tools first": b'{"tools": ' + orjson.dumps(TOOLS) + b', "messages": '
                   + orjson.dumps([U, _calls(_call("c")), _answer("c"), A]) + b"}",
    # images: every message's content a part list
    "image": _line(SEE, SAW),
    "image first": _line(_parts("user", _image(JPEG), _text("Und das?")), SAW),
    "images and a system prompt": _line(_parts("system", _text("Sei kurz.")), SEE, SAW, SEE, SAW),
    "ten images": _line(_parts("user", *[_image()] * 10), SAW),
    "an image with weight 0": _line({**SEE, "weight": 0}, SAW),
    "text parts only": _line(_parts("user", _text("a"), _text("")), SAW),
    "image parts, keys the other way round": b'{"messages": [{"content": [{"image_url": {"url": "'
                                             + PNG.encode() + b'"}, "type": "image_url"}], '
                                             b'"role": "user"}, ' + orjson.dumps(SAW)
                                             + b"]}",
    "image parts and reasoning": _line(SEE, {**SAW, "reasoning": "weil"}),
    # image URLs, judged on their JSON text where it is plain and decoded where it is not
    "image padded with two =": _line(_parts("user", _image(PNG_PADDED)), SAW),
    "image padded with one =": _line(_parts("user", _image(PNG_PADDED[:-4] + _PNG_END)), SAW),
    "image payload shorter than the head": _line(_parts(
        "user", _image("data:image/png;base64,iVBORw0KGgo=")), SAW),
    "image with escaped slashes": _line(SEE, SAW).replace(b"/", b"\\/"),
    "image as large as allowed": _line(_parts("user", _image(_png_of(_MOST))), SAW),
    "image with an escaped letter": _line(SEE, SAW).replace(b"base64,", b"b\\u0061se64,"),
    "tools repeated, the last good": b'{"tools": 5, "messages": '
                                     + orjson.dumps([U, _calls(_call("c")), _answer("c"), A])
                                     + b', "tools": ' + orjson.dumps(TOOLS) + b"}",
}

# lines the full checks must have: an issue, or a shape the fast path does not read
MISSED = {
    "lone surrogate": b'{"messages":[{"role":"user","content":"\\ud800 \xc3\xa9"},'
                      b'{"role":"assistant","content":"x"}]}',
    "lone surrogate, ascii": b'{"messages":[{"role":"user","content":"\\udc00"},'
                             b'{"role":"assistant","content":"x"}]}',
    "invalid utf-8": b'{"messages":[{"role":"user","content":"\xff\xc3\xa9"},'
                     b'{"role":"assistant","content":"x"}]}',
    "invalid utf-8 in a repeated key": b'{"messages":[{"role":"user","content":"\xff",'
                                       b'"content":"\xc3\xa9"},{"role":"assistant",'
                                       b'"content":"x"}]}',
    "control character": b'{"messages":[{"role":"user","content":"a\x01\xc3\xa9"},'
                         b'{"role":"assistant","content":"x"}]}',
    "bad escape": b'{"messages":[{"role":"user","content":"\\x \xc3\xa9"},'
                  b'{"role":"assistant","content":"x"}]}',
    "byte-order mark": b"\xef\xbb\xbf" + _line(U, A),
    "trailing garbage": _line(U, A) + b" x",
    "trailing comma": _line(U, A)[:-2] + b",]}",
    "weight 1.0": _line(U, {**A, "weight": 1.0}),
    "weight true": _line(U, {**A, "weight": True}),
    "weight 2": _line(U, {**A, "weight": 2}),
    "weight null": _line(U, {**A, "weight": None}),
    "weight -0": _line(U, A).replace(b'"}]}', b'","weight":-0}]}'),
    "weight 1e400": _line(U, A).replace(b'"}]}', b'","weight":1e400}]}'),
    "huge weight": _line(U, A).replace(b'"}]}', b'","weight":18446744073709551616}]}'),
    "all weights 0": _line(U, {**A, "weight": 0}),
    "no assistant": _line(S, U),
    "empty messages": _line(),
    "messages not a list": b'{"messages": {"role": "user"}}',
    "messages repeated, the first invalid": b'{"messages": 5, "messages": [' +
                                            orjson.dumps(U) + b"," + orjson.dumps(A) + b"]}",
    "tool message": _line(U, {"role": "tool", "content": "r", "tool_call_id": "x"}, A),
    "tool role only": _line(U, A, {"role": "tool", "content": "r"}),
    "sample weight": _line(U, A, weight=1),
    "unknown key": _line(U, A, id="7"),
    "message key": _line({**U, "name": "x"}, A),
    "reasoning on user": _line({**U, "reasoning": "r"}, A),
    "reasoning_content on user": _line({**U, "reasoning_content": "r"}, A),
    "reasoning and reasoning_content": _line(U, {**A, "reasoning": "r",
                                                 "reasoning_content": "r"}),
    "reasoning_content not a string": _line(U, {**A, "reasoning_content": ["r"]}),
    "answer to no call": _line(U, _calls(_call("c")), _answer("d"), A, tools=TOOLS),
    "answer without an id": _line(U, _calls(_call("c")),
                                  {"role": "tool", "content": "r"}, A, tools=TOOLS),
    "answer id not a string": _line(U, _calls(_call("c")), _answer(7), A,  # type: ignore[arg-type]
                                    tools=TOOLS),
    "answer twice": _line(U, _calls(_call("c")), _answer("c"), _answer("c"), A, tools=TOOLS),
    "answer with a weight": _line(U, _calls(_call("c")), {**_answer("c"), "weight": 0}, A,
                                  tools=TOOLS),
    "answer with reasoning": _line(U, _calls(_call("c")), {**_answer("c"), "reasoning": "r"}, A,
                                   tools=TOOLS),
    "answer content null": _line(U, _calls(_call("c")), {**_answer("c"), "content": None}, A,
                                 tools=TOOLS),
    "answer content parts": _line(U, _calls(_call("c")),
                                  {**_answer("c"), "content": [{"type": "text", "text": "r"}]},
                                  A, tools=TOOLS),
    "call unanswered, the talk goes on": _line(U, _calls(_call("c")), A, tools=TOOLS),
    "one of two calls unanswered": _line(U, _calls(_call("c1"), _call("c2")), _answer("c1"), A,
                                         tools=TOOLS),
    "call undeclared": _line(U, _calls(_call("c", "g")), _answer("c"), A, tools=TOOLS),
    "call with empty tools": _line(U, _calls(_call("c")), _answer("c"), A, tools=[]),
    "arguments not JSON": _line(U, _calls(_call("c", arguments="{")), _answer("c"), A,
                                tools=TOOLS),
    "arguments an object": _line(U, _calls({**_call("c"), "function": {
        "name": "f", "arguments": {}}}), _answer("c"), A, tools=TOOLS),
    "arguments missing": _line(U, _calls({**_call("c"), "function": {"name": "f"}}),
                               _answer("c"), A, tools=TOOLS),
    "arguments off the schema": _line(U, _calls(_call("c", "get_weather", '{"city": 5}')),
                                      _answer("c"), A, tools=WEATHER),
    "arguments missing a required key": _line(U, _calls(_call("c", "get_weather", "{}")),
                                              _answer("c"), A, tools=WEATHER),
    "arguments with a key the schema forbids": _line(
        U, _calls(_call("c", "get_weather", '{"city": "Oslo", "x": 1}')), _answer("c"), A,
        tools=WEATHER),
    "arguments too deep": _line(U, _calls(_call("c", arguments="[" * 2000 + "]" * 2000)),
                                _answer("c"), A, tools=TOOLS),
    "schema outside the fast checks": _line(
        U, _calls(_call("c", "h", '{"a": 1}')), _answer("c"), A,
        tools=[{"type": "function", "function": {"name": "h", "parameters": {
            "type": "object", "properties": {"a": {"$ref": "#/$defs/n"}},
            "$defs": {"n": {"type": "integer"}}}}}]),
    "schema invalid": _line(U, A, tools=[{"type": "function", "function": {
        "name": "h", "parameters": {"type": "str"}}}]),
    "calls empty": _line(U, _calls(), A, tools=TOOLS),
    "calls on a user message": _line({**U, "tool_calls": [_call("c")]}, A, tools=TOOLS),
    "calls not a list": _line(U, {"role": "assistant", "tool_calls": _call("c")}, A,
                              tools=TOOLS),
    "call id a number": _line(U, _calls({**_call("c"), "id": 5}), A, tools=TOOLS),
    "call type not function": _line(U, _calls({**_call("c"), "type": "tool"}), _answer("c"), A,
                                    tools=TOOLS),
    "call with another key": _line(U, _calls({**_call("c"), "index": 0}), _answer("c"), A,
                                   tools=TOOLS),
    "call name empty": _line(U, _calls(_call("c", "")), _answer("c"), A),
    "calls content a number": _line(U, _calls(_call("c"), content=5), _answer("c"), A,
                                    tools=TOOLS),
    "calls with weight 2": _line(U, _calls(_call("c"), weight=2), _answer("c"), A, tools=TOOLS),
    "tool_call_id on an assistant": _line(U, {**A, "tool_call_id": "c"}),
    "content null, no calls": _line(U, {"role": "assistant", "content": None}),
    "content missing, no calls": _line(U, {"role": "assistant"}),
    "tools not a list": _line(U, A, tools={"type": "function"}),
    "tools null": _line(U, A, tools=None),
    "tool type not function": _line(U, A, tools=[{"type": "fn", "function": {"name": "f"}}]),
    "tool without a name": _line(U, A, tools=[{"type": "function", "function": {}}]),
    "tool required misplaced": _line(U, A, tools=[{"type": "function", "function": {
        "name": "f", "parameters": {"type": "object"}, "required": ["a"]}}]),
    "tools with invalid utf-8": _tools_raw(b'[{"type": "function", "function": {"name": "\xff"}}]'),
    "tools with a lone surrogate": _tools_raw(
        b'[{"type": "function", "function": {"name": "\\ud800"}}]'),
    "tools with 1e400": _tools_raw(
        b'[{"type": "function", "function": {"name": "f", "x": 1e400}}]'),
    "tools with a control character": _tools_raw(
        b'[{"type": "function", "function": {"name": "f\x01"}}]'),
    "tools with a bad escape": _tools_raw(b'[{"type": "function", "function": {"name": "\\x"}}]'),
    "tools too deep": _tools_raw(b"[" * 2000 + b"]" * 2000),
    "image on the assistant": _line(SEE, _parts("assistant", _image())),
    "image on the system message": _line(_parts("system", _image()), SEE, SAW),
    "an image with weight 1": _line({**SEE, "weight": 1}, SAW),
    "eleven images": _line(_parts("user", *[_image()] * 11), SAW),
    "eleven images in two messages": _line(_parts("user", *[_image()] * 6), SAW,
                                           _parts("user", *[_image()] * 5), SAW),
    "image/jpg": _line(_parts("user", _image(PNG.replace("png", "jpg"))), SAW),
    "image from https": _line(_parts("user", _image("https://example.com/cat.png")), SAW),
    "image bytes not what the prefix says": _line(_parts("user", _image(
        JPEG.replace("jpeg", "png"))), SAW),
    "image base64 broken": _line(_parts("user", _image(PNG[:-3] + "!!!")), SAW),
    "image base64 with line breaks": _line(_parts("user", _image(PNG[:40] + "\n" + PNG[40:])),
                                           SAW),
    "image with no payload": _line(_parts("user", _image("data:image/png;base64,")), SAW),
    "image url with detail": _line(_parts("user", _image(detail="high")), SAW),
    "image url a number": _line(_parts("user", {"type": "image_url", "image_url": {"url": 5}}),
                                SAW),
    "image url null": _line(_parts("user", {"type": "image_url", "image_url": {"url": None}}),
                            SAW),
    "image url 1e400": _line(SEE, SAW).replace(b'"' + PNG.encode() + b'"', b"1e400"),
    "image url with invalid utf-8": _line(SEE, SAW).replace(b"base64,", b"base64,\xff"),
    "image url with a control character": _line(SEE, SAW).replace(b"base64,", b"base64,\x01"),
    "image padding inside": _line(_parts("user", _image(PNG[:-8] + "==" + PNG[-6:])), SAW),
    "image padding of three": _line(_parts("user", _image(PNG[:-3] + "===")), SAW),
    "image payload with a comma": _line(_parts("user", _image(PNG[:-4] + ",AAA")), SAW),
    "image payload with an escaped newline": _line(SEE, SAW).replace(
        PNG[-8:].encode(), PNG[-8:-4].encode() + b"\\n" + PNG[-4:].encode()),
    "image one character too large": _line(_parts("user", _image(_png_of(_MOST + 4))), SAW),
    "image_url a string": _line(_parts("user", {"type": "image_url", "image_url": PNG}), SAW),
    "part type unknown": _line(_parts("user", {"type": "audio", "audio": "x"}), SAW),
    "text part with value": _line(_parts("user", {"type": "text", "value": "x"}), SAW),
    "text part with another key": _line(_parts("user", {**_text("x"), "cache": 1}), SAW),
    "empty part list": _line(_parts("user"), SAW),
    "parts on a tool answer": _line(SEE, _calls(_call("c")), {**_answer("c"), "content": [
        _text("r")]}, SAW),
    "parts with tool calls": _line(SEE, _calls(_call("c"), content=[_text("r")]),
                                   _answer("c"), SAW),
    "role repeated": b'{"messages": [{"role": "user", "content": "x", "role": "assistant"}, '
                     b'{"role": "user", "content": "y"}]}',
    "role repeated, the last a user": b'{"messages": [{"role": "assistant", "content": "x", '
                                      b'"role": "user"}, {"role": "assistant", "content": "y"}]}',
    "tools repeated, the last bad": b'{"tools": ' + orjson.dumps(TOOLS) + b', "messages": '
                                    + orjson.dumps([U, A]) + b', "tools": 5}',
    "reasoning not a string": _line(U, {**A, "reasoning": 7}),
    "content null": _line({"role": "user", "content": None}, A),
    "content number": _line({"role": "user", "content": 5}, A),
    "content parts": _line({"role": "user", "content": [{"type": "text", "text": "é"}]}, A),
    "content object": _line({"role": "user", "content": {"text": "é"}}, A),
    "role developer": _line({"role": "developer", "content": "é"}, U, A),
    "role missing": _line({"content": "é"}, A),
    "two users": _line(U, U, A),
    "assistant first": _line(A, U, A),
    "system late": _line(U, S, A),
    "two assistants": _line(U, A, A),
    "sharegpt": b'{"messages":[{"from":"human","value":"\xc3\xa9"},{"from":"gpt","value":"x"}]}',
    "not an object": b"[1, 2]",
    "instruction": orjson.dumps({"prompt": "é", "completion": "x"}),
}


def _pair(*messages: dict[str, Any], good: Any = None, bad: Any = None, **top: Any) -> bytes:
    good = [{"role": "assistant", "content": "Ja, gern."}] if good is None else good
    bad = [{"role": "assistant", "content": "Nein."}] if bad is None else bad
    return orjson.dumps({"input": {"messages": list(messages)}, "preferred_output": good,
                         "non_preferred_output": bad, **top})


GREET = {"role": "assistant", "content": "Hallo! Wie kann ich helfen?"}

# preference pairs the fast path takes
TAKEN_PAIRS = {
    "pair": _pair(U),
    "pair, ascii": _pair(AU, good=[AA], bad=[{"role": "assistant", "content": "No."}]),
    "pair with a system prompt": _pair(S, U),
    "pair opening with a greeting": _pair(GREET, U),
    "pair, system then greeting": _pair(S, GREET, U),
    "pair of turns": _pair(U, A, U),
    "pair with reasoning": _pair(U, {**A, "reasoning": "weil"}, U),
    "pair, replies the other way round": _pair(U, good=[{"content": "a", "role": "assistant"}]),
}

# preference pairs the full checks must have
MISSED_PAIRS = {
    "input ends with the assistant": _pair(U, A),
    "identical outputs": _pair(U, bad=[{"role": "assistant", "content": "Ja, gern."}]),
    "weight in the input": _pair({**U, "weight": 1}),
    "empty input": _pair(),
    "input not an object": orjson.dumps({"input": [U], "preferred_output": [A],
                                         "non_preferred_output": [AA]}),
    "input with tools": orjson.dumps({"input": {"messages": [U], "tools": []},
                                      "preferred_output": [A], "non_preferred_output": [AA]}),
    "two preferred": _pair(U, good=[A, AA]),
    "no output": _pair(U, bad=[]),
    "output of a user": _pair(U, good=[U]),
    "output with reasoning": _pair(U, good=[{**A, "reasoning": "r"}]),
    "output with weight": _pair(U, good=[{**A, "weight": 1}]),
    "output content parts": _pair(U, good=[{"role": "assistant",
                                             "content": [{"type": "text", "text": "t"}]}]),
    "output not a message": _pair(U, good=["Ja"]),
    "tool message in the input": _pair(U, {"role": "tool", "content": "r"}),
    "two users": _pair(U, U),
    "sample weight": _pair(U, weight=1),
    "a conversation among pairs": _line(U, A),
}
