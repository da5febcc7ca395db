"""Locations: kept as tuples of keys and indexes, rendered to JSON paths in one place."""

from __future__ import annotations

import pickle

import pytest

from validator import Issue, Severity, validate_bytes
from validator.issues import json_path


@pytest.mark.parametrize(("location", "path"), [
    (None, None),
    ((), "$"),
    (("messages", 2, "content"), "$.messages[2].content"),
    (("tools", 0, "function", "parameters"), "$.tools[0].function.parameters"),
    (("a b",), '$["a b"]'),
    (("loss-weight",), '$["loss-weight"]'),
    (("9lives",), '$["9lives"]'),
    (('say "hi"\n',), '$["say \\"hi\\"\\n"]'),
    (("ключ", 0), "$.ключ[0]"),  # a Unicode identifier reads as written
    (("",), '$[""]'),
])
def test_json_path(location: tuple[str | int, ...] | None, path: str | None) -> None:
    assert json_path(location) == path


def test_json_path_from_another_root() -> None:
    assert json_path(("a", 1), root="arguments") == "arguments.a[1]"


def test_an_issue_renders_its_location_and_pickles() -> None:
    issue = Issue(3, ("messages", 1, "role"), "role-invalid", Severity.ERROR, "bad role")
    assert issue.path == "$.messages[1].role"
    assert issue.to_dict()["path"] == "$.messages[1].role"
    assert pickle.loads(pickle.dumps(issue)) == issue  # issues come back from worker processes


def test_a_key_that_is_not_an_identifier_is_quoted_in_the_report() -> None:
    line = b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", ' \
           b'"content": "a"}], "meta data": 1}\n'
    report = validate_bytes(line)
    assert [(i.path, i.code) for i in report.issues] == [('$["meta data"]', "key-unknown")]
