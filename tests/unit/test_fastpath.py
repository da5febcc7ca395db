"""The scan's fast path (validator/run/fastpath.py) gives the report the full checks give.

Every report here is made twice, the fast path taken from the first byte and never, and the
two must be equal in everything (issues, counts, flags, statistics). Each test also says
whether the fast path took the lines it was meant to take, so that none passes by never
using it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from validator.collect import Collector, Tally
from validator.config import Config
from validator.run import fastpath, forkpool, scan
from validator.run.pipeline import validate_bytes, validate_file

ROOT = Path(__file__).resolve().parents[2]
NEVER = 1 << 62


class Taken:
    """The lines the fast paths of the scans since :func:`spy` took, and those they tried."""

    def __init__(self) -> None:
        self.paths: list[fastpath.FastPath] = []

    @property
    def hits(self) -> int:
        return sum(p.hits for p in self.paths)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Taken]:
    taken = Taken()
    made = fastpath.FastPath.__init__

    def init(self: fastpath.FastPath, name: str) -> None:
        made(self, name)
        taken.paths.append(self)

    monkeypatch.setattr(fastpath.FastPath, "__init__", init)
    yield taken


def both(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``run()``'s report as a dict with the fast path, then without it."""
    monkeypatch.setattr(scan, "FAST_AFTER", 0)
    fast = run().to_dict()
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    return fast, run().to_dict()


def _files() -> list[Path]:
    found = [*sorted((ROOT / "tests" / "data").rglob("*.jsonl")),
             *sorted((ROOT / "examples").glob("*.jsonl"))]
    assert len(found) > 100
    return found


def test_every_data_file_reads_the_same(monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """Every JSONL file of tests/data and examples/, valid or not."""
    for path in _files():
        fast, full = both(monkeypatch, lambda p=path: validate_file(p, workers=1))
        assert fast == full, path
    assert spy.hits > 50  # the valid conversation files took it


def test_a_large_file_takes_it_past_the_threshold(tmp_path: Path, spy: Taken,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path starts at file offset FAST_AFTER."""
    monkeypatch.setattr(scan, "FAST_AFTER", 4096)
    line = orjson.dumps({"messages": [{"role": "user", "content": "Grüß dich " * 20},
                                      {"role": "assistant", "content": "Hallo! " * 20}]})
    path = tmp_path / "big.jsonl"
    path.write_bytes((line + b"\n") * 400)
    report = validate_file(path, workers=1)
    assert report.valid and report.nlines == 400
    assert 0 < spy.hits < 400  # not the first 4 KiB
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    assert validate_file(path, workers=1).to_dict() == report.to_dict()


def test_a_range_past_the_threshold_takes_it_from_its_first_line(
        monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """A worker's byte range that starts past FAST_AFTER (as scan_jsonl sees it)."""
    monkeypatch.setattr(scan, "FAST_AFTER", 10_000)
    line = _line(AU, AA)
    for start, taken in ((10_000, 3), (9_990, 2), (0, 0)):
        spy.paths.clear()
        out, tally = Collector(Config()), Tally()
        scan.scan_jsonl([line, line, line], "fine-tune", 2**20, out, tally, offset=start,
                        known_format=("conversation", 1))
        assert (spy.hits, tally.formats) == (taken, {"conversation": 3}), start


def _line(*messages: dict[str, Any], **top: Any) -> bytes:
    return orjson.dumps({"messages": list(messages), **top})


U = {"role": "user", "content": "Wie spät ist es? 日本語"}
A = {"role": "assistant", "content": "Es ist drei Uhr. Понятно."}
S = {"role": "system", "content": "Sei kurz."}
AU = {"role": "user", "content": "What time is it?"}
AA = {"role": "assistant", "content": "Three o'clock."}

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
    "tool calls": _line(U, {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "content": "r", "tool_call_id": "c"}, A),
    "tools": _line(U, A, tools=[{"type": "function", "function": {"name": "f"}}]),
    "sample weight": _line(U, A, weight=1),
    "unknown key": _line(U, A, id="7"),
    "message key": _line({**U, "name": "x"}, A),
    "reasoning_content": _line(U, {**A, "reasoning_content": "r"}),
    "reasoning on user": _line({**U, "reasoning": "r"}, A),
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


CASES = {**{name: (TAKEN["ascii"], TAKEN[name], True) for name in TAKEN},
         **{name: (TAKEN["ascii"], MISSED[name], False) for name in MISSED},
         **{name: (TAKEN_PAIRS["pair"], TAKEN_PAIRS[name], True) for name in TAKEN_PAIRS},
         **{name: (TAKEN_PAIRS["pair"], MISSED_PAIRS[name], False) for name in MISSED_PAIRS}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lines_it_takes_or_leaves(name: str, monkeypatch: pytest.MonkeyPatch,
                                  spy: Taken) -> None:
    """Each line second in its file, after a good sample of its format: the full checks read
    the first, which names the format the fast path reads (and a BOM there is the file's)."""
    first, line, taken = CASES[name]
    data = first + b"\n" + line + b"\n"
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert spy.hits == taken, name
    assert fast == full
    if taken:
        assert orjson.loads(line)  # valid JSON, as orjson reads it
        assert not full["issues"], full["issues"]


def test_format_mixing_is_the_full_checks(monkeypatch: pytest.MonkeyPatch, spy: Taken) -> None:
    """After an instruction sample, a conversation is format-mixed: the fast path stays out."""
    data = orjson.dumps({"prompt": "p", "completion": "c"}) + b"\n" + TAKEN["ascii"] + b"\n"
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert fast == full
    assert [i["code"] for i in full["issues"]] == ["format-mixed"]
    assert spy.hits == 0


def test_a_file_it_keeps_missing_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a run of misses it pauses, so a file of tool samples is not read twice; it comes
    back to the plain samples that follow."""
    tried = 0
    paths = []
    made = fastpath.FastPath.__init__

    def init(self: fastpath.FastPath, name: str) -> None:
        made(self, name)
        read = self._read

        def counting(line: bytes) -> Any:
            nonlocal tried
            tried += 1
            return read(line)

        self._read = counting
        paths.append(self)

    monkeypatch.setattr(fastpath.FastPath, "__init__", init)
    misses = 20 * fastpath.FastPath.PAUSE
    data = (MISSED["tool calls"] + b"\n") * misses + (TAKEN["ascii"] + b"\n") * 2000
    fast, full = both(monkeypatch, lambda: validate_bytes(data))
    assert fast == full
    assert tried < misses / 10 + 2000
    assert sum(p.hits for p in paths) > 1000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkpool needs Linux")
def test_reports_agree_with_several_workers(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker's scan has its own fast path (forked workers see FAST_AFTER as patched
    here); ranges that start mid-file keep the file's format (one range holding an
    instruction sample)."""
    monkeypatch.setattr(forkpool, "available", lambda: True)
    lines = [TAKEN[name] for name in sorted(TAKEN)] + [MISSED[name] for name in sorted(MISSED)
                                                       if name != "byte-order mark"]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines * 40) + b"\n")
    monkeypatch.setattr("validator.run.parallel.PARALLEL_MIN_BYTES", 0)
    fast, full = both(monkeypatch, lambda: validate_file(path, workers=3))
    assert fast == full
    monkeypatch.setattr(scan, "FAST_AFTER", NEVER)
    assert validate_file(path, workers=1).to_dict() == full
