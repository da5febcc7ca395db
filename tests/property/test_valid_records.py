"""Property tests of the validator against SPEC.md: valid data gives no issue.

(a) Valid data of every format, built to SPEC.md, gives no error and no warning, and the
    report's format and flags match what was generated.
(e) Valid batch-api request files give no issue.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import Phase, find, given, note, settings
from hypothesis import strategies as st

from tests.property.common import FLAGS, PROFILE, _issues
from tests.property.records import (
    Message,
    Record,
    batch_files,
    conversation_records,
    preference_records,
    valid_files,
)
from validator import validate_bytes


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
