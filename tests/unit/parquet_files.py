"""Parquet files for the tests of the ``parquet-*`` rules (SPEC §3): columns written with
pyarrow in tmp_path, validated for fine-tune, and one failing and one passing file per rule.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import occurrences
from validator.config import from_table
from validator.report import Report
from validator.rules import RULES
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
    """Every occurrence (a group of identical issues expanded to its lines), in file order."""
    return occurrences(report)


def _found(path: Path) -> list[Key]:
    """Every issue of a Parquet file as the checks add them, ungrouped and in that order."""
    from validator.collect import Collector
    from validator.files.parquet import check_parquet

    out = Collector(CONFIG)
    out.capture = []
    with path.open("rb") as handle:
        check_parquet(handle, out)
    return [(i.line, i.path, i.code) for i in out.capture]


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
    return _cut(_write(folder / "whole.parquet", {"input_ids": [[i, i + 1] for i in range(40)],
                                                  "attention_mask": [[1, 1]] * 40},
                       row_group_size=10), 2)


def _named_twice(folder: Path) -> Path:
    """pyarrow writes (and reads back) a table with two columns of the same name."""
    ids, mask = pa.array(IDS, pa.list_(pa.int64())), pa.array(CLEAN["attention_mask"])
    path = folder / "train.parquet"
    pq.write_table(pa.Table.from_arrays([ids, mask, ids],
                                        names=["input_ids", "attention_mask", "input_ids"]), path)
    return path


Maker = Callable[[Path], Path]


def _table(columns: dict[str, Any]) -> Maker:
    return lambda folder: _write(folder / "train.parquet", columns)


FAILING: dict[str, tuple[Maker, list[Key]]] = {
    "parquet-invalid": (_cut_in_the_middle, [(None, None, "parquet-invalid")]),
    "parquet-columns": (_table({"input_ids": IDS, "attention_mask": CLEAN["attention_mask"],
                                "text": pa.array(["a", "b", "c"])}),
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
    "parquet-empty": (_table({"input_ids": [[1], [], [2]], "attention_mask": [[1], [], [1]],
                              "labels": [[1], [], [2]]}),
                      [(2, "$.input_ids", "parquet-empty")]),
    "parquet-attention-mask": (_table({
        "input_ids": [[1, 2, 3]] * 3,
        "attention_mask": [[1, 0, 1], [1, 2, 3], [-1, 1, 1]],
    }), [(2, "$.attention_mask[1]", "parquet-attention-mask"),
         (3, "$.attention_mask[0]", "parquet-attention-mask")]),
    "parquet-labels": (_table({
        "input_ids": [[1, 2, 3]] * 3,
        "attention_mask": [[1, 1, 1]] * 3,
        "labels": [[-100, 5, 0], [-1, 5, -101], [7, -100, -200]],
    }), [(2, "$.labels[0]", "parquet-labels"), (3, "$.labels[2]", "parquet-labels")]),
    "parquet-nothing-trained": (_table({
        "input_ids": [[1, 2, 3], [1, 2, 3], [1]],
        "attention_mask": [[1, 1, 1], [1, 1, 1], [1]],
        "labels": [[-100, -100, -100], [-100, 5, -100], [-100]],
    }), [(1, "$.labels", "parquet-nothing-trained"), (3, "$.labels", "parquet-nothing-trained")]),
    # a start other than 0, a skip, a repeat, a row that counts on from the row before (each
    # row starts at 0), a jump; two resets in a row (row 5) are fine
    "parquet-position-ids": (_table({
        "input_ids": [[1, 2, 3]] * 6,
        "attention_mask": [[1, 1, 1]] * 6,
        "position_ids": [[1, 2, 3], [0, 2, 3], [0, 1, 1], [2, 3, 4], [0, 0, 1], [0, 1, 5]],
    }), [(1, "$.position_ids[0]", "parquet-position-ids"),
         (2, "$.position_ids[1]", "parquet-position-ids"),
         (3, "$.position_ids[2]", "parquet-position-ids"),
         (4, "$.position_ids[0]", "parquet-position-ids"),
         (6, "$.position_ids[2]", "parquet-position-ids")]),
    # with max-line-size = 100 (FAILING_CONFIG): row 2's group is too wide to read, rows 1 and
    # 3 are read and checked (row 3's mask of 2 is still found)
    "parquet-row-too-large": (lambda folder: _write(folder / "train.parquet", {
        "input_ids": [[1, 2], list(range(20)), [1, 2]],
        "attention_mask": [[1, 1], [1] * 20, [1, 2]],
    }, row_group_size=1), [(2, None, "parquet-row-too-large"),
                           (3, "$.attention_mask[1]", "parquet-attention-mask")]),
}

FAILING_CONFIG: dict[str, dict[str, Any]] = {"parquet-row-too-large": {"max-line-size": 100}}
"""The [tool.ftdata] settings a failing file is checked with, where it needs any."""

PASSING: dict[str, Maker] = {
    "parquet-invalid": _table(CLEAN),
    "parquet-columns": _table({"input_ids": IDS, "attention_mask": CLEAN["attention_mask"]}),
    "parquet-type": _table({
        "input_ids": pa.array(IDS, pa.list_(pa.int32())),
        "attention_mask": pa.array(CLEAN["attention_mask"], pa.large_list(pa.int8())),
        "labels": pa.array(CLEAN["labels"], pa.large_list(pa.int64())),
        "position_ids": pa.array(CLEAN["position_ids"], pa.list_(pa.uint16())),
    }),
    "parquet-null": _table(CLEAN),
    "parquet-length": _table({"input_ids": [[1], [2, 3]], "attention_mask": [[1], [1, 0]],
                              "labels": [[1], [2, 3]]}),
    "parquet-empty": _table({"input_ids": [[0], [1]], "attention_mask": [[1], [1]]}),
    "parquet-attention-mask": _table({"input_ids": [[1, 2, 3]] * 2,
                                      "attention_mask": [[0, 0, 0], [1, 1, 1]]}),
    "parquet-labels": _table({"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 1]],
                              "labels": [[-100, 0, 2**40]]}),
    # one trained label is enough; unsigned labels cannot hold -100
    "parquet-nothing-trained": _table({
        "input_ids": [[1, 2, 3], [1, 2]],
        "attention_mask": [[1, 1, 1], [1, 1]],
        "labels": pa.array([[-100, -100, 3], [-100, 0]]),
    }),
    # packed examples (a reset to 0 starts the next), right padding as zeros under mask 0, a
    # count that runs on through the padding, and a one-token example
    "parquet-row-too-large": _table(CLEAN),
    "parquet-position-ids": _table({
        "input_ids": [[5, 6, 7, 8, 9], [5, 6, 7, 0, 0], [5, 6, 0, 0], [5]],
        "attention_mask": [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0], [1]],
        "position_ids": [[0, 1, 2, 0, 1], [0, 1, 2, 0, 0], [0, 1, 2, 3], [0]],
    }),
}
