"""A regular expression in a tool schema never stalls validation (tool-pattern-unchecked).

``^(a|aa)+$`` against forty ``a`` and a ``!`` backtracks for hours in ``re``; every pattern of
the data now runs on a time budget, and a pattern that ran out of it is skipped from then on.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator import validate_file
from validator.cli.main import main
from validator.formats import patterns, tools
from validator.run.pipeline import validate_bytes

BAD = "^(a|aa)+$"  # exponential in re and in regex alike (regex itself copes with (a+)+)
SLOW = "a" * 40 + "!"
STRING = {"type": "object", "properties": {"code": {"type": "string", "pattern": BAD}}}
ARGS = {"code": SLOW}
UNCHECKED = "tool-pattern-unchecked"


def _sample(parameters: Any, arguments: Any) -> bytes:
    return orjson.dumps({
        "tools": [{"type": "function", "function": {"name": "check",
                                                    "parameters": parameters}}],
        "messages": [
            {"role": "user", "content": "Check it"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                "name": "check", "arguments": orjson.dumps(arguments).decode()}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "assistant", "content": "Checked."},
        ]}) + b"\n"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    """Each test meets its patterns for the first time (the memory is per process)."""
    patterns._timed_out.clear()
    tools._cache.clear()
    tools._tools_cache.clear()
    yield
    patterns._timed_out.clear()
    tools._cache.clear()
    tools._tools_cache.clear()


@pytest.fixture(params=["fast", "jsonschema"])
def path_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a schema is applied: the generated fast check, and jsonschema alone."""
    if request.param == "jsonschema":
        monkeypatch.setattr(tools, "compile_fast", lambda schema: None)
    return str(request.param)


def _issues(data: bytes) -> list[tuple[str, str | None, int]]:
    return [(i.code, i.path, i.count) for i in validate_bytes(data, "train.jsonl").issues]


def test_a_catastrophic_pattern_is_a_warning_not_a_hang(tmp_path: Path, path_kind: str) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(_sample(STRING, ARGS))
    start = time.monotonic()
    report = validate_file(path, workers=1)
    assert time.monotonic() - start < 5
    assert report.valid
    (issue,) = report.issues
    assert issue.code == UNCHECKED and issue.severity == "warning"
    assert issue.path == "$.messages[1].tool_calls[0].function.arguments"
    assert "'^(a|aa)+$' at parameters.properties.code.pattern of tool 'check'" in issue.message
    assert "not checked" in issue.message and "simplify the pattern" in issue.message


def test_the_cli_exits_0_with_the_warning(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(_sample(STRING, ARGS))
    out = io.StringIO()
    start = time.monotonic()
    assert main(["validate", str(path)], stdout=out) == 0
    assert time.monotonic() - start < 5
    assert UNCHECKED in out.getvalue()


def test_a_timed_out_pattern_is_not_run_again(path_kind: str) -> None:
    """2,000 lines would wait 200 s at 0.1 s each: the pattern is run out of time once."""
    lines = b"".join(_sample(STRING, {"code": "a" * (40 + i % 7) + "!"}) for i in range(2000))
    start = time.monotonic()
    issues = _issues(lines)
    assert time.monotonic() - start < 15
    assert [(code, n) for code, _, n in issues] == [(UNCHECKED, 2000)]
    assert BAD in patterns._timed_out


def test_other_keywords_are_still_checked_beside_an_unchecked_pattern(path_kind: str) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": BAD},
                                               "n": {"type": "integer"}}, "required": ["n"]}
    codes = sorted(code for code, _, _ in _issues(_sample(schema, ARGS)))
    assert codes == ["tool-arguments-schema", UNCHECKED]


def test_ordinary_patterns_still_give_their_errors(path_kind: str) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string",
                                                        "pattern": "^[a-z]+$"}}}
    assert _issues(_sample(schema, {"code": "abc"})) == []
    (issue,) = validate_bytes(_sample(schema, {"code": "ABC"}), "train.jsonl").issues
    assert issue.code == "tool-arguments-schema"
    assert "'ABC' does not match '^[a-z]+$' (at arguments.code)" in issue.message


def test_a_pattern_re_rejects_is_still_an_invalid_schema(path_kind: str) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": r"\p{L}"}}}
    assert [code for code, _, _ in _issues(_sample(schema, {"code": "x"}))] == [
        "tool-schema-invalid"]
    with pytest.raises(re.error):
        patterns.compile_pattern(r"\p{L}")  # regex knows \p{L}; re, and so JSON Schema here, not


