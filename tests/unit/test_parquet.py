"""Parquet rows (SPEC §3): every rule on files pyarrow writes in tmp_path, streamed in batches.

Each ``parquet-*`` rule has a failing file with its exact issues and a passing near miss;
files with many row groups and tiny batches give the same issues as one batch; the issue cap
keeps the first rows and counts the rest; a file damaged in the middle is one clear error; and
the memory a validation run needs stays flat whatever the file size.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from validator.collect import Collector
from validator.config import from_table
from validator.files import parquet
from validator.issues import Location
from validator.report import Report
from validator.rules import RULES
from validator.rules.codes import Code
from validator.run.pipeline import validate_file

CONFIG = from_table({"max-errors": 1000})
PARQUET_CODES = {code for code in RULES if code.startswith("parquet-")}

Key = tuple[int | None, str | None, str]
Rows = list[list[int | None] | None]


def _write(path: Path, columns: dict[str, Any], *, row_group_size: int | None = None,
           kind: Any = None) -> Path:
    """Write ``columns`` (pyarrow arrays, or Python lists typed as ``kind``, by default
    list<int64>) to ``path``."""
    arrays = {name: values if isinstance(values, pa.Array)
              else pa.array(values, type=kind or pa.list_(pa.int64()))
              for name, values in columns.items()}
    pq.write_table(pa.table(arrays), path, row_group_size=row_group_size)
    return path


def _check(path: Path, **table: Any) -> Report:
    return validate_file(path, "fine-tune",
                         config=from_table({"max-errors": 1000, **table}) if table else CONFIG)


def _issues(report: Report) -> list[Key]:
    return [(i.line, i.path, i.code) for i in report.issues]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """small_batches(n): read every file in batches of about ``n`` bytes."""

    def shrink(n: int) -> None:
        monkeypatch.setattr(parquet, "TARGET_BATCH_BYTES", n)

    return shrink


# --------------------------------------------------------------------------------------------
# One failing and one passing file per rule
# --------------------------------------------------------------------------------------------

IDS = [[1, 2, 3], [4, 5], [6]]
CLEAN = {
    "input_ids": IDS,
    "attention_mask": [[1, 1, 1], [1, 0], [1]],
    "labels": [[-100, 2, 3], [-100, 5], [6]],
    "position_ids": [[0, 1, 2], [0, 1], [0]],
}


def _cut(path: Path, group: int) -> Path:
    """``path`` with its data cut where row group ``group`` starts, and its footer kept whole:
    the file opens, and fails on reaching that row group."""
    data = path.read_bytes()
    chunk = pq.ParquetFile(path).metadata.row_group(group).column(0)
    start = min(chunk.data_page_offset, chunk.dictionary_page_offset or chunk.data_page_offset)
    footer = int.from_bytes(data[-8:-4], "little") + 8
    cut = path.with_name("cut.parquet")
    cut.write_bytes(data[:start] + data[-footer:])
    return cut


def _cut_in_the_middle(folder: Path) -> Path:
    return _cut(_write(folder / "whole.parquet", {"input_ids": [[i, i + 1] for i in range(40)]},
                       row_group_size=10), 2)


Maker = Callable[[Path], Path]


def _table(columns: dict[str, Any]) -> Maker:
    return lambda folder: _write(folder / "train.parquet", columns)


FAILING: dict[str, tuple[Maker, list[Key]]] = {
    "parquet-invalid": (_cut_in_the_middle, [(None, None, "parquet-invalid")]),
    "parquet-columns": (_table({"input_ids": IDS, "text": pa.array(["a", "b", "c"])}),
                        [(None, None, "parquet-columns")]),
    # once per column, and the values of such a column are not checked (-5.0 is no label error)
    "parquet-type": (_table({
        "input_ids": IDS,
        "attention_mask": pa.array([[True, True, True], [True, True], [True]]),
        "labels": pa.array([[-5.0, 2.0, 3.0], [4.0, 5.0], [6.0]]),
        "position_ids": pa.array([0, 1, 2]),
    }), [(None, "$.attention_mask", "parquet-type"), (None, "$.labels", "parquet-type"),
         (None, "$.position_ids", "parquet-type")]),
    # a null row, a null value; a null input_ids row has no length to compare with
    "parquet-null": (_table({
        "input_ids": [[1, 2], None, [3, 4]],
        "attention_mask": [[1, 1], [1], [1, None]],
        "labels": [[None, None], [1], [3, 4]],
    }), [(1, "$.labels[0]", "parquet-null"), (2, "$.input_ids", "parquet-null"),
         (3, "$.attention_mask[1]", "parquet-null")]),
    "parquet-length": (_table({
        "input_ids": IDS,
        "attention_mask": [[1, 1], [1, 1], [1]],
        "labels": [[1, 2, 3], [4, 5, 6], [6]],
        "position_ids": [[0, 1, 2], [0, 1], [0, 1]],
    }), [(1, "$.attention_mask", "parquet-length"), (2, "$.labels", "parquet-length"),
         (3, "$.position_ids", "parquet-length")]),
    # an empty row is only parquet-empty: equal lengths, and no labels means no warning
    "parquet-empty": (_table({"input_ids": [[1], [], [2]], "labels": [[1], [], [2]]}),
                      [(2, "$.input_ids", "parquet-empty")]),
    "parquet-attention-mask": (_table({
        "input_ids": [[1, 2, 3]] * 3,
        "attention_mask": [[1, 0, 1], [1, 2, 3], [-1, 1, 1]],
    }), [(2, "$.attention_mask[1]", "parquet-attention-mask"),
         (3, "$.attention_mask[0]", "parquet-attention-mask")]),
    "parquet-labels": (_table({
        "input_ids": [[1, 2, 3]] * 3,
        "labels": [[-100, 5, 0], [-1, 5, -101], [7, -100, -200]],
    }), [(2, "$.labels[0]", "parquet-labels"), (3, "$.labels[2]", "parquet-labels")]),
    "parquet-nothing-trained": (_table({
        "input_ids": [[1, 2, 3], [1, 2, 3], [1]],
        "labels": [[-100, -100, -100], [-100, 5, -100], [-100]],
    }), [(1, "$.labels", "parquet-nothing-trained"), (3, "$.labels", "parquet-nothing-trained")]),
}

PASSING: dict[str, Maker] = {
    "parquet-invalid": _table(CLEAN),
    "parquet-columns": _table({"input_ids": IDS}),
    "parquet-type": _table({
        "input_ids": pa.array(IDS, pa.list_(pa.int32())),
        "attention_mask": pa.array(CLEAN["attention_mask"], pa.large_list(pa.int8())),
        "labels": pa.array(CLEAN["labels"], pa.large_list(pa.int64())),
        "position_ids": pa.array(CLEAN["position_ids"], pa.list_(pa.uint16())),
    }),
    "parquet-null": _table(CLEAN),
    "parquet-length": _table({"input_ids": [[1], [2, 3]], "labels": [[1], [2, 3]]}),
    "parquet-empty": _table({"input_ids": [[0], [1]]}),
    "parquet-attention-mask": _table({"input_ids": [[1, 2, 3]] * 2,
                                      "attention_mask": [[0, 0, 0], [1, 1, 1]]}),
    "parquet-labels": _table({"input_ids": [[1, 2, 3]],
                              "labels": [[-100, 0, 2**40]]}),
    # one trained label is enough; unsigned labels cannot hold -100
    "parquet-nothing-trained": _table({
        "input_ids": [[1, 2, 3], [1, 2]],
        "labels": pa.array([[-100, -100, 3], [-100, 0]]),
    }),
}


def test_every_parquet_code_has_a_failing_and_a_passing_file() -> None:
    assert set(FAILING) == PARQUET_CODES
    assert set(PASSING) == PARQUET_CODES


@pytest.mark.parametrize("code", sorted(FAILING))
def test_failing_file(tmp_path: Path, code: str) -> None:
    make, expected = FAILING[code]
    report = _check(make(tmp_path))
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


def test_wrong_input_ids_type_skips_length_and_empty_checks(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([["a", "b"], []]),
        "labels": [[1], [2, 3]],
    })
    assert _issues(_check(path)) == [(None, "$.input_ids", "parquet-type")]


def test_no_rows_is_no_samples(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": pa.array([], pa.list_(pa.int64()))})
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


def test_columns_of_different_list_types_compare_lengths(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([[1, 2], [3]], pa.list_(pa.int32())),
        "labels": pa.array([[1, 2], [3, 4]], pa.large_list(pa.int64())),
    })
    assert _issues(_check(path)) == [(2, "$.labels", "parquet-length")]


def test_fixed_size_lists_are_lists(tmp_path: Path) -> None:
    kind = pa.list_(pa.int32(), 2)
    path = _write(tmp_path / "t.parquet", {
        "input_ids": pa.array([[1, 2], None, [3, 4]], kind),
        "labels": pa.array([[-100, -100], [1, 2], [-100, 4]], kind),
    })
    assert pq.ParquetFile(path).schema_arrow.field("input_ids").type == kind
    assert _issues(_check(path)) == [(1, "$.labels", "parquet-nothing-trained"),
                                     (2, "$.input_ids", "parquet-null")]


# --------------------------------------------------------------------------------------------
# Row groups and batches: row numbers run across the whole file
# --------------------------------------------------------------------------------------------

def _reference(columns: dict[str, Rows]) -> list[Key]:
    """The rules written as plain loops over Python lists, in report order."""
    found: list[Key] = []
    ids = columns.get("input_ids")
    for row in range(len(next(iter(columns.values())))):
        line = row + 1
        for name, rows in columns.items():
            values = rows[row]
            if values is None:
                found.append((line, f"$.{name}", "parquet-null"))
                continue
            nulls = [i for i, v in enumerate(values) if v is None]
            if nulls:
                found.append((line, f"$.{name}[{nulls[0]}]", "parquet-null"))
            if name == "input_ids":
                if not values:
                    found.append((line, "$.input_ids", "parquet-empty"))
            elif ids is not None and ids[row] is not None and len(values) != len(ids[row] or []):
                found.append((line, f"$.{name}", "parquet-length"))
            if name == "attention_mask":
                bad = [i for i, v in enumerate(values) if v is not None and v not in (0, 1)]
                if bad:
                    found.append((line, f"$.attention_mask[{bad[0]}]", "parquet-attention-mask"))
            if name == "labels":
                bad = [i for i, v in enumerate(values) if v is not None and v < 0 and v != -100]
                if bad:
                    found.append((line, f"$.labels[{bad[0]}]", "parquet-labels"))
                if values and all(v == -100 for v in values):
                    found.append((line, "$.labels", "parquet-nothing-trained"))
    return found


def _messy(rows: int, seed: int = 7) -> dict[str, Rows]:
    """Rows of 1-12 tokens, with every kind of fault sprinkled over about a third of them."""
    rnd = random.Random(seed)
    ids: Rows = []
    mask: Rows = []
    labels: Rows = []
    position: Rows = []
    for _ in range(rows):
        n = rnd.randint(1, 12)
        tokens: list[int | None] = [rnd.randint(0, 50_000) for _ in range(n)]
        row_mask: list[int | None] = [1] * n
        row_labels: list[int | None] = [rnd.choice([-100, t]) for t in tokens]
        row_position: list[int | None] = list(range(n))
        fault = rnd.randint(0, 20)
        if fault == 0:
            tokens = []
        elif fault == 1:
            row_mask[rnd.randrange(n)] = rnd.choice([2, -1, None])
        elif fault == 2:
            row_labels[rnd.randrange(n)] = rnd.choice([-1, -101, None])
        elif fault == 3:
            row_labels = [-100] * n
        elif fault == 4:
            row_position = row_position[:-1]
        elif fault == 5:
            tokens[rnd.randrange(n)] = None
        ids.append(None if fault == 6 else tokens)
        mask.append(None if fault == 7 else row_mask)
        labels.append(row_labels)
        position.append(row_position)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels, "position_ids": position}


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every batch the validator reads."""
    sizes: list[int] = []
    read = pq.ParquetFile.iter_batches

    def spy(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for batch in read(self, *args, **kwargs):
            sizes.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    return sizes


def test_issues_name_rows_across_row_groups_and_batches(
        tmp_path: Path, small_batches: Callable[[int], None], batch_sizes: list[int]) -> None:
    columns = _messy(300)
    expected = _reference(columns)
    assert {code for *_, code in expected} == PARQUET_CODES - {
        "parquet-invalid", "parquet-columns", "parquet-type"}
    path = _write(tmp_path / "t.parquet", columns, row_group_size=7)
    assert pq.ParquetFile(path).metadata.num_row_groups == 43

    whole = _check(path)
    assert batch_sizes == [300]
    assert _issues(whole) == expected

    batch_sizes.clear()
    small_batches(1000)  # ~ 4 bytes x 4 columns x ~7 tokens: 30-odd rows, across row groups
    report = _check(path)
    assert len(batch_sizes) > 5
    assert batch_sizes[0] % 7 != 0
    assert _issues(report) == expected
    assert report.by_code == whole.by_code

    batch_sizes.clear()
    small_batches(1)  # one row per batch
    assert _issues(_check(path)) == expected
    assert batch_sizes == [1] * 300


def test_batch_size_follows_the_row_length(tmp_path: Path) -> None:
    def rows_per_batch(tokens: int, kind: Any) -> int:
        path = _write(tmp_path / f"{tokens}.parquet", {"input_ids": [[1] * tokens] * 4,
                                                       "labels": [[1] * tokens] * 4}, kind=kind)
        file = pq.ParquetFile(path)
        return parquet._batch_rows(file.metadata, file.schema_arrow, ["input_ids", "labels"])

    target = parquet.TARGET_BATCH_BYTES
    assert rows_per_batch(1000, pa.list_(pa.int32())) == target // (2 * (4000 + 4))
    assert rows_per_batch(1000, pa.large_list(pa.int64())) == target // (2 * (8000 + 8))
    assert rows_per_batch(10, pa.list_(pa.int32())) == target // (2 * (40 + 4))


# --------------------------------------------------------------------------------------------
# The issue cap: keep the first rows, count the rest, build no message for them
# --------------------------------------------------------------------------------------------

@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The line of every issue handed to ``Collector.add_at``."""
    lines: list[int | None] = []
    add_at = Collector.add_at

    def spy(self: Collector, line: int | None, code: Code, path: Location | None,
            message: str) -> None:
        lines.append(line)
        add_at(self, line, code, path, message)

    monkeypatch.setattr(Collector, "add_at", spy)
    return lines


def test_cap_keeps_the_first_rows_and_counts_the_rest(
        tmp_path: Path, small_batches: Callable[[int], None], kept: list[int | None]) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[1, 2]] * 10_000,
                                           "attention_mask": [[1, 2]] * 10_000},
                  row_group_size=3000)
    small_batches(20_000)  # about a thousand rows per batch
    report = _check(path, **{"max-errors": 5})
    assert _issues(report) == [(n, "$.attention_mask[1]", "parquet-attention-mask")
                               for n in range(1, 6)]
    assert report.errors == 10_000
    assert report.by_code == {"parquet-attention-mask": 10_000}
    assert report.nlines == 10_000
    assert kept == [1, 2, 3, 4, 5]  # no issue was built for the 9,995 others


def test_cap_keeps_the_first_rows_of_all_checks_together(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1, 2]] * 8,
        "attention_mask": [[1, 1]] * 4 + [[1, 5]] * 3 + [[1, 1]],
        "labels": [[-1, 2]] * 2 + [[1, 2]] * 6,
    })
    report = _check(path, **{"max-errors": 3})
    assert _issues(report) == [(1, "$.labels[0]", "parquet-labels"),
                               (2, "$.labels[0]", "parquet-labels"),
                               (5, "$.attention_mask[1]", "parquet-attention-mask")]
    assert report.by_code == {"parquet-labels": 2, "parquet-attention-mask": 3}


def test_warnings_have_their_own_cap(tmp_path: Path, small_batches: Callable[[int], None]
                                     ) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[1]] * 100,
                                           "labels": [[-100]] * 99 + [[-3]]},
                  row_group_size=30)
    small_batches(200)
    report = _check(path, **{"max-errors": 2})
    assert _issues(report) == [(1, "$.labels", "parquet-nothing-trained"),
                               (2, "$.labels", "parquet-nothing-trained"),
                               (100, "$.labels[0]", "parquet-labels")]
    assert (report.errors, report.warnings) == (1, 99)


def test_no_issue_kept_still_names_the_first_error(tmp_path: Path) -> None:
    make, _ = FAILING["parquet-labels"]
    report = _check(make(tmp_path), **{"max-errors": 0})
    assert report.issues == []
    assert report.errors == 2
    assert report.error is not None and "labels[0] is -1" in report.error


# --------------------------------------------------------------------------------------------
# Damaged files
# --------------------------------------------------------------------------------------------

def test_damage_mid_file_is_one_error_naming_how_far_it_got(
        tmp_path: Path, small_batches: Callable[[int], None]) -> None:
    columns = {"input_ids": [[i, i + 1] for i in range(40)],
               "attention_mask": [[1, 3 if i in (2, 35) else 1] for i in range(40)]}
    cut = _cut(_write(tmp_path / "whole.parquet", columns, row_group_size=10), 2)
    small_batches(1)
    report = _check(cut)
    assert _issues(report) == [(3, "$.attention_mask[1]", "parquet-attention-mask"),
                               (None, None, "parquet-invalid")]
    message = report.issues[1].message
    assert "after row 20 of 40" in message
    assert "truncated or corrupt" in message
    assert report.nlines == 40


def test_garbage_in_a_page_is_one_error(tmp_path: Path, small_batches: Callable[[int], None]
                                        ) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[i, i + 1] for i in range(40)]},
                  row_group_size=10)
    data = bytearray(path.read_bytes())
    start = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data[start:start + 32] = b"\xff" * 32
    path.write_bytes(bytes(data))
    report = _check(path)
    assert _issues(report) == [(None, None, "parquet-invalid")]
    assert "from its first row" in report.issues[0].message  # one batch: nothing read
    small_batches(1)
    report = _check(path)
    assert _issues(report) == [(None, None, "parquet-invalid")]
    assert "after row 10 of 40" in report.issues[0].message
    assert "\n" not in report.issues[0].message


def test_jsonl_runs_never_import_pyarrow(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "hello"}\n')
    probe = ("import sys; from validator import validate_file; import validator.files.csv, "
             "validator.files.parquet; assert validate_file(sys.argv[1]).valid; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyarrow'))")
    done = subprocess.run([sys.executable, "-c", probe, str(data)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# Memory: a file of any size validates in flat memory (VmHWM of a fresh process)
# --------------------------------------------------------------------------------------------

LIMIT_MB = 300

# VmHWM, not ru_maxrss: Linux carries a parent's ru_maxrss across fork+exec, so a child of a
# large pytest process would report the parent's peak.
_PROBE = """
import re, sys, time
from validator import validate_file
start = time.perf_counter()
report = validate_file(sys.argv[1])
seconds = time.perf_counter() - start
assert report.valid and not report.warnings, report.issues[:3]
status = open("/proc/self/status").read()
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024
print(report.nlines, peak, round(seconds, 2))
"""


def _make_tokens(path: Path, size_mb: int, *, row_tokens: int, group_rows: int) -> int:
    """An uncompressed file of random int32 tokens in rows of ``row_tokens``: input_ids,
    attention_mask (all 1) and labels (30% -100), written one row group at a time."""
    kind = pa.list_(pa.int32())
    schema = pa.schema([("input_ids", kind), ("attention_mask", kind), ("labels", kind)])
    rows = size_mb * 2**20 // (row_tokens * 4 * 3) + 1
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False) as writer:
        done = 0
        while done < rows:
            n = min(group_rows, rows - done)
            count = n * row_tokens
            offsets = pa.array(range(0, count + 1, row_tokens), pa.int32())
            ids = pc.cast(pc.floor(pc.multiply(pc.random(count, initializer=done), 50_000)),
                          pa.int32())
            ones = pc.cast(pc.greater_equal(ids, 0), pa.int32())
            labels = pc.if_else(pc.less(pc.random(count, initializer=done + 1), 0.3),
                                pa.scalar(-100, pa.int32()), ids)
            lists = [pa.ListArray.from_arrays(offsets, v) for v in (ids, ones, labels)]
            writer.write_table(pa.table(lists, schema=schema), row_group_size=n)
            done += n
    return rows


def _validate_in_child(path: Path) -> tuple[int, int, float]:
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True,
                          text=True, check=True)
    nlines, peak, seconds = done.stdout.split()
    return int(nlines), int(peak), float(seconds)


def test_60mb_file_stays_under_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "tokens.parquet"
    rows = _make_tokens(path, 60, row_tokens=4096, group_rows=256)
    assert path.stat().st_size >= 60 * 2**20
    assert pq.ParquetFile(path).metadata.num_row_groups >= 4
    nlines, peak, _ = _validate_in_child(path)
    assert nlines == rows
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"


@pytest.mark.slow
def test_500mb_file_stays_under_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "tokens.parquet"
    rows = _make_tokens(path, 500, row_tokens=4096, group_rows=2048)
    assert path.stat().st_size >= 500 * 2**20
    assert pq.ParquetFile(path).metadata.num_row_groups >= 5
    nlines, peak, seconds = _validate_in_child(path)
    print(f"\n500 MB Parquet: {nlines} rows, peak RSS {peak} MB, {seconds} s")
    assert nlines == rows
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"

