"""Parquet rows (SPEC §3): every rule on files pyarrow writes in tmp_path.

Each ``parquet-*`` rule has a failing file with its exact issues and a passing near miss (both
built in ``parquet_files.py``), and token lists of every integer list type pass the same rules.
Reading in batches, the issue cap and damaged files are in ``test_parquet_reading.py``; memory
in ``test_parquet_memory.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.unit.parquet_files import (
    CLEAN,
    FAILING,
    FAILING_CONFIG,
    IDS,
    PARQUET_CODES,
    PASSING,
    _check,
    _issues,
    _write,
)
from validator.rules import RULES

# --------------------------------------------------------------------------------------------
# One failing and one passing file per rule
# --------------------------------------------------------------------------------------------

def test_every_parquet_code_has_a_failing_and_a_passing_file() -> None:
    assert set(FAILING) == PARQUET_CODES
    assert set(PASSING) == PARQUET_CODES


@pytest.mark.parametrize("code", sorted(FAILING))
def test_failing_file(tmp_path: Path, code: str) -> None:
    make, expected = FAILING[code]
    report = _check(make(tmp_path), **FAILING_CONFIG.get(code, {}))
    assert _issues(report) == expected
    assert code in {issue.code for issue in report.issues}
    assert report.valid is (RULES[code].severity.value != "error")
    for issue in report.issues:
        assert issue.severity.value == RULES[issue.code].severity.value
        assert issue.message


@pytest.mark.parametrize("code", sorted(PASSING))
def test_passing_file(tmp_path: Path, code: str) -> None:
    report = _check(PASSING[code](tmp_path))
    assert _issues(report) == []
    assert report.valid
    assert report.nlines > 0


def test_messages_say_what_and_how(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1, 2, 3], [1, 2, 3]],
        "attention_mask": [[1, 7, 9], [1, 1, 1]],
        "labels": [[None, 1, None], [-100, -100, -100]],
        "position_ids": [[0, 1], [0, 1, 2]],
    })
    messages = {(i.line, i.code): i.message for i in _check(path).issues}
    assert messages == {
        (1, "parquet-null"): "labels[0] is null (2 null values in this row): token lists hold "
                             "integers only; replace the nulls",
        (1, "parquet-attention-mask"): "attention_mask[1] is 7 (2 values not 0 or 1 in this "
                                       "row): the mask holds only 1 (attend to the token) and "
                                       "0 (padding)",
        (1, "parquet-length"): "position_ids has 2 values but input_ids has 3 tokens: "
                               "position_ids needs one value per token of the row",
        (2, "parquet-nothing-trained"): "all 3 labels are -100: the row trains on nothing; "
                                        "give the tokens to learn their ids as labels, or drop "
                                        "the row",
    }


POSITIONS_FIX = ("within each packed example positions count 0, 1, 2, ... and a 0 starts the "
                 "next example (padding is 0); write range(len(example)) for each example, or "
                 "drop the column")


def test_position_ids_messages_show_where_the_count_breaks(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1] * 3, [1] * 3, [1] * 12, [1] * 4],
        "attention_mask": [[1] * 3, [1] * 3, [1] * 12, [1, 1, 0, 0]],
        "position_ids": [[0, 1, 3], [1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 0, 2],
                         [0, 1, 1, 1]],
    })
    report = _check(path)
    assert report.valid
    messages = {(i.line, i.path): i.message for i in report.issues}
    assert messages == {
        (1, "$.position_ids[2]"): f"position_ids go 0, 1, 3 at index 2: {POSITIONS_FIX}",
        (2, "$.position_ids[0]"): f"position_ids start at 1, not 0: {POSITIONS_FIX}",
        (3, "$.position_ids[9]"): "position_ids go ..., 7, 8, 10 at index 9 (2 such breaks in "
                                  f"this row): {POSITIONS_FIX}",
        # padding is 0: a padded position holding 1 (the mask is 0 there) is a break too
        (4, "$.position_ids[2]"): "position_ids go 0, 1, 1 at index 2 (2 such breaks in this "
                                  f"row): {POSITIONS_FIX}",
    }


def test_null_position_ids_are_null_errors_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1, 2, 3]] * 3,
        "attention_mask": [[1, 1, 1]] * 3,
        "position_ids": [[0, None, 2], None, [None, 1, 2]],
    })
    assert _issues(_check(path)) == [(1, "$.position_ids[1]", "parquet-null"),
                                     (2, "$.position_ids", "parquet-null"),
                                     (3, "$.position_ids[0]", "parquet-null")]


def test_position_ids_rule_can_be_switched_off_or_made_an_error(tmp_path: Path) -> None:
    make, expected = FAILING["parquet-position-ids"]
    path = make(tmp_path)
    report = _check(path, ignore=["parquet-position-ids"])
    assert _issues(report) == []
    report = _check(path, error=["parquet-position-ids"])
    assert not report.valid
    assert report.errors == len(expected)


def test_wrong_input_ids_type_skips_length_and_empty_checks(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([["a", "b"], []]),
        "attention_mask": [[1, 1], []],
        "labels": [[1], [2, 3]],
    })
    assert _issues(_check(path)) == [(None, "$.input_ids", "parquet-type")]


def test_no_rows_is_no_samples(tmp_path: Path) -> None:
    empty = pa.array([], pa.list_(pa.int64()))
    path = _write(tmp_path / "t.parquet", {"input_ids": empty, "attention_mask": empty})
    report = _check(path)
    assert _issues(report) == [(None, None, "no-samples")]
    assert report.nlines == 0


def test_severities_can_be_changed(tmp_path: Path) -> None:
    make, _ = FAILING["parquet-labels"]
    path = make(tmp_path)
    assert _check(path, ignore=["parquet-labels"]).valid
    report = _check(path, warn=["parquet-labels"])
    assert report.valid
    assert report.warnings == 2


# --------------------------------------------------------------------------------------------
# Types: list and large_list of any integer width
# --------------------------------------------------------------------------------------------

SIGNED = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]
UNSIGNED = [pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]
LISTS = [pa.list_, pa.large_list]


@pytest.mark.parametrize("value", SIGNED + UNSIGNED, ids=str)
@pytest.mark.parametrize("outer", LISTS, ids=lambda f: f.__name__)
def test_any_integer_list_type_passes(tmp_path: Path, outer: Any, value: Any) -> None:
    labels = CLEAN["labels"] if pa.types.is_signed_integer(value) else IDS
    path = _write(tmp_path / "t.parquet", {**CLEAN, "labels": labels}, kind=outer(value))
    report = _check(path)
    assert _issues(report) == []
    assert pq.ParquetFile(path).schema_arrow.field("labels").type == outer(value)


@pytest.mark.parametrize("value", SIGNED, ids=str)
@pytest.mark.parametrize("outer", LISTS, ids=lambda f: f.__name__)
def test_rules_hold_for_every_signed_type(tmp_path: Path, outer: Any, value: Any) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1, 2], [3], [4, 5]],
        "attention_mask": [[1, 2], [1], [1, 1]],
        "labels": [[-100, -100], [-7], [4, 5]],
    }, kind=outer(value))
    assert _issues(_check(path)) == [(1, "$.attention_mask[1]", "parquet-attention-mask"),
                                     (1, "$.labels", "parquet-nothing-trained"),
                                     (2, "$.labels[0]", "parquet-labels")]


def test_unsigned_attention_mask_above_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[1, 2]], "attention_mask": [[1, 255]]},
                  kind=pa.list_(pa.uint8()))
    assert _issues(_check(path)) == [(1, "$.attention_mask[1]", "parquet-attention-mask")]


def test_uint64_values_past_int64_are_values_not_a_traceback(tmp_path: Path) -> None:
    top = 2**64 - 1
    path = _write(tmp_path / "t.parquet", {"input_ids": [[1, 2]] * 2,
                                           "attention_mask": [[1, top], [1, 1]],
                                           "position_ids": [[0, 1], [top, 0]]},
                  kind=pa.list_(pa.uint64()))
    report = _check(path)
    assert _issues(report) == [(1, "$.attention_mask[1]", "parquet-attention-mask"),
                               (2, "$.position_ids[0]", "parquet-position-ids")]
    assert report.issues[1].message.startswith(f"position_ids start at {top}, not 0")


def test_columns_of_different_list_types_compare_lengths(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([[1, 2], [3]], pa.list_(pa.int32())),
        "attention_mask": pa.array([[1, 1], [1]], pa.list_(pa.int8())),
        "labels": pa.array([[1, 2], [3, 4]], pa.large_list(pa.int64())),
    })
    assert _issues(_check(path)) == [(2, "$.labels", "parquet-length")]


def test_fixed_size_lists_are_lists(tmp_path: Path) -> None:
    kind = pa.list_(pa.int32(), 2)
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([[1, 2], None, [3, 4]], kind),
        "attention_mask": pa.array([[1, 1]] * 3, kind),
        "labels": pa.array([[-100, -100], [1, 2], [-100, 4]], kind),
    })
    assert pq.ParquetFile(path).schema_arrow.field("input_ids").type == kind
    assert _issues(_check(path)) == [(1, "$.labels", "parquet-nothing-trained"),
                                     (2, "$.input_ids", "parquet-null")]
