"""[tool.ftdata] in pyproject.toml and the precedence of CLI flags over it."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CHAT
from validator.cli.main import main
from validator.config import Config, find_pyproject, load_config, parse_size, resolve_config
from validator.errors import ConfigError
from validator.issues import Severity


def test_defaults_come_from_the_rule_table() -> None:
    cfg = Config()
    assert cfg.severity["role-invalid"] is Severity.ERROR
    assert cfg.severity["turn-order"] is Severity.WARNING
    assert cfg.max_errors == 50


def test_overrides_apply_in_order_and_globs_match() -> None:
    cfg = Config().with_overrides(ignore=["tool-*"], error=["tool-undeclared"])
    assert cfg.severity["tool-call-id"] is Severity.OFF
    assert cfg.severity["tool-undeclared"] is Severity.ERROR
    strict = Config().with_overrides(strict=True)
    assert strict.severity["blank-line"] is Severity.ERROR


@pytest.mark.parametrize(("text", "size"), [("100", 100), ("64MiB", 64 * 2**20),
                                            ("1.5GB", 1_500_000_000), ("10 kb", 10_000)])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["ten", "5 parsecs", "-1"])
def test_parse_size_rejects_nonsense(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_size(text)


def test_pyproject_is_found_upwards_and_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ftdata]\nmax-errors = 7\nignore = ["blank-line"]\nwarn = ["no-assistant"]\n'
        'max-file-size = "1GB"\n'
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    found = find_pyproject(nested)
    assert found == tmp_path / "pyproject.toml"
    cfg = load_config(found)
    assert cfg.max_errors == 7
    assert cfg.max_file_bytes == 10**9
    assert cfg.severity["blank-line"] is Severity.OFF
    assert cfg.severity["no-assistant"] is Severity.WARNING


def test_sdk_max_file_size_defaults_to_the_sdks_limit_and_is_read(tmp_path: Path) -> None:
    """SPEC §1: the official SDK refuses files over 50.1 GiB (its GB is 2**30 bytes)."""
    assert Config().sdk_max_file_bytes == parse_size("50.1GiB") == int(50.1 * 2**30)
    assert Config().sdk_max_file_bytes < Config().max_file_bytes
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nsdk-max-file-size = "2GiB"\n')
    cfg = load_config(tmp_path / "pyproject.toml")
    assert (cfg.sdk_max_file_bytes, cfg.max_file_bytes) == (2 * 2**30, Config().max_file_bytes)
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nsdk-max-file-size = "big"\n')
    with pytest.raises(ConfigError, match="cannot read size 'big'"):
        load_config(tmp_path / "pyproject.toml")


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_pyproject(tmp_path) is None


@pytest.mark.parametrize("text", [
    '[tool]\nftdata = { max-errors = 3 }\n',  # the table written inline
    'tool.ftdata.max-errors = 3\n',  # dotted keys
    '[tool."ft\\u0064ata"]\nmax-errors = 3\n',  # an escaped key: the word is not in the text
])
def test_pyproject_table_is_found_however_written(tmp_path: Path, text: str) -> None:
    """The cheap text test that skips parsing most pyproject files never skips a real table."""
    (tmp_path / "pyproject.toml").write_text(text)
    found = find_pyproject(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    assert load_config(found).max_errors == 3


def test_start_up_does_not_parse_a_pyproject_without_the_word(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    code = ("import sys; from pathlib import Path; from validator.config import find_pyproject; "
            f"assert find_pyproject(Path({str(tmp_path)!r})) is None; "
            "assert 'tomllib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("max-errors = -1", "max-errors must be an integer >= 0"),
        ('ignore = "blank-line"', "ignore must be a list of rule codes"),
        ('ignore = ["nope"]', "unknown rule code 'nope'"),
        ("colour = true", "unknown key(s) in [tool.ftdata]: colour"),
        ("strict = 1", "strict must be true or false"),
        ("max-errors = [", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.ftdata]\n{table}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_cli_reads_config_and_flags_win(tmp_path: Path, write: Callable[..., Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nerror = ["blank-line"]\n')
    data = write("d.jsonl", CHAT, b"\n")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["validate", str(data)], stdout=out) == 1
    assert main(["validate", "--warn", "blank-line", str(data)], stdout=out) == 0
    assert main(["validate", "--isolated", str(data)], stdout=out) == 0
    err = io.StringIO()
    (tmp_path / "pyproject.toml").write_text("[tool.ftdata]\nbogus = 1\n")
    assert main(["validate", str(data)], stdout=out, stderr=err) == 2
    assert "unknown key(s)" in err.getvalue()


def test_resolve_config_layers_base_file_and_flags(tmp_path: Path) -> None:
    """A command's defaults, then [tool.ftdata], then the flags: each over the one before."""
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nerror = ["blank-line"]\n')
    base = Config(max_errors=500)
    cfg = resolve_config(tmp_path, base=base)
    assert (cfg.max_errors, cfg.severity["blank-line"]) == (500, Severity.ERROR)
    cfg = resolve_config(tmp_path, base=base, max_errors=3, warn=["blank-line"])
    assert (cfg.max_errors, cfg.severity["blank-line"]) == (3, Severity.WARNING)
    assert resolve_config(tmp_path, isolated=True).severity["blank-line"] is Severity.WARNING
    (tmp_path / "pyproject.toml").write_text("[tool.ftdata]\nmax-errors = 7\n")
    assert resolve_config(tmp_path, base=base).max_errors == 7  # the file beats the default
    other = tmp_path / "other.toml"
    other.write_text('[tool.ftdata]\nignore = ["blank-line"]\n')
    assert resolve_config(tmp_path, config_file=other).severity["blank-line"] is Severity.OFF
    with pytest.raises(ConfigError, match="max-errors must be >= 0"):
        resolve_config(tmp_path, max_errors=-1)


