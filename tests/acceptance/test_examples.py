"""The example corpus: every file under ``tests/data/<group>/`` is validated and compared with
the ``<case>.expected.json`` beside it.

A case is two files with the same stem: the data (any extension, ``.jsonl``, ``.csv``, ``.txt``)
and ``<stem>.expected.json``::

    {"purpose": "fine-tune",                       # optional, default fine-tune
     "config": {"max-errors": 1000},               # optional [tool.ftdata] keys
     "validation_report": {"valid": false, ...},   # a subset of the 12 server fields, exact
     "issues": [[2, "$.messages[0].role", "role-invalid"], [3, null, "blank-line"]]}

``issues`` is the exact list of (line, path, code) the file must produce, one entry per
occurrence in file order. The report groups identical issues (same code, path and message) and
names their lines; the test expands each group back into its occurrences, so a group's count
and lines are checked too. A new case is a new pair of files, not new code. Expected results
are written by hand from SPEC.md.

Every rule code must be raised by some case, except the ones a committed file cannot raise
(``NOT_IN_CORPUS``; Parquet is covered by ``test_tabular.py``). Limits too large to commit are
lowered through ``config`` (max-file-size, max-line-size). The ``valid`` group holds clean
files only, and every dataset flag is asserted true by one case and false by another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import file_order, occurrences
from validator.config import from_table
from validator.report import SERVER_FIELDS, Report
from validator.rules import RULES
from validator.run.pipeline import validate_file

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = ".expected.json"
DEFAULT_CONFIG: dict[str, Any] = {"max-errors": 1000}
# Rules no committed example can raise: an unreadable file is an exception path, and Parquet
# files are built in tests/unit/test_tabular.py and tests/unit/test_parquet.py rather than committed
# (test_parquet.py checks that every parquet-* code is raised there).
NOT_IN_CORPUS = frozenset({"file-unreadable"} | {c for c in RULES if c.startswith("parquet-")})

FLAGS = tuple(f for f in SERVER_FIELDS if f.startswith(("dataset_has_", "dataset_is_")))


@dataclass(frozen=True)
class Case:
    id: str  # "group/case"
    data: Path
    expected: Path

    def load(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.expected.read_text(encoding="utf-8"))
        return value


def _stem(path: Path) -> str:
    """The case name: up to the first dot for a data file, before .expected.json otherwise."""
    return path.name[: -len(EXPECTED)] if path.name.endswith(EXPECTED) else path.name.split(".")[0]


def _data_files() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.is_file() and not p.name.endswith(EXPECTED))


def _expected_files() -> list[Path]:
    return sorted(DATA.rglob("*" + EXPECTED))


def _find_cases() -> list[Case]:
    """Every expected file with exactly one data file beside it (the pairing test reports the
    others, so a stray file fails one test instead of the collection)."""
    cases = []
    for expected in _expected_files():
        stem = _stem(expected)
        siblings = [p for p in expected.parent.iterdir()
                    if p != expected and p.is_file() and _stem(p) == stem]
        if len(siblings) == 1:
            case_id = f"{expected.parent.relative_to(DATA).as_posix()}/{stem}"
            cases.append(Case(case_id, siblings[0], expected))
    return cases


CASES = _find_cases()


@cache
def _run(case: Case) -> Report:
    spec = case.load()
    config = from_table({**DEFAULT_CONFIG, **spec.get("config", {})})
    return validate_file(str(case.data), spec.get("purpose", "fine-tune"), config=config)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_example(case: Case) -> None:
    spec = case.load()
    report = _run(case)
    wanted_report: dict[str, Any] = spec["validation_report"]
    unknown = set(wanted_report) - set(SERVER_FIELDS)
    assert not unknown, f"not server fields: {sorted(unknown)}"
    actual_report = report.to_server_dict()
    assert {k: actual_report[k] for k in wanted_report} == wanted_report
    wanted_issues = [tuple(i) for i in spec["issues"]]
    assert occurrences(report) == sorted(wanted_issues, key=file_order)


def test_expected_files_are_well_formed() -> None:
    for case in CASES:
        spec = case.load()
        assert set(spec) <= {"purpose", "config", "validation_report", "issues"}, case.id
        for field in ("valid", "dataset_format", "nlines"):
            assert field in spec["validation_report"], f"{case.id}: {field} missing"
        for issue in spec["issues"]:
            assert len(issue) == 3 and issue[2] in RULES, f"{case.id}: bad issue {issue}"
        max_errors = {**DEFAULT_CONFIG, **spec.get("config", {})}["max-errors"]
        assert max_errors >= 1000, f"{case.id}: the issue cap hides issues"


def _case_names(paths: list[Path]) -> list[str]:
    return [f"{p.parent.relative_to(DATA).as_posix()}/{_stem(p)}" for p in paths]


def test_every_data_file_has_expected_and_back() -> None:
    data = _case_names(_data_files())
    expected = _case_names(_expected_files())
    assert sorted(set(data) - set(expected)) == [], "data files without an expected file"
    assert sorted(set(expected) - set(data)) == [], "expected files without a data file"
    assert sorted({n for n in data if data.count(n) > 1}) == [], "data files sharing a case name"
    assert len(CASES) == len(expected)


def test_every_rule_is_triggered() -> None:
    assert set(RULES) >= NOT_IN_CORPUS, "an exempt code is no longer a rule"
    triggered = {issue.code for case in CASES for issue in _run(case).issues}
    missing = sorted(set(RULES) - NOT_IN_CORPUS - triggered)
    assert missing == [], f"rules no example triggers: {missing}"


def test_valid_group_is_clean() -> None:
    valid = [case for case in CASES if case.id.startswith("valid/")]
    assert len(valid) >= 8
    for case in valid:
        assert case.load()["issues"] == [], f"{case.id}: the valid group holds clean files only"


@pytest.mark.parametrize("flag", FLAGS)
def test_every_flag_is_asserted_both_ways(flag: str) -> None:
    seen = {case.load()["validation_report"].get(flag) for case in CASES}
    assert {True, False} <= seen, f"{flag}: no example asserts it {({True, False} - seen)}"


def test_every_issue_has_a_message() -> None:
    for case in CASES:
        for issue in _run(case).issues:
            assert issue.message.strip(), f"{case.id}: {issue.code} has an empty message"
