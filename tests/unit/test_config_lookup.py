"""Where [tool.ftdata] is found (each file's folder upwards, as ruff does), TOML errors in it,
the ``purpose`` and ``per-file-ignores`` keys, and the option combinations that are refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import CHAT
from validator.cli.main import main
from validator.config import find_pyproject, resolve_config
from validator.errors import ConfigError, UsageError
from validator.issues import Severity

BLANK_IS_ERROR = '[tool.ftdata]\nerror = ["blank-line"]\n'


def run(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err,
                stdin=None if stdin is None else io.BytesIO(stdin))
    return code, out.getvalue(), err.getvalue()


def data(path: Path, *lines: Any) -> Path:
    """A JSONL file at ``path`` (folders made): CHAT, then a blank line (a warning)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"".join(line if isinstance(line, bytes) else orjson.dumps(line) + b"\n"
                    for line in (lines or (CHAT, b"\n")))
    path.write_bytes(body)
    return path


def pyproject(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(text)
    return path


# -- a broken pyproject.toml ---------------------------------------------------------------

def test_a_toml_error_in_the_table_is_exit_2_naming_file_and_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example: the bracket missing at the end of the file."""
    toml = pyproject(tmp_path, '[tool.ftdata]\nerror = ["blank-line"\n')
    d = data(tmp_path / "d.jsonl")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("validate", str(d))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1  # one line, no traceback
    assert f"{toml}: line 2 (the end of the file): not valid TOML: Unclosed array" in err
    for command in (["stats"], ["report", "-o", str(tmp_path / "r.html")]):
        assert run(*command, str(d))[0] == 2


def test_a_toml_error_mid_file_names_line_and_column(tmp_path: Path) -> None:
    toml = pyproject(tmp_path, '[project]\nname = "x"\n[tool.ftdata]\nerror = ["blank-line"\n'
                               "max-errors = 3\n")
    with pytest.raises(ConfigError) as info:
        find_pyproject(tmp_path / "deeper")
    assert str(info.value).startswith(f"{toml}: line 5, column 1: not valid TOML: ")
    assert "(at line" not in str(info.value)
    toml.write_text("[tool.ftdata\nmax-errors = 3\n")
    with pytest.raises(ConfigError, match=r"line 1, column 13: not valid TOML"):
        resolve_config(tmp_path)


def test_a_broken_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    """Not ftdata's file to judge: the search goes on upwards, as for any file without it."""
    outer = pyproject(tmp_path, BLANK_IS_ERROR)
    pyproject(tmp_path / "pkg", '[project]\ndependencies = ["ftdata"\n')
    assert find_pyproject(tmp_path / "pkg") == outer
    d = data(tmp_path / "pkg" / "d.jsonl")
    assert run("validate", str(d))[0] == 1  # the outer table applies


# -- each file's own settings ------------------------------------------------------------

def test_config_is_looked_up_from_each_files_folder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(tmp_path / "strict", BLANK_IS_ERROR)
    strict = data(tmp_path / "strict" / "sub" / "d.jsonl")
    lax = data(tmp_path / "lax" / "d.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the working directory's pyproject: each file's
    assert run("validate", str(strict))[0] == 1
    assert run("validate", str(lax))[0] == 0
    code, out, _ = run("validate", "--output", "json", str(strict), str(lax))
    assert code == 1
    files = {f["path"]: f["validation_report"]["valid"] for f in orjson.loads(out)["files"]}
    assert files == {str(strict): False, str(lax): True}
    # relative paths too
    monkeypatch.chdir(tmp_path)
    assert run("validate", "lax/d.jsonl", "strict/sub/d.jsonl")[0] == 1
    assert run("validate", "lax/d.jsonl")[0] == 0


def test_stdin_uses_the_working_directorys_config(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(tmp_path / "strict", BLANK_IS_ERROR)
    body = orjson.dumps(CHAT) + b"\n\n"
    monkeypatch.chdir(tmp_path)
    assert run("validate", "-", stdin=body)[0] == 0
    monkeypatch.chdir(tmp_path / "strict")
    assert run("validate", "-", stdin=body)[0] == 1


def test_config_and_isolated_apply_to_every_file(tmp_path: Path) -> None:
    pyproject(tmp_path / "strict", BLANK_IS_ERROR)
    strict = data(tmp_path / "strict" / "d.jsonl")
    lax = data(tmp_path / "lax" / "d.jsonl")
    other = tmp_path / "other.toml"
    other.write_text('[tool.ftdata]\nignore = ["blank-line"]\nerror = ["no-assistant"]\n')
    assert run("validate", "--isolated", str(strict), str(lax))[0] == 0
    assert run("validate", "--config", str(other), str(strict), str(lax))[0] == 0
    (tmp_path / "other.toml").write_text(BLANK_IS_ERROR)
    assert run("validate", "--config", str(other), str(lax))[0] == 1


def test_stats_reads_each_files_config(tmp_path: Path) -> None:
    pyproject(tmp_path / "small", '[tool.ftdata]\nmax-line-size = "20B"\n')
    small = data(tmp_path / "small" / "d.jsonl", CHAT)
    usual = data(tmp_path / "usual" / "d.jsonl", CHAT)
    code, out, _ = run("stats", "--output", "json", str(small), str(usual))
    assert code == 0
    assert [f["unreadable_lines"] for f in orjson.loads(out)["files"]] == [1, 0]


def test_resolve_config_for_a_file(tmp_path: Path) -> None:
    pyproject(tmp_path / "a", BLANK_IS_ERROR)
    assert resolve_config(file=tmp_path / "a" / "x.jsonl").severity["blank-line"] \
        is Severity.ERROR
    assert resolve_config(file=tmp_path / "b" / "x.jsonl").severity["blank-line"] \
        is Severity.WARNING
    with pytest.raises(UsageError):
        resolve_config(tmp_path, isolated=True, config_file=tmp_path / "a" / "pyproject.toml")


# -- the purpose key ---------------------------------------------------------------------

def test_purpose_key_is_the_default_purpose(tmp_path: Path) -> None:
    pyproject(tmp_path / "evals", '[tool.ftdata]\npurpose = "auto"\n')
    csv = tmp_path / "evals" / "e.csv"
    csv.write_bytes(b"question,answer\n1+1,2\n")
    assert run("validate", str(csv))[0] == 0
    assert run("validate", "--purpose", "fine-tune", str(csv))[0] == 1  # the flag wins
    other = tmp_path / "other" / "e.csv"
    other.parent.mkdir()
    other.write_bytes(csv.read_bytes())
    assert run("validate", str(other))[0] == 1  # no config there: fine-tune
    (tmp_path / "evals" / "pyproject.toml").write_text('[tool.ftdata]\npurpose = "eval"\n')
    row = data(tmp_path / "evals" / "rows.jsonl", {"q": "a"}, {"q": "b"})
    code, out, _ = run("validate", "--output", "json", str(row))
    assert (code, orjson.loads(out)["files"][0]["stats"]["purpose"]) == (0, "eval")


def test_a_bad_purpose_key_is_a_config_error(tmp_path: Path) -> None:
    toml = pyproject(tmp_path, '[tool.ftdata]\npurpose = "pretrain"\n')
    d = data(tmp_path / "d.jsonl")
    code, _, err = run("validate", str(d))
    assert code == 2
    assert f"{toml}: purpose must be one of fine-tune, eval, batch-api, calibration or auto" \
        in err


def test_report_takes_purpose_auto_and_the_key(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.report.html

    seen: list[tuple[str, str | None]] = []

    def fake_render(report: Any, profile: Any, **kwargs: Any) -> str:  # tested elsewhere
        seen.append((report.purpose, profile and profile.purpose))
        return "<html></html>"

    monkeypatch.setattr(validator.report.html, "render_html", fake_render)
    csv = tmp_path / "e.csv"
    csv.write_bytes(b"question,answer\n1+1,2\n")
    jsonl = data(tmp_path / "d.jsonl", CHAT)
    page = tmp_path / "r.html"
    assert run("report", "--isolated", "--purpose", "auto", str(csv), "-o", str(page))[0] == 0
    assert run("report", "--isolated", "--purpose", "auto", str(jsonl), "-o", str(page))[0] == 0
    pyproject(tmp_path, '[tool.ftdata]\npurpose = "auto"\n')
    assert run("report", str(csv), "-o", str(page))[0] == 0
    assert seen == [("eval", "eval"), ("fine-tune", "fine-tune"), ("eval", "eval")]


def test_upload_takes_purpose_auto_and_the_key(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import uploader.cli  # a plug-in command

    seen: list[str] = []

    def fake_upload(path: str, purpose: str, **kwargs: Any) -> Any:
        seen.append(purpose)
        raise UsageError("not sent in this test")

    monkeypatch.setattr(uploader.cli, "upload", fake_upload)
    monkeypatch.setenv("TOGETHER_API_KEY", "test-key")
    csv = tmp_path / "e.csv"
    csv.write_bytes(b"question,answer\n1+1,2\n")
    jsonl = data(tmp_path / "d.jsonl")
    assert run("upload", "--isolated", "--purpose", "auto", str(csv))[0] == 2
    assert run("upload", "--isolated", "--purpose", "auto", str(jsonl))[0] == 2
    assert run("upload", "--isolated", str(csv))[0] == 2
    pyproject(tmp_path, '[tool.ftdata]\npurpose = "auto"\n')
    assert run("upload", str(csv))[0] == 2
    assert seen == ["eval", "fine-tune", "fine-tune", "eval"]


# -- per-file-ignores --------------------------------------------------------------------

def test_per_file_ignores_match_paths_relative_to_the_pyproject(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(tmp_path, BLANK_IS_ERROR + '[tool.ftdata.per-file-ignores]\n'
                                         '"legacy/*.jsonl" = ["blank-line"]\n'
                                         '"scratch.jsonl" = ["blank-*"]\n')
    legacy = data(tmp_path / "legacy" / "d.jsonl")
    current = data(tmp_path / "current" / "d.jsonl")
    scratch = data(tmp_path / "current" / "deep" / "scratch.jsonl")  # a name matches anywhere
    monkeypatch.chdir(tmp_path / "current")  # matched from the pyproject's folder, not here
    assert run("validate", str(legacy))[0] == 0
    assert run("validate", str(current))[0] == 1
    assert run("validate", str(scratch))[0] == 0
    assert run("validate", "../legacy/d.jsonl", "d.jsonl")[0] == 1
    # per-file-ignores win over the flags, as in ruff; --isolated drops them
    assert run("validate", "--error", "blank-line", str(legacy))[0] == 0
    assert run("validate", "--isolated", "--strict", str(legacy))[0] == 1
    # standard input matches by --name
    body = orjson.dumps(CHAT) + b"\n\n"
    monkeypatch.chdir(tmp_path)
    assert run("validate", "-", "--name", "legacy/x.jsonl", stdin=body)[0] == 0
    assert run("validate", "-", "--name", "current/x.jsonl", stdin=body)[0] == 1


def test_per_file_ignores_double_star_matches_any_depth(tmp_path: Path) -> None:
    pyproject(tmp_path, BLANK_IS_ERROR + '[tool.ftdata.per-file-ignores]\n'
                                         '"data/**/*.jsonl" = ["blank-line"]\n')
    cfg = resolve_config(tmp_path)
    assert cfg.for_file(tmp_path / "data" / "x.jsonl").severity["blank-line"] is Severity.OFF
    assert cfg.for_file(tmp_path / "data" / "a" / "b" / "x.jsonl").severity["blank-line"] \
        is Severity.OFF
    assert cfg.for_file(tmp_path / "x.jsonl").severity["blank-line"] is Severity.ERROR


@pytest.mark.parametrize(("table", "message"), [
    ('"*.jsonl" = ["nope"]', "unknown rule code 'nope'"),
    ('"*.jsonl" = "blank-line"', "per-file-ignores must be a table of globs"),
])
def test_bad_per_file_ignores_are_config_errors(tmp_path: Path, table: str,
                                                message: str) -> None:
    toml = pyproject(tmp_path, f"[tool.ftdata.per-file-ignores]\n{table}\n")
    with pytest.raises(ConfigError) as info:
        resolve_config(tmp_path)
    assert str(toml) in str(info.value)
    assert message in str(info.value)


# -- option combinations -----------------------------------------------------------------

def test_isolated_with_config_is_a_usage_error(tmp_path: Path) -> None:
    toml = pyproject(tmp_path, BLANK_IS_ERROR)
    d = data(tmp_path / "d.jsonl")
    for command in (["validate"], ["stats"], ["report", "-o", str(tmp_path / "r.html")]):
        code, _, err = run(*command, "--isolated", "--config", str(toml), str(d))
        assert code == 2, command
        assert "--isolated" in err and "--config" in err


def test_cluster_workers_without_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    d = data(tmp_path / "d.jsonl")
    code, out, err = run("validate", "--isolated", "--cluster-workers", "2", str(d))
    assert (code, out) == (2, "")
    assert "--cluster-workers" in err and "--scheduler" in err
