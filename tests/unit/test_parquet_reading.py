"""Parquet files read in batches (SPEC §3): files with many row groups and tiny batches give
the same issues as one batch; the issue cap keeps the first rows and counts the rest; a file
damaged in the middle is one clear error; and JSONL runs never import pyarrow.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.unit.parquet_files import (
    FAILING,
    PARQUET_CODES,
    Key,
    Rows,
    _check,
    _cut,
    _found,
    _issues,
    _write,
)
from validator.collect import Collector
from validator.files import parquet
from validator.issues import Location
from validator.rules.codes import Code


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """small_batches(n): read every file in batches of about ``n`` bytes."""

    def shrink(n: int) -> None:
        monkeypatch.setattr(parquet, "TARGET_BATCH_BYTES", n)

    return shrink


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
            if name == "position_ids":  # 0, or the value before plus 1; a null is not judged
                bad = [i for i, v in enumerate(values) if v is not None and v != 0 and (
                    i == 0 or (values[i - 1] is not None and v != (values[i - 1] or 0) + 1))]
                if bad:
                    found.append((line, f"$.position_ids[{bad[0]}]", "parquet-position-ids"))
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
        elif fault == 8:  # some of these are still fine (a 0, or the value that follows)
            at = rnd.randrange(n)
            row_position[at] = rnd.choice([0, 1, at + 1, 7])
        elif fault == 9:  # packed: a reset to 0 starts the next example
            cut = rnd.randrange(n)
            row_position = [*range(cut), *range(n - cut)]
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
    assert {code for *_, code in expected} == PARQUET_CODES - {  # the file and group rules
        "parquet-invalid", "parquet-columns", "parquet-type", "parquet-row-too-large"}
    path = _write(tmp_path / "t.parquet", columns, row_group_size=7)
    assert pq.ParquetFile(path).metadata.num_row_groups == 43

    whole = _check(path)
    assert batch_sizes == [300]
    assert _found(path) == expected
    assert whole.by_code == {code: sum(1 for *_, c in expected if c == code)
                             for code in {c for *_, c in expected}}

    batch_sizes.clear()
    small_batches(1000)  # ~ 4 bytes x 4 columns x ~7 tokens: 30-odd rows, across row groups
    report = _check(path)
    assert len(batch_sizes) > 5
    assert batch_sizes[0] % 7 != 0
    assert report.by_code == whole.by_code
    assert _found(path) == expected

    batch_sizes.clear()
    small_batches(1)  # one row per batch
    assert _found(path) == expected
    assert batch_sizes == [1] * 300


def test_batch_size_follows_the_row_length(tmp_path: Path) -> None:
    def rows_per_batch(tokens: int, kind: Any) -> int:
        path = _write(tmp_path / f"{tokens}.parquet", {"input_ids": [[1] * tokens] * 4,
                                                       "labels": [[1] * tokens] * 4}, kind=kind)
        file = pq.ParquetFile(path)
        return parquet._batch_rows(
            parquet._row_bytes(file.metadata, file.schema_arrow, ["input_ids", "labels"]))

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
    # values that differ from row to row: each issue is a group of its own
    path = _write(tmp_path / "t.parquet", {
        "input_ids": [[1, 2]] * 8,
        "attention_mask": [[1, 1]] * 4 + [[1, 5], [1, 6], [1, 7]] + [[1, 1]],
        "labels": [[-1, 2], [-2, 2]] + [[1, 2]] * 6,
    })
    report = _check(path, **{"max-errors": 3})
    assert _issues(report) == [(1, "$.labels[0]", "parquet-labels"),
                               (2, "$.labels[0]", "parquet-labels"),
                               (5, "$.attention_mask[1]", "parquet-attention-mask")]
    assert report.by_code == {"parquet-labels": 2, "parquet-attention-mask": 3}


def test_warnings_have_their_own_cap(tmp_path: Path, small_batches: Callable[[int], None]
                                     ) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[1]] * 100,
                                           "attention_mask": [[1]] * 100,
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
    assert _issues(report) == [(None, None, "parquet-invalid"),  # file-level issues first
                               (3, "$.attention_mask[1]", "parquet-attention-mask")]
    (message,) = [i.message for i in report.issues if i.code == "parquet-invalid"]
    assert "after row 20 of 40" in message
    assert "truncated or corrupt" in message
    assert report.nlines == 40


def test_garbage_in_a_page_is_one_error(tmp_path: Path, small_batches: Callable[[int], None]
                                        ) -> None:
    path = _write(tmp_path / "t.parquet", {"input_ids": [[i, i + 1] for i in range(40)],
                                           "attention_mask": [[1, 1]] * 40},
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
