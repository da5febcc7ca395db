"""ftdata stats and report read every purpose and file type validate reads (issue 16, item 2)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson

from validator.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_csv_is_described_as_eval_rows() -> None:
    code, out, _ = run("stats", str(ROOT / "examples/eval.csv"))
    assert code == 0
    assert "3 samples in 3 rows" in out and "purpose eval" in out
    assert "not applicable to eval or calibration rows: samples per format" in out


def test_csv_for_fine_tune_is_refused() -> None:
    code, _, err = run("stats", "--purpose", "fine-tune", str(ROOT / "examples/eval.csv"))
    assert code == 2
    assert "--purpose eval (or auto)" in err


def test_unknown_file_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("{}\n")
    code, _, err = run("stats", str(tmp_path / "d.txt"))
    assert code == 2 and "file type not known" in err


def test_parquet_without_input_ids_counts_its_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["a", "bb"]}), tmp_path / "x.parquet")
    code, out, _ = run("stats", "-o", "json", str(tmp_path / "x.parquet"))
    doc = orjson.loads(out)["files"][0]
    assert code == 0 and doc["samples"] == 2 and doc["unit"] == "rows"
    assert "chars_per_sample" in doc["not_applicable"]


def test_batch_and_eval_from_standard_input() -> None:
    line = orjson.dumps({"custom_id": "a", "body": {"model": "m", "messages": [
        {"role": "user", "content": "hi"}]}}) + b"\n"
    code, out, _ = run("stats", "-", "--purpose", "batch-api", "-o", "json", stdin=line * 2)
    doc = orjson.loads(out)["files"][0]
    assert code == 0 and doc["samples"] == 2 and doc["messages_per_sample"]["max"] == 1
    assert doc["exact_duplicates"]["samples"] == 1
    code, out, _ = run("stats", "-", "--purpose", "eval", stdin=b'{"q": "x", "a": "yy"}\n')
    assert code == 0 and "chars per sample: min 3" in out


def test_report_page_header_and_table_agree(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    chat = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}
    path.write_bytes(orjson.dumps(chat) + b"\nnot json\n" + orjson.dumps(chat) + b"\n")
    assert run("report", str(path), "-o", str(tmp_path / "r.html"))[0] == 1
    page = (tmp_path / "r.html").read_text()
    header = re.search(r"· ([\d,]+) samples? ·", page)
    assert header is not None and header.group(1) == "3"
    assert "<tr><th>samples (as in the header)</th><td>3</td></tr>" in page


def test_report_of_a_csv_for_eval(tmp_path: Path) -> None:
    code, _, _ = run("report", str(ROOT / "examples/eval.csv"), "--purpose", "auto",
                     "-o", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    assert code == 0 and "purpose eval" in page and "<svg" in page


def test_histogram_is_linear_with_axes_and_percentiles(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [orjson.dumps({"text": "x" * n}) for n in (180, 230, 272, 273, 26_077)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    run("report", str(path), "-o", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    assert ">samples</text>" in page and "characters per sample</text>" in page
    assert "p90 15,755.4" in page and "p99 25,044.8" in page  # as the text output says
    _, out, _ = run("stats", str(path))
    assert "p90 15,755.4  p99 25,044.8  max 26,077" in out