def test_pattern_properties_on_a_budget() -> None:
    schema = {"type": "object", "patternProperties": {BAD: {"type": "integer"}},
              "additionalProperties": False}
    start = time.monotonic()
    issues = _issues(_sample(schema, {SLOW: "not an integer"}) * 50)
    assert time.monotonic() - start < 10
    # the name counts as matched (not additional) but its subschema is not applied
    assert [(code, n) for code, _, n in issues] == [(UNCHECKED, 50)]
    (issue,) = validate_bytes(_sample(schema, {SLOW: 1}), "train.jsonl").issues
    assert 'at parameters.patternProperties["^(a|aa)+$"] of tool' in issue.message


def test_ordinary_pattern_properties_still_give_their_errors() -> None:
    schema = {"type": "object", "patternProperties": {"^x_": {"type": "integer"}},
              "additionalProperties": False}
    assert _issues(_sample(schema, {"x_a": 1})) == []
    (issue,) = validate_bytes(_sample(schema, {"x_a": "one"}), "train.jsonl").issues
    assert issue.code == "tool-arguments-schema" and "'one' is not of type 'integer'" in (
        issue.message)
    (issue,) = validate_bytes(_sample(schema, {"y": 1}), "train.jsonl").issues
    assert issue.code == "tool-arguments-schema"
    assert "'y' does not match any of the regexes: '^x_'" in issue.message


def test_unevaluated_properties_on_a_budget() -> None:
    schema = {"type": "object", "patternProperties": {BAD: {"type": "integer"}},
              "unevaluatedProperties": False}
    start = time.monotonic()
    assert [code for code, _, _ in _issues(_sample(schema, {SLOW: 1}))] == [UNCHECKED]
    assert time.monotonic() - start < 5
    # from now on every name passes that pattern (it is not run again); an ordinary one checks
    ordinary = {**schema, "patternProperties": {"^a$": {"type": "integer"}}}
    (issue,) = validate_bytes(_sample(ordinary, {"a": 1, "zz": 2}), "train.jsonl").issues
    assert "Unevaluated properties are not allowed ('zz' was unexpected)" in issue.message
    assert [code for code, _, _ in _issues(_sample(schema, {"zz": 2}))] == [UNCHECKED]


def test_search_answers_none_once_out_of_time() -> None:
    start = time.monotonic()
    assert patterns.search(BAD, SLOW) is None
    assert patterns.search(BAD, "aaaa") is None  # not run again, even on an easy value
    assert time.monotonic() - start < 2
    assert patterns.search("^a+$", "aaa") is True
    assert patterns.search("^a+$", "b") is False
    with patterns.noting() as noted:
        patterns.search(BAD, SLOW)
        patterns.search(BAD, SLOW)
    assert noted == [BAD]


@pytest.mark.parametrize("source", [BAD, "(a+)+", "(a*)*b", r"(\w+\s?)*$", "(a)\\1",
                                    "(?<=a)b", "(?=a+)a", "((ab)*c)*"])
def test_patterns_that_may_backtrack_always_run_on_the_clock(source: str) -> None:
    assert patterns.compile_pattern(source).plain == -1


@pytest.mark.parametrize("source", [r"^\d{4}-\d{2}-\d{2}$", "^(celsius|fahrenheit)$",
                                    "^[A-Z][a-z]+$", r"^\+?[0-9]{7,15}$", "[a-z]*[a-z]*x"])
def test_short_texts_of_bounded_patterns_skip_the_clock(source: str) -> None:
    """The clock costs microseconds a search; a repeat of single characters bounds the work."""
    compiled = patterns.compile_pattern(source)
    assert compiled.plain > 10
    for text in ("a" * compiled.plain, "9" * compiled.plain, "Ab" * (compiled.plain // 2)):
        start = time.monotonic()
        compiled.search(text)  # the worst texts of these shapes, at the longest plain length
        assert time.monotonic() - start < patterns.BUDGET / 2


@given(st.sampled_from(["^[A-Z]{3}$", "[0-9]+", "^x?$", "ab|cd"]),
       st.lists(st.text(alphabet="ABCabcdx0123", max_size=40), min_size=1, max_size=30))
def test_kept_verdicts_are_the_searches(source: str, texts: list[str]) -> None:
    """fast_search keeps its verdicts on short texts: asked again, in any order, it says what
    the search says."""
    import regex

    test = patterns.fast_search(source)
    expected = [regex.search(source, t) is not None for t in texts]
    assert [test(t) for t in texts] == expected
    assert [test(t) for t in reversed(texts)] == expected[::-1]


def test_kept_verdicts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns, "_seen", {})
    test = patterns.fast_search("^[0-9]+$")
    for n in range(patterns._SEEN_LIMIT * 2 + 5):
        assert test(str(n))
    assert 0 < len(patterns._seen) <= patterns._SEEN_LIMIT
    assert not test("x" * (patterns._SEEN_TEXT + 1)) and not test("12a")
