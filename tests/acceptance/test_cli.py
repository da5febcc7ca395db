"""The CLI through main(argv): exit codes, outputs, and bad input that must never crash."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.conftest import CHAT
from validator.cli.main import main
from validator.report import SERVER_FIELDS

Write = Callable[..., Path]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_valid_file_exits_0(write: Write) -> None:
    path = write("ok.jsonl", CHAT, CHAT)
    code, out, _ = run("validate", str(path))
    assert code == 0
    assert f"{path}: valid (fine-tune): conversation; 2 samples; 0 errors, 0 warnings" in out


def test_invalid_file_exits_1_with_greppable_lines(write: Write) -> None:
    bad = {"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}
    path = write("bad.jsonl", CHAT, bad)
    code, out, _ = run("validate", str(path))
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:2: $.messages[0].role: role-invalid 'bot' is not a role here: use "
        "'assistant' (roles are system, user, assistant, tool)"
    )


def test_json_output_has_exactly_the_spec_shape(write: Write) -> None:
    ok = write("ok.jsonl", CHAT)
    bad = write("bad.jsonl", CHAT, b"not json\n")
    code, out, _ = run("validate", "--output", "json", str(ok), str(bad))
    assert code == 1
    doc = orjson.loads(out)
    assert list(doc) == ["files"]
    first, second = doc["files"]
    assert list(first) == ["path", "validation_report", "issues", "stats"]
    assert tuple(first["validation_report"]) == SERVER_FIELDS
    assert first["validation_report"]["valid"] is True
    assert first["validation_report"]["error"] is None
    report = second["validation_report"]
    assert report["valid"] is False
    assert report["error_type"] == "INVALID_FORMAT"
    assert report["nlines"] == 2
    assert report["error"].startswith("Line 2: invalid JSON")
    assert second["issues"] == [
        {"line": 2, "path": None, "code": "json-invalid", "severity": "error",
         "message": second["issues"][0]["message"], "count": 1, "lines": [2]}
    ]


def test_github_output_escapes_and_annotates(write: Write) -> None:
    path = write("a,b.jsonl", CHAT, b"{\"text\": 1}\n")
    code, out, _ = run("validate", "--output", "github", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error file=")
    assert "a%2Cb.jsonl,line=2,title=ftdata format-mixed::" in lines[0]


def test_many_files_and_unreadable_ones_exit_2(write: Write, tmp_path: Path) -> None:
    ok = write("ok.jsonl", CHAT)
    code, out, _ = run("validate", str(ok), str(tmp_path / "missing.jsonl"), str(ok))
    assert code == 2
    assert f"{tmp_path / 'missing.jsonl'}: file-unreadable no such file" in out
    assert "3 files: 2 valid, 1 invalid" in out
    # a folder is walked for its dataset files (tests/acceptance/test_walk.py)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    code, out, _ = run("validate", str(fifo))
    assert code == 2
    assert "not a regular file" in out


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (os.urandom(4096), "utf8-invalid json-invalid"),
        (b"\x00\x01\x02\xff\xfe" * 100, "utf8-invalid"),
        (b"[" * 10_000 + b"]" * 10_000 + b"\n", "json-invalid"),
        (b'{"text": NaN}\n', "json-invalid"),
        (b'{"text": "a"}\n{"text": "caf\xc3\xa9 \xff"}\n{"text": "b"}\n', "utf8-invalid"),
        (b'\xef\xbb\xbf{"text": "a"}\n', "bom"),
    ],
    ids=["random-bytes", "binary", "deep-nesting", "nan", "bad-utf8-middle", "bom"],
)
def test_bad_input_is_a_clear_error_not_a_traceback(write: Write, data: bytes, code: str) -> None:
    path = write("bad.jsonl", data)
    rc, out, err = run("validate", "--output", "json", str(path))
    assert rc == 1
    assert err == ""
    codes = {i["code"] for i in orjson.loads(out)["files"][0]["issues"]}
    assert codes & set(code.split()), codes


def test_crlf_line_endings_are_fine(write: Write) -> None:
    path = write("crlf.jsonl", orjson.dumps(CHAT) + b"\r\n" + orjson.dumps(CHAT) + b"\r\n")
    assert run("validate", str(path))[0] == 0


def test_huge_single_line_is_an_error_with_bounded_work(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        for _ in range(200):
            handle.write(b"x" * 2**20)
    code, out, _ = run("validate", "--output", "json", str(path))
    assert code == 1
    doc = orjson.loads(out)["files"][0]
    assert doc["validation_report"]["nlines"] == 1
    assert [i["code"] for i in doc["issues"]] == ["json-invalid"]


def test_strict_and_severity_flags(write: Write) -> None:
    path = write("warn.jsonl", CHAT, b"\n", CHAT)
    assert run("validate", str(path))[0] == 0
    assert run("validate", "--strict", str(path))[0] == 1
    assert run("validate", "--error", "blank-line", str(path))[0] == 1
    code, out, _ = run("validate", "--ignore", "blank-*", str(path))
    assert code == 0
    assert "blank-line" not in out


def test_unknown_code_is_a_usage_error(write: Write) -> None:
    path = write("ok.jsonl", CHAT)
    code, _, err = run("validate", "--ignore", "no-such-rule", str(path))
    assert code == 2
    assert "unknown rule code 'no-such-rule'" in err


def test_max_errors_caps_output_but_counting_goes_on(write: Write) -> None:
    # 120 different errors (each at another column), so none are grouped
    path = write("many.jsonl", *[b" " * n + b"nope\n" for n in range(120)])
    code, out, _ = run("validate", "--max-errors", "3", "--output", "json", str(path))
    assert code == 1
    doc = orjson.loads(out)["files"][0]
    assert len(doc["issues"]) == 3
    assert doc["stats"]["errors"] == 120
    assert doc["stats"]["issues_omitted"] == 117
    code, out, _ = run("validate", "--max-errors", "3", str(path))
    assert "117 more issues not shown (json-invalid x117)" in out


def test_identical_issues_are_reported_once_with_their_count(write: Write) -> None:
    """2,000 identical warnings read as one line, in every renderer, and take one slot of the
    cap: the distinct error after them is still shown."""
    path = write("flood.jsonl", *[b'{"text": "t", "meta": 1}\n'] * 2000, b"nope\n")
    code, out, _ = run("validate", "--max-errors", "1", "--output", "json", str(path))
    assert code == 1
    doc = orjson.loads(out)["files"][0]
    flood, error = doc["issues"]
    assert (flood["code"], flood["path"], flood["line"]) == ("key-unknown", "$.meta", 1)
    assert flood["count"] == 2000 and flood["lines"] == list(range(1, 11))
    assert (error["code"], error["line"], error["count"], error["lines"]) == \
        ("json-invalid", 2001, 1, [2001])
    assert doc["stats"]["issues_omitted"] == 0
    code, out, _ = run("validate", str(path))
    text = [line for line in out.splitlines() if "key-unknown" in line]
    assert text == [f"{path}:1: $.meta: key-unknown [warning] key 'meta' is ignored by the "
                    "server for general: trim it to speed up upload "
                    "(x2,000: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ...)"]
    code, out, _ = run("validate", "--output", "github", str(path))
    assert sum("ftdata key-unknown" in line for line in out.splitlines()) == 1
    assert "(x2,000: lines 1, 2, 3" in out


def test_usage_errors_exit_2() -> None:
    assert run()[0] == 2
    assert run("validate")[0] == 2
    assert run("validate", "--purpose", "pretrain", "x.jsonl")[0] == 2
    assert run("--version")[0] == 0


def test_purpose_auto_reads_csv_as_eval(write: Write) -> None:
    path = write("eval.csv", b"question,answer\n1+1,2\n")
    assert run("validate", "--purpose", "auto", str(path))[0] == 0
    assert run("validate", str(path))[0] == 1


def test_rules_lists_every_code() -> None:
    from validator.rules import RULES

    code, out, _ = run("rules")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} == set(RULES)
    code, out, _ = run("rules", "--output", "json")
    assert [r["code"] for r in orjson.loads(out)] == list(RULES)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_is_drawn_on_a_terminal_and_cleared(write: Write,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from validator.cli import main as cli

    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)
    path = write("ok.jsonl", CHAT)
    err = _Terminal()
    assert main(["validate", str(path)], stdout=io.StringIO(), stderr=err) == 0
    drawn = err.getvalue()
    assert f"\r{path}: 100.0%" in drawn
    assert drawn.endswith("\r\033[K")
    quiet = _Terminal()
    assert main(["validate", "--no-progress", str(path)], stdout=io.StringIO(), stderr=quiet) == 0
    assert quiet.getvalue() == ""


def test_python_dash_m_validator_runs() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "validator", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("ftdata ")


def test_commands_from_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata
    from typing import Any

    def register(sub: Any) -> None:
        p = sub.add_parser("hello")
        p.add_argument("name")
        p.set_defaults(run=lambda args, out, err: out.write(f"hi {args.name}\n") and 0)

    def broken(sub: Any) -> None:
        raise RuntimeError("boom")

    class Entry:
        def __init__(self, name: str, fn: Any) -> None:
            self.name = name
            self.fn = fn

        def load(self) -> Any:
            return self.fn

    def fake_entry_points(group: str) -> list[Entry]:
        assert group == "ftdata.commands"
        return [Entry("hello", register), Entry("broken", broken)]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    code, out, err = run("hello", "world")
    assert (code, out) == (0, "hi world\n")
    assert "command plugin 'broken' failed to load: boom" in err


def test_python_repr_lines_get_a_hint(write: Write) -> None:
    path = write("repr.jsonl", b"{'text': 'hello'}\n")
    code, out, _ = run("validate", str(path))
    assert code == 1
    assert "JSON strings take double quotes" in out
    assert "json.dumps" in out


INTERRUPTIBLE = """
import sys, time
from validator.cli import main as cli
from validator.run import parallel
parallel.MIN_CHUNK_BYTES = 1 << 12
def stuck(job):
    time.sleep(60)  # every worker waits here until Ctrl-C
