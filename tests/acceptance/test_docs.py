"""The documentation and the manifests users meet: the pre-commit hook really runs, and every
hook id and rule code is documented in the README."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from validator.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_every_hook_id_is_in_the_readme() -> None:
    assert HOOKS
    for hook in HOOKS:
        assert f"id: {hook['id']}" in README


def test_every_rule_code_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \| (?:error|warning) \|", README, re.M))
    assert documented == set(RULES)
    for code, rule in RULES.items():
        assert f"| `{code}` | {rule.severity.value} |" in README


def _hook_command(hook: dict[str, str]) -> list[str]:
    argv = shlex.split(hook["entry"])
    script = Path(sys.executable).parent / argv[0]
    assert script.exists(), f"console script {argv[0]} is not installed next to {sys.executable}"
    return [str(script), *argv[1:]]


def test_hook_entry_runs_on_matching_files(tmp_path: Path) -> None:
    (hook,) = HOOKS
    pattern = re.compile(hook["files"])
    good = tmp_path / "good.jsonl"
    good.write_text('{"messages": [{"role": "user", "content": "hi"}, '
                    '{"role": "assistant", "content": "hello"}]}\n')
    evals = tmp_path / "eval.csv"
    evals.write_text("question,answer\n1+1,2\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n')
    notes = tmp_path / "notes.txt"
    assert all(pattern.search(p.name) for p in (good, evals, bad))
    assert not pattern.search(notes.name)
    cmd = _hook_command(hook)
    ok = subprocess.run([*cmd, str(good), str(evals)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    fail = subprocess.run([*cmd, str(good), str(bad)], capture_output=True, text=True, check=False)
    assert fail.returncode == 1
    assert f"{bad}:1: $.messages: messages-invalid" in fail.stdout
    assert fail.stderr == ""
