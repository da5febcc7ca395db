"""What users of ruff and check-jsonschema expect: -V, -q, --output sarif (checked against the
SARIF 2.1.0 schema's structure), --output-file, colour on a terminal, and quiet broken pipes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from tests.conftest import CHAT
from validator import __version__
from validator.cli.main import main
from validator.report import renderers, text

Write = Callable[..., Path]
ROOT = Path(__file__).resolve().parents[2]
BAD = {"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# The part of the official SARIF 2.1.0 schema (Draft 4, oasis-tcs/sarif-spec
# Schemata/sarif-schema-2.1.0.json) that ftdata's log uses, as strict as the original: the same
# required properties, enums and types, and additionalProperties false where it has it.
_MESSAGE_STRING = {"type": "object", "additionalProperties": False,
                   "properties": {"text": {"type": "string"}, "markdown": {"type": "string"},
                                  "properties": {"type": "object"}},
                   "required": ["text"]}
_LEVEL = {"enum": ["none", "note", "warning", "error"], "type": "string"}
SARIF_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object", "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"], "type": "string"},
        "runs": {"type": ["array", "null"], "items": {"$ref": "#/definitions/run"}},
        "properties": {"type": "object"},
    },
    "required": ["version", "runs"],
    "definitions": {
        "run": {"type": "object", "additionalProperties": False,
                "properties": {"tool": {"$ref": "#/definitions/tool"},
                               "invocations": {"type": "array",
                                               "items": {"$ref": "#/definitions/invocation"}},
                               "results": {"type": ["array", "null"],
                                           "items": {"$ref": "#/definitions/result"}},
                               "properties": {"type": "object"}},
                "required": ["tool"]},
        "tool": {"type": "object", "additionalProperties": False,
                 "properties": {"driver": {"$ref": "#/definitions/toolComponent"},
                                "properties": {"type": "object"}},
                 "required": ["driver"]},
        "toolComponent": {
            "type": "object", "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                           "semanticVersion": {"type": "string"},
                           "informationUri": {"type": "string", "format": "uri"},
                           "rules": {"type": "array", "uniqueItems": True,
                                     "items": {"$ref": "#/definitions/reportingDescriptor"}},
                           "properties": {"type": "object"}},
            "required": ["name"]},
        "reportingDescriptor": {
            "type": "object", "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                           "shortDescription": _MESSAGE_STRING,
                           "fullDescription": _MESSAGE_STRING, "help": _MESSAGE_STRING,
                           "helpUri": {"type": "string", "format": "uri"},
                           "defaultConfiguration": {
                               "type": "object", "additionalProperties": False,
                               "properties": {"enabled": {"type": "boolean"}, "level": _LEVEL,
                                              "rank": {"type": "number"},
                                              "properties": {"type": "object"}}},
                           "properties": {"type": "object"}},
            "required": ["id"]},
        "message": {"type": "object", "additionalProperties": False,
                    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"},
                                   "id": {"type": "string"},
                                   "arguments": {"type": "array",
                                                 "items": {"type": "string"}},
                                   "properties": {"type": "object"}},
                    "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
        "result": {"type": "object", "additionalProperties": False,
                   "properties": {"ruleId": {"type": "string"},
                                  "ruleIndex": {"type": "integer", "minimum": -1},
                                  "level": _LEVEL,
                                  "message": {"$ref": "#/definitions/message"},
                                  "locations": {"type": "array",
                                                "items": {"$ref": "#/definitions/location"}},
                                  "occurrenceCount": {"type": "integer", "minimum": 1},
                                  "properties": {"type": "object"}},
                   "required": ["message"]},
        "location": {"type": "object", "additionalProperties": False,
                     "properties": {"id": {"type": "integer", "minimum": -1},
                                    "physicalLocation":
                                        {"$ref": "#/definitions/physicalLocation"},
                                    "message": {"$ref": "#/definitions/message"},
                                    "properties": {"type": "object"}}},
        "physicalLocation": {
            "type": "object", "additionalProperties": False,
            "properties": {"artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                           "region": {"$ref": "#/definitions/region"},
                           "properties": {"type": "object"}},
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}]},
        "artifactLocation": {
            "type": "object", "additionalProperties": False,
            "properties": {"uri": {"type": "string", "format": "uri-reference"},
                           "uriBaseId": {"type": "string"},
                           "index": {"type": "integer", "minimum": -1},
                           "properties": {"type": "object"}}},
        "region": {"type": "object", "additionalProperties": False,
                   "properties": {"startLine": {"type": "integer", "minimum": 1},
                                  "startColumn": {"type": "integer", "minimum": 1},
                                  "endLine": {"type": "integer", "minimum": 1},
                                  "endColumn": {"type": "integer", "minimum": 1},
                                  "properties": {"type": "object"}}},
        "invocation": {
            "type": "object", "additionalProperties": False,
            "properties": {"executionSuccessful": {"type": "boolean"},
                           "toolExecutionNotifications": {
                               "type": "array", "items": {"$ref": "#/definitions/notification"}},
                           "properties": {"type": "object"}},
            "required": ["executionSuccessful"]},
        "notification": {
            "type": "object", "additionalProperties": False,
            "properties": {"locations": {"type": "array",
                                         "items": {"$ref": "#/definitions/location"}},
                           "message": {"$ref": "#/definitions/message"}, "level": _LEVEL,
                           "properties": {"type": "object"}},
            "required": ["message"]},
    },
}


def check_sarif(doc: Any) -> None:
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    jsonschema.Draft4Validator(SARIF_SCHEMA,
                               format_checker=jsonschema.FormatChecker()).validate(doc)


def test_the_schema_subset_rejects_what_sarif_rejects() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check_sarif({"version": "2.0.0", "runs": []})
    with pytest.raises(jsonschema.ValidationError):
        check_sarif({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                   "results": [{"ruleId": "a"}]}]})
    with pytest.raises(jsonschema.ValidationError):
        check_sarif({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                   "results": [{"message": {"text": "m"},
                                                                "level": "fatal"}]}]})


def test_version_flags() -> None:
    for flag in ("--version", "-V"):
        done = subprocess.run([sys.executable, "-m", "validator", flag], capture_output=True,
                              text=True, cwd=ROOT, check=False)
        assert done.returncode == 0
        assert done.stdout.strip() == f"ftdata {__version__}"


def test_sarif_output_is_valid_sarif_with_rules_levels_and_lines(write: Write) -> None:
    from validator.rules import RULES

    bad = write("bad.jsonl", CHAT, BAD, {"messages": CHAT["messages"], "extra": 1})
    ok = write("ok.jsonl", CHAT)
    code, out, _ = run("validate", "--output", "sarif", str(ok), str(bad))
    assert code == 1
    doc = orjson.loads(out)
    check_sarif(doc)
    (sarif_run,) = doc["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "ftdata"
    assert driver["version"] == __version__
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["role-invalid"]["shortDescription"]["text"] == RULES["role-invalid"].summary
    assert by_id["role-invalid"]["help"]["text"] == RULES["role-invalid"].fix
    results = sarif_run["results"]
    assert {(r["ruleId"], r["level"]) for r in results} >= {("role-invalid", "error")}
    assert any(r["level"] == "warning" for r in results), results
    role = next(r for r in results if r["ruleId"] == "role-invalid")
    assert driver["rules"][role["ruleIndex"]]["id"] == "role-invalid"
    (location,) = role["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == Path(bad).as_uri()
    assert location["physicalLocation"]["region"] == {"startLine": 2}
    assert role["message"]["text"].startswith("$.messages[0].role: 'bot' is not a role")


def test_sarif_groups_become_one_result_per_line(write: Write, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write("many.jsonl", *([BAD] * 25))
    code, out, _ = run("validate", "-o", "sarif", "many.jsonl")
    assert code == 1
    doc = orjson.loads(out)
    check_sarif(doc)
    role = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "role-invalid"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in role]
    assert lines == list(range(1, 11))  # the lines the group names
    assert all("25 identical issues in this file" in r["message"]["text"] for r in role)
    assert role[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "many.jsonl"


def test_sarif_file_level_issue_and_omitted_issues(write: Write, tmp_path: Path) -> None:
    code, out, _ = run("validate", "-o", "sarif", str(tmp_path / "missing.jsonl"))
    assert code == 2
    doc = orjson.loads(out)
    check_sarif(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "file-unreadable"
    assert "region" not in result["locations"][0]["physicalLocation"]
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    bad = write("bad.jsonl", *([b"nope\n", b"[1]\n"] * 5))
    code, out, _ = run("validate", "-o", "sarif", "--max-errors", "1", str(bad))
    doc = orjson.loads(out)
    check_sarif(doc)
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "more issues not shown" in notes[0]["message"]["text"]


def test_quiet_prints_nothing_for_valid_files_and_only_problems(write: Write) -> None:
    ok = write("ok.jsonl", CHAT)
    bad = write("bad.jsonl", CHAT, BAD)
    assert run("validate", "-q", str(ok)) == (0, "", "")
    assert run("validate", "--quiet", str(ok), str(ok)) == (0, "", "")
    code, out, err = run("validate", "-q", str(ok), str(bad))
    assert code == 1
    assert err == ""
    assert out.splitlines() == [
        f"{bad}:2: $.messages[0].role: role-invalid 'bot' is not a role here: use "
        "'assistant' (roles are system, user, assistant, tool)"]


def test_output_file_for_every_renderer(write: Write, tmp_path: Path) -> None:
    bad = write("bad.jsonl", CHAT, BAD)
    for name in sorted(renderers.RENDERERS):
        target = tmp_path / f"report.{name}"
        code, out, _ = run("validate", "-o", name, "--output-file", str(target), str(bad))
        assert (code, out) == (1, ""), name
        expected = run("validate", "-o", name, str(bad))[1]
        assert target.read_text(encoding="utf-8") == expected, name
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_output_file_is_atomic_and_refuses_to_clobber_input(write: Write, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    bad = write("bad.jsonl", CHAT, BAD)
    target = tmp_path / "report.txt"
    target.write_text("previous report\n")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run("validate", "--output-file", str(target), str(bad))
    assert code == 2
    assert "cannot write" in err and "No space left on device" in err
    assert target.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "report.txt"]
    monkeypatch.undo()
    code, _, err = run("validate", "--output-file", str(bad), str(bad))
    assert code == 2 and "refusing to overwrite the input" in err
    code, _, err = run("validate", "--output-file", str(tmp_path / "no" / "r.txt"), str(bad))
    assert code == 2 and "no folder" in err


def test_colour_on_a_terminal_only_and_never_with_no_color(write: Write,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    path = write("mixed.jsonl", CHAT, BAD, {"messages": CHAT["messages"], "extra": 1})
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out = Tty()
    assert main(["validate", str(path)], stdout=out, stderr=io.StringIO()) == 1
    shown = out.getvalue()
    assert f"{text.RED}role-invalid{text.RESET}" in shown
    assert f"{text.YELLOW}" in shown and "[warning]" in shown
    assert "\x1b[" not in run("validate", str(path))[1]  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    out = Tty()
    main(["validate", str(path)], stdout=out, stderr=io.StringIO())
    assert "\x1b[" not in out.getvalue()
    monkeypatch.delenv("NO_COLOR")
    out = Tty()  # a file written with --output-file is never coloured
    main(["validate", "--output-file", str(path.with_suffix(".txt")), str(path)], stdout=out,
         stderr=io.StringIO())
    assert "\x1b[" not in path.with_suffix(".txt").read_text()


def _into_closed_pipe(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ftdata with its stdout a pipe whose reader has gone, as after `| head -1`."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "validator", *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
                              env=env, check=False)
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("argv", [["rules"], ["schema"], ["validate", "{bad}"]])
def test_a_closed_pipe_ends_quietly(write: Write, argv: list[str]) -> None:
    bad = write("bad.jsonl", CHAT, BAD)
    code, err = _into_closed_pipe([a.format(bad=bad) for a in argv])
    assert err == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert code == 141


def test_files_list_into_a_closed_pipe_ends_quietly(write: Write) -> None:
    from uploader.server import LocalServer

    path = write("ok.jsonl", CHAT)
    with LocalServer() as server:
        env = {**os.environ, "TOGETHER_BASE_URL": server.base_url.removesuffix("/v1"),
               "TOGETHER_API_KEY": server.api_key}
        done = subprocess.run([sys.executable, "-m", "validator", "upload", "--no-wait",
                               str(path)], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        code, err = _into_closed_pipe(["files", "list"], env)
    assert err == ""
    assert code == 141
