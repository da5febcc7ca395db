"""The rule registry: every rule documented and shown by example, the example really raising
it, ``ftdata rules`` showing it, and the files generated from the registry kept in step."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import orjson
import pytest

from validator.cli.main import main
from validator.report.text import format_issue
from validator.rules import RULES, Example, Rule
from validator.rules.examples import example_text, validate_example, write_example
from validator.rules.generate import codes_module, registry, update_readme

ROOT = Path(__file__).resolve().parents[2]
CODES = list(RULES)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def flat(text: str) -> str:
    """``text`` with every run of whitespace made one space (pages are wrapped)."""
    return " ".join(text.split())


@pytest.mark.parametrize("code", CODES)
def test_rule_is_documented(code: str) -> None:
    rule = RULES[code]
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.why.split()) >= 8, "why: a sentence or more on what the server does"
    assert len(rule.fix.split()) >= 4, "fix: how to fix the data"
    assert rule.example is not None, "an example that raises the rule"


@pytest.mark.parametrize("code", CODES)
def test_example_raises_its_rule(code: str, tmp_path: Path) -> None:
    rule = RULES[code]
    report = validate_example(rule, tmp_path)
    raised = [i for i in report.issues if i.code == code]
    assert raised, f"{code}: the example gives {sorted({i.code for i in report.issues})}"
    assert {i.severity for i in raised} == {rule.severity}


@pytest.mark.parametrize("code", CODES)
def test_rules_code_shows_the_page(code: str, tmp_path: Path) -> None:
    rule = RULES[code]
    assert rule.example is not None
    status, out, err = run("rules", code)
    assert (status, err) == (0, "")
    assert out.startswith(f"{code}: {rule.severity.value}, SPEC.md §{rule.spec}\n")
    page = flat(out)
    assert flat(rule.why) in page
    assert flat(rule.fix) in page
    assert f"Example: {rule.example.name}" in page
    reported = page.split("ftdata reports:", 1)[1]
    issue = next(i for i in validate_example(rule, tmp_path).issues if i.code == code)
    assert flat(format_issue(rule.example.name, issue)) in reported
    assert str(tmp_path) not in out and "ftdata-rules-" not in out
    assert max(len(line) for line in out.splitlines()) <= 79


def test_rules_lists_one_line_per_rule_in_registry_order() -> None:
    status, out, _ = run("rules")
    assert status == 0
    assert out.startswith("file-unreadable ")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == CODES
    for line, rule in zip(lines, RULES.values(), strict=True):
        assert line.split()[1:3] == [rule.severity.value, f"§{rule.spec}"]
        assert line.endswith(f"  {rule.summary}")


def test_rules_json_lists_every_field_of_every_rule() -> None:
    status, out, _ = run("rules", "--output", "json")
    assert status == 0
    doc = orjson.loads(out)
    assert [r["code"] for r in doc] == CODES
    for entry, rule in zip(doc, RULES.values(), strict=True):
        assert rule.example is not None
        assert entry == {
            "code": rule.code, "severity": rule.severity.value, "spec": rule.spec,
            "summary": rule.summary, "why": rule.why, "fix": rule.fix,
            "example": {"text": rule.example.text, "name": rule.example.name,
                        "purpose": rule.example.purpose, "config": rule.example.config,
                        "repeat": rule.example.repeat, "form": rule.example.form},
        }


def test_rules_json_with_codes_adds_the_issues_of_the_example() -> None:
    status, out, _ = run("rules", "-o", "json", "turn-order", "bom", "turn-order")
    assert status == 0
    turn, bom = orjson.loads(out)
    assert (turn["code"], bom["code"]) == ("turn-order", "bom")
    assert turn["why"] == RULES["turn-order"].why
    example = RULES["turn-order"].example
    assert example is not None and turn["example"]["text"] == example.text
    assert turn["issues"] == [{"line": 1, "path": "$.messages[1].role", "code": "turn-order",
                               "severity": "warning",
                               "message": turn["issues"][0]["message"], "count": 1,
                               "lines": [1]}]
    assert [i["code"] for i in bom["issues"]] == ["bom"]


def test_unknown_code_exits_2_and_suggests_the_close_one() -> None:
    status, out, err = run("rules", "turn-ordr")
    assert (status, out) == (2, "")
    assert err.startswith("ftdata: error: unknown rule code 'turn-ordr'")
    assert "did you mean turn-order?" in err
    assert "`ftdata rules`" in err
    status, _, err = run("rules", "bom", "zzzz")
    assert status == 2
    assert "'zzzz'" in err and "did you mean" not in err


def test_page_shows_bytes_that_are_not_utf8_escaped_and_long_lines_shortened() -> None:
    _, out, _ = run("rules", "utf8-invalid", "image-too-large", "batch-limits")
    assert '1  {"text": "caf\\xe9"}' in out
    big, batch = out.split("image-too-large: ")[1], out.split("batch-limits: ")[1]
    assert "characters left out" in big
    assert len(big) < 3000
    assert "written 50,001 times" in flat(batch)
    assert "purpose batch-api" in batch


def test_page_of_a_directory_example_reports_it_unreadable() -> None:
    _, out, _ = run("rules", "file-unreadable")
    assert "Example: train.jsonl, a directory, not a file" in out
    assert "\n  train.jsonl: file-unreadable is a directory" in out


def test_write_example_forms(tmp_path: Path) -> None:
    escaped = write_example(Example('\\xef\\xbb\\xbf{"a": "\\xff"}', form="escaped"), tmp_path)
    assert escaped.read_bytes() == b'\xef\xbb\xbf{"a": "\xff"}\n'
    (tmp_path / "r").mkdir()
    repeated = write_example(Example('{"id": "{i}"}', repeat=3), tmp_path / "r")
    assert repeated.read_text() == '{"id": "1"}\n{"id": "2"}\n{"id": "3"}\n'
    assert example_text(Example('"{ab*3}"')) == '"ababab"\n'
    cut = write_example(Example("one\ntwo", name="x.jsonl.gz", form="gzip-cut"), tmp_path)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflater.decompress(cut.read_bytes()) == b"one\ntwo\n"
    assert not inflater.eof  # cut short: the stream never ends
    with pytest.raises(EOFError):
        gzip.decompress(cut.read_bytes())
    folder = write_example(Example("", name="data.jsonl", form="directory"), tmp_path)
    assert folder.is_dir()
    empty = write_example(Example("", name="empty.jsonl"), tmp_path)
    assert empty.read_bytes() == b""


def test_parquet_rows_example_is_a_table_of_its_rows(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    rows = '{"input_ids": [1, 2], "attention_mask": [1, 1]}\n{"input_ids": [3], ' \
           '"attention_mask": [0]}'
    path = write_example(Example(rows, name="t.parquet", form="parquet-rows"), tmp_path)
    assert pq.read_table(path).to_pylist() == [
        {"input_ids": [1, 2], "attention_mask": [1, 1]},
        {"input_ids": [3], "attention_mask": [0]},
    ]


def test_example_config_lowers_a_limit(tmp_path: Path) -> None:
    rule = RULES["line-too-long"]
    assert rule.example is not None and rule.example.config
    report = validate_example(rule, tmp_path)
    assert [i.code for i in report.issues] == ["line-too-long"]


def test_rule_without_example_cannot_be_validated(tmp_path: Path) -> None:
    bare = Rule("bom", RULES["bom"].severity, "1", "s", "w", "f", None)
    with pytest.raises(ValueError, match="no example"):
        validate_example(bare, tmp_path)


def test_generated_files_match_the_registry() -> None:
    table = registry()
    assert list(table) == CODES
    codes_py = (ROOT / "validator" / "rules" / "codes.py").read_text(encoding="utf-8")
    assert codes_py == codes_module(table), "codes.py is stale: run `make rules`"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == update_readme(readme, table), "the README's table is stale: `make rules`"


def test_validate_does_not_read_the_registry(tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "ok.jsonl"
    data.write_text('{"text": "2+2 is 4"}\n')
    code = ("import sys\nfrom validator.cli.main import main\n"
            f"status = main(['validate', {str(data)!r}])\n"
            "assert status == 0, status\n"
            "assert 'tomllib' not in sys.modules, 'tomllib imported'\n"
            "assert 'validator.rules.examples' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, capture_output=True)


def test_mypy_rejects_a_code_that_is_not_declared(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from mypy import api

    # A file rather than -c: mypy refuses -c with the `files` the project's config lists.
    program = tmp_path / "program.py"
    text = ("from validator.collect import Collector\n"
            "from validator.config import Config\n"
            'Collector(Config()).add({code!r}, None, "x")\n')
    options = ["--config-file", str(ROOT / "pyproject.toml"),
               "--cache-dir", str(tmp_path / "mypy-cache"), str(program)]
    monkeypatch.chdir(ROOT)
    program.write_text(text.format(code="no-such-code"))
    out, _, status = api.run(options)
    assert status == 1, out
    assert 'program.py:3: error: Argument 1 to "add" of "Collector" has incompatible type ' \
           '"Literal[\'no-such-code\']"' in out
    program.write_text(text.format(code="turn-order"))
    out, _, status = api.run(options)
    assert status == 0, out
