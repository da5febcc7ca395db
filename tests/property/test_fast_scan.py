"""The scan's fast path (validator/run/fastpath.py) against the full checks, on generated and
mutated lines: the report with it and without it is the same, whatever the bytes.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

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
    rec = draw(plain_samples() | conversation_records() if kind == "conversation"
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
