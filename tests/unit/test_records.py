"""check_records: each record gets the verdict its line would get in a file, whatever form it
comes in (a dict, JSON text with or without line breaks, a value JSON cannot hold)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from validator import check_records, validate_bytes

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}


def codes(record: Any) -> tuple[bool, list[str]]:
    (verdict,) = check_records([record])
    return verdict.ok, [i.code for i in verdict.issues]


def test_pretty_printed_text_is_the_record_it_spells() -> None:
    text = json.dumps(CHAT, indent=2)
    assert "\n" in text
    assert codes(text) == (True, [])
    assert codes(text.encode()) == (True, [])


@pytest.mark.parametrize("text", [
    '{"text": "one\ntwo"}',  # a raw line break in a string: invalid JSON text
    '{"text": "one\\\ntwo"}',  # a backslash then a raw line break: still invalid
    '{"messages": [{"role": "user", "content": "a\n"}, {"role": "assistant", "content": "b"}]}',
])
def test_a_raw_line_break_inside_a_string_stays_invalid(text: str) -> None:
    ok, found = codes(text)
    assert (ok, found) == (False, ["json-invalid"])
    # as the file holding that text (its line breaks as they are) is invalid too
    report = validate_bytes(text.encode() + b"\n", "t.jsonl")
    assert "json-invalid" in {i.code for i in report.issues}


def test_escaped_quotes_do_not_end_the_string() -> None:
    inside = '{"text": "say \\"hi\n\\" now"}'  # the line break is inside the string
    assert codes(inside) == (False, ["json-invalid"])
    between = '{"text": "say \\"hi\\" now"\n}'  # the line break is after it
    assert codes(between) == (True, [])


def test_line_breaks_never_change_the_number_of_verdicts() -> None:
    records = ['{"text": "a"\n}', '{"text": "b\n', '"\n"', "\n\n", CHAT]
    verdicts = list(check_records(records))
    assert [v.line for v in verdicts] == [1, 2, 3, 4, 5]
    assert [v.ok for v in verdicts] == [True, False, False, False, False]  # 5th: mixed format


def test_many_quotes_and_line_breaks_are_checked_in_linear_time() -> None:
    text = '{"text": "' + '\\"' * 400_000 + '\n'  # an unclosed string full of escaped quotes
    assert codes(text)[0] is False


def test_a_value_json_cannot_hold_is_json_invalid_not_a_crash() -> None:
    record = {"text": {1, 2}}
    ok, found = codes(record)
    assert (ok, found) == (False, ["json-invalid"])
    (verdict,) = check_records([record])
    assert "cannot be written as JSON" in verdict.issues[0].message
    assert verdict.record is record and verdict.line == 1


def test_a_dict_deeper_than_orjson_writes_gets_the_verdict_of_its_text() -> None:
    deep: dict[str, Any] = {}
    for _ in range(300):  # orjson.dumps stops at 255 levels; the file format does not
        deep = {"a": deep}
    record = {"text": "x", "extra": deep}
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(record)
    text = json.dumps(record).encode() + b"\n"
    from_file = sorted(i.code for i in validate_bytes(text, "t.jsonl").issues)
    ok, found = codes(record)
    assert sorted(found) == from_file == ["key-unknown"]
    assert ok is True


def test_an_unwritable_record_does_not_shift_the_others() -> None:
    records = [CHAT, {"bad": object()}, CHAT]
    verdicts = list(check_records(records, batch=2))
    assert [(v.line, v.ok) for v in verdicts] == [(1, True), (2, False), (3, True)]
    assert [i.code for i in verdicts[2].issues] == []