parallel.scan_range = stuck
print("started", flush=True)
sys.exit(cli.main(["validate", "--workers", "2", sys.argv[1]]))
"""


def test_ctrl_c_stops_workers_without_a_traceback(write: Write) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = write("interrupt-me.jsonl", *[CHAT] * 2000)
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTIBLE, str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "started\n"
    time.sleep(1.0)  # the workers are forked and waiting
    os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert err.strip() == "ftdata: interrupted"
    time.sleep(0.2)
    left = [pid for pid in os.listdir("/proc") if pid.isdigit()
            and str(path).encode() in _cmdline(pid)]
    assert left == []


@pytest.mark.parametrize(("signame", "group"), [("SIGTERM", False), ("SIGHUP", True)])
def test_sigterm_and_sighup_stop_as_ctrl_c_does(write: Write, tmp_path: Path, signame: str,
                                                group: bool) -> None:
    """A service manager's SIGTERM (to ftdata alone) and a closed terminal's SIGHUP (to the
    whole group, workers included) stop the workers, leave no split output or temporary file
    behind and exit with 128 + the signal, without a traceback."""
    import signal
    import subprocess
    import sys
    import time

    path = write("stop-me.jsonl", *[CHAT] * 2000)
    out = tmp_path / "out"
    out.mkdir()
    script = INTERRUPTIBLE.replace('"--workers", "2"',
                                   '"--workers", "2", "--split", sys.argv[2], sys.argv[3]')
    child = subprocess.Popen([sys.executable, "-c", script, str(path), str(out / "clean.jsonl"),
                              str(out / "rejected.jsonl")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, env={**os.environ, "TMPDIR": str(out)})
    assert child.stdout is not None
    assert child.stdout.readline() == "started\n"
    time.sleep(1.0)  # the workers are forked and waiting
    signum = getattr(signal, signame)
    if group:
        os.killpg(child.pid, signum)
    else:
        os.kill(child.pid, signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 128 + signum
    assert err.strip() == f"ftdata: stopped by {signame}"
    time.sleep(0.2)
    left = [pid for pid in os.listdir("/proc") if pid.isdigit()
            and str(path).encode() in _cmdline(pid)]
    assert left == []
    assert sorted(p.name for p in out.iterdir()) == []


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


@pytest.mark.parametrize("option", ["--port", "--storage-port"])
def test_serve_on_a_port_in_use_is_one_line_and_leaves_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    import socket
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run("serve", option, str(port))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("ftdata: error: cannot serve the ")
    assert f"127.0.0.1:{port}" in err
    assert list(tmp_path.iterdir()) == []