def test_report_reads_the_config_too(tmp_path: Path, write: Callable[..., Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """ftdata report resolves its settings as validate does; its own default is 500 issues."""
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nerror = ["blank-line"]\n')
    data = write("d.jsonl", CHAT, b"\n")
    page = tmp_path / "r.html"
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["report", str(data), "-o", str(page)], stdout=out) == 1
    assert "blank-line" in page.read_text()
    assert main(["report", "--isolated", str(data), "-o", str(page)], stdout=out) == 0
    assert main(["report", "--ignore", "blank-line", str(data), "-o", str(page)],
                stdout=out) == 0
    assert "No issues." in page.read_text()
    # 600 distinct warnings (each line its own unknown key): the page lists 500 of them
    extra = [b'{"text": "t", "k%d": 1}\n' % n for n in range(600)]
    many = write("many.jsonl", *extra)
    assert main(["report", "--isolated", str(many), "-o", str(page)], stdout=out) == 0
    assert page.read_text().count('<code>key-unknown</code></td><td class="warning">') == 500
    assert "100 more issues not shown" in page.read_text()
    # 600 identical warnings are one row, with their count
    blanks = write("blanks.jsonl", CHAT, *[b"\n"] * 600)
    assert main(["report", "--isolated", str(blanks), "-o", str(page)], stdout=out) == 0
    assert page.read_text().count("<td>blank line:") == 1
    assert "<td class=num>600</td>" in page.read_text()


def test_stats_reads_the_line_limit_from_the_config(tmp_path: Path, write: Callable[..., Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ftdata]\nmax-line-size = "20B"\n')
    data = write("d.jsonl", CHAT)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["stats", "--output", "json", str(data)], stdout=out) == 0
    assert '"unreadable_lines": 1' in out.getvalue()
    out = io.StringIO()
    assert main(["stats", "--isolated", "--output", "json", str(data)], stdout=out) == 0
    assert '"unreadable_lines": 0' in out.getvalue()
