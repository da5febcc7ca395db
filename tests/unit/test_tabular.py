"""Parquet rules (SPEC §3), on files built with pyarrow in tmp_path rather than committed.

These are the file-level rules (opening, columns, purpose); the row rules streamed in batches
are in ``test_parquet.py``.

CSV cases are committed files under ``tests/data/csv`` and run by ``test_examples.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from validator.config import from_table
from validator.report import Report
from validator.run.pipeline import validate_file

CONFIG = from_table({"max-errors": 1000})


def _parquet(path: Path, columns: dict[str, list[Any]]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return str(path)


def _issues(report: Report) -> list[tuple[int | None, str | None, str]]:
    return [(i.line, i.path, i.code) for i in report.issues]


TOKENS = {
    "input_ids": [[1, 2, 3], [4, 5]],
    "attention_mask": [[1, 1, 1], [1, 1]],
    "labels": [[-100, 2, 3], [-100, 5]],
}


def test_pretokenized_parquet_passes(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {**TOKENS, "position_ids": [[0, 1, 2], [0, 1]]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == []
    server = report.to_server_dict()
    assert server["valid"] is True
    assert server["dataset_format"] is None
    assert server["nlines"] == 2
    assert server["error"] is None


def test_input_ids_and_attention_mask_are_enough(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {"input_ids": TOKENS["input_ids"],
                                                 "attention_mask": TOKENS["attention_mask"]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert report.valid
    assert report.nlines == 2


def test_missing_attention_mask(tmp_path: Path) -> None:
    """SPEC §3: the docs' table marks attention_mask required, as input_ids (old SDKs asked
    only for input_ids); the rows are still checked."""
    path = _parquet(tmp_path / "train.parquet", {"input_ids": [[1, 2], []],
                                                 "labels": [[-100, 2, 3], []]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns"), (1, "$.labels", "parquet-length"),
                               (2, "$.input_ids", "parquet-empty")]
    assert report.error == (
        "Parquet file has no attention_mask column (columns: input_ids, labels): pre-tokenized "
        "data needs input_ids and attention_mask; write attention_mask as 1 for each token to "
        "attend to and 0 for padding (all 1s when nothing is padded)")


def test_missing_input_ids_and_attention_mask_is_one_issue(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {"labels": TOKENS["labels"]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns")]
    assert report.error is not None
    assert "no input_ids and no attention_mask column" in report.error
    assert "name the token column input_ids" in report.error


@pytest.mark.parametrize("twice", ["input_ids", "attention_mask", "labels", "position_ids"])
def test_column_named_twice(tmp_path: Path, twice: str) -> None:
    """pyarrow writes a table with two columns of one name: an error naming it, not a
    traceback, and neither copy is read (the other columns still are)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {**TOKENS, "position_ids": [[0, 1, 2], [0, 1]], "attention_mask": [[1, 1, 1], [1, 7]]}
    names = [*columns, twice]
    arrays = [pa.array(columns[name]) for name in names]
    path = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    assert pq.ParquetFile(path).schema_arrow.names == names
    report = validate_file(path, "fine-tune", config=CONFIG)
    mask = [] if twice == "attention_mask" else [(2, "$.attention_mask[1]",
                                                  "parquet-attention-mask")]
    assert _issues(report) == [(None, f"$.{twice}", "parquet-columns"), *mask]
    assert report.issues[0].message.startswith(f"column {twice} appears 2 times: ")
    assert report.nlines == 2


def test_column_named_twice_is_no_traceback_for_statistics(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from validator.stats.dataset import profile_file

    ids = pa.array(TOKENS["input_ids"])
    labels = pa.array(TOKENS["labels"])
    path = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_arrays([ids, ids, labels],
                                        names=["input_ids", "input_ids", "labels"]), path)
    assert profile_file(path).to_dict()["samples"] == 2


def test_unaccepted_column_named_twice_is_named_once(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = pa.array(["abc", "de"])
    arrays = [pa.array(TOKENS["input_ids"]), pa.array(TOKENS["attention_mask"]), text, text]
    path = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=["input_ids", "attention_mask", "text",
                                                       "text"]), path)
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns")]
    assert report.issues[0].message.startswith("Parquet column(s) text are not accepted")


def test_missing_input_ids(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {"labels": TOKENS["labels"]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns")]
    assert not report.valid
    assert report.error is not None and "input_ids" in report.error


def test_extra_column(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {**TOKENS, "text": ["abc", "de"]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns")]
    assert report.error is not None and "text" in report.error


def test_missing_input_ids_and_extra_column_are_two_issues(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "train.parquet", {"text": ["abc", "de"]})
    report = validate_file(path, "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-columns"), (None, None, "parquet-columns")]


@pytest.mark.parametrize("content", [b"PAR1 not really parquet", b"{\"text\": \"a jsonl file\"}\n"])
def test_not_parquet(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "train.parquet"
    path.write_bytes(content)
    report = validate_file(str(path), "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-invalid")]
    assert report.nlines == 0
    assert all(i.message for i in report.issues)


def test_truncated_parquet(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    _parquet(whole, TOKENS)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-20])
    report = validate_file(str(cut), "fine-tune", config=CONFIG)
    assert _issues(report) == [(None, None, "parquet-invalid")]


def test_parquet_for_eval_is_rejected(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "eval.parquet", TOKENS)
    report = validate_file(path, "eval", config=CONFIG)
    assert _issues(report) == [(None, None, "purpose-file-type")]


def test_parquet_for_batch_api_is_rejected(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "batch.parquet", TOKENS)
    report = validate_file(path, "batch-api", config=CONFIG)
    assert _issues(report) == [(None, None, "purpose-file-type")]


def test_validate_bytes_reads_csv_and_parquet_from_memory(tmp_path: Path) -> None:
    from validator import validate_bytes

    report = validate_bytes(b"q,a\n1+1,2\n", "eval.csv", "eval", config=CONFIG)
    assert report.valid
    assert report.nlines == 1
    data = Path(_parquet(tmp_path / "t.parquet", TOKENS)).read_bytes()
    report = validate_bytes(data, "t.parquet", config=CONFIG)
    assert report.valid, report.issues
    assert report.nlines == validate_file(tmp_path / "t.parquet", config=CONFIG).nlines
