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


def test_hook_matches_every_file_type_ftdata_reads() -> None:
    (hook,) = HOOKS
    pattern = re.compile(hook["files"])
    for name in ("train.jsonl", "shard-01.jsonl.gz", "shard-02.jsonl.zst", "tokens.parquet",
                 "eval.csv", "dir/sub/train.jsonl"):
        assert pattern.search(name), name
    for name in ("notes.txt", "data.json", "train.jsonl.bak", "train.gz", "archive.zst"):
        assert not pattern.search(name), name


def test_readme_pre_commit_snippet_names_a_rev_that_exists() -> None:
    """No release tag exists yet, so the snippet says to pin a commit SHA, not a made-up tag."""
    snippet = README.split("## Pre-commit", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    (rev,) = re.findall(r"rev: (\S+)", snippet)
    tags = subprocess.run(["git", "tag"], capture_output=True, text=True, cwd=ROOT,
                          check=False).stdout.split()
    assert rev in tags or rev == "COMMIT-SHA", rev


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


def test_the_contract_the_readme_cites_is_in_the_repository() -> None:
    """README and rule pages cite SPEC.md sections: the file ships beside them, and matches the
    shared contract when that is checked out next to the repository."""
    spec = ROOT / "SPEC.md"
    assert "[SPEC.md](SPEC.md)" in README and spec.is_file()
    sections = set(re.findall(r"^## (\d+)\. ", spec.read_text(encoding="utf-8"), re.M))
    cited = {code_section.split(".")[0] for code_section in
             re.findall(r"^\| `[a-z0-9-]+` \| (?:error|warning) \| §([0-9.]+) \|", README, re.M)}
    assert cited <= sections, cited - sections
    shared = ROOT.parent / "shared" / "SPEC.md"
    if shared.is_file():
        assert spec.read_bytes() == shared.read_bytes(), "SPEC.md differs from ../shared/SPEC.md"
