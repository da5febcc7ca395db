"""Property tests of the validator against SPEC.md: robustness.

(b) No input makes ``validate_bytes`` raise: arbitrary bytes, JSON-ish text, arbitrary JSON
    values, and valid records with one node replaced by junk, under every purpose. The
    report always has the server's twelve fields, ``nlines`` counts the non-blank lines, and
    under purpose eval a line is accepted exactly when it is one JSON object.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.property.common import FLAGS, PROFILE, jsonish_text, purposes
from tests.property.records import FORMATS, IMAGE_URLS, RECORDS, Record, batch_files
from validator import sniff_compression, validate_bytes
from validator.report import SERVER_FIELDS, Report
from validator.rules import RULES

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
    if sniff_compression(data) is None:
        assert server["nlines"] == count_samples(data)
    else:  # bytes that open with gzip or zstd's magic number are read as an archive (SPEC §1)
        assert not server["valid"]
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


@PROFILE
@given(st.binary(max_size=400), purposes)
def test_arbitrary_bytes_never_raise(data: bytes, purpose: str) -> None:
    check_report(validate_bytes(data, purpose=purpose), data, purpose)


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
