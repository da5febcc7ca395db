"""Messages read as a person would write them (issue 16, item 7)."""

from __future__ import annotations

import orjson

from validator.collect import Collector, Tally
from validator.config import Config
from validator.formats.batch import check
from validator.formats.describe import describe
from validator.issues import Issue, Severity
from validator.report import Report
from validator.report.text import render


def test_a_long_string_is_cut_inside_its_quotes() -> None:
    shown = describe("x" * 70)
    assert shown.startswith('"xxx') and '..."' in shown and "(70 chars)" in shown
    assert describe("short") == '"short"'


def test_custom_id_message_closes_its_quote() -> None:
    out = Collector(Config())
    out.line = 1
    check({"custom_id": "r" * 80, "body": {"model": "m", "messages": []}}, out, Tally(), {})
    (message,) = [i.message for i in out.grouped() if i.code == "batch-custom-id"]
    assert message.count('"') % 2 == 0, message


def test_omitted_summary_says_how_many_codes_are_left_out() -> None:
    codes = [f"code-{k}" for k in range(7)]
    report = Report(path="d.jsonl", purpose="fine-tune", nlines=7, errors=7,
                    by_code=dict.fromkeys(codes, 1), issues=[])
    text = render([report])
    assert "7 more issues not shown" in text
    assert ", and 2 more);" in text
    one = Report(path="d.jsonl", purpose="fine-tune", nlines=1, errors=1,
                 by_code={"code-0": 1}, issues=[])
    assert "1 more issue not shown" in render([one])


def test_plurals_in_the_summary() -> None:
    issue = Issue(line=1, location=None, code="blank-line", severity=Severity.WARNING,
                  message="blank")
    report = Report(path="d.jsonl", purpose="fine-tune", nlines=1, warnings=1, issues=[issue])
    assert "1 sample; 0 errors, 1 warning" in render([report])


def test_parquet_upload_verdict_names_the_format() -> None:
    from uploader.cli import _verdict

    doc = {"id": "file-1", "processing_status": "COMPLETED", "filename": "x.parquet",
           "validation_report": {"valid": True, "dataset_format": None, "nlines": 3}}
    line = _verdict(doc, "fine-tune")
    assert "None" not in line and "pre-tokenized Parquet" in line


def test_articles_and_types_read_as_a_person_writes_them() -> None:
    from validator import validate_bytes

    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    line = orjson.dumps({"messages": [{"role": "user", "content": [None]},
                                      {"role": "assistant", "content": [image]}]}) + b"\n"
    messages = [i.message for i in validate_bytes(line).issues]
    assert any("an assistant message" in m for m in messages), messages
    assert not any("a assistant" in m or "NoneType" in m for m in messages), messages
    assert any("not null" in m for m in messages), messages


def test_an_archive_with_no_complete_line_says_so() -> None:
    import gzip

    from validator import validate_bytes

    packed = gzip.compress(b'{"text": "' + b"x" * 5000 + b'"}\n')
    report = validate_bytes(packed[:40], name="cut.jsonl.gz")
    (archive,) = [i.message for i in report.issues if i.code == "archive-invalid"]
    assert "no line is complete" in archive and "line 0" not in archive
