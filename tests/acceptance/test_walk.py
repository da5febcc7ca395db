"""``ftdata validate DIR`` walks a folder for dataset files, as ruff walks a project."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import orjson

from tests.conftest import CHAT
from validator.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / ".cache").mkdir()
    (root / "train.jsonl").write_bytes(orjson.dumps(CHAT) + b"\n")
    shutil.copy(EXAMPLES / "eval.csv", root / "sub" / "eval.csv")
    (root / ".cache" / "bad.jsonl").write_text("nope\n")  # hidden: skipped
    (root / ".hidden.jsonl").write_text("nope\n")  # hidden: skipped
    (root / "notes.txt").write_text("not a dataset\n")
    return root


def test_a_folder_stands_for_its_dataset_files(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    code, out, _ = _run("validate", str(root))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith(f"{root / 'train.jsonl'}: valid (fine-tune)")
    assert lines[1].startswith(f"{root / 'sub' / 'eval.csv'}: valid (eval)")  # auto by name
    assert lines[2] == "2 files: 2 valid, 0 invalid"


def test_an_explicit_purpose_applies_to_walked_files_too(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    code, out, _ = _run("validate", "--purpose", "fine-tune", str(root))
    assert code == 1
    assert "eval.csv: purpose-file-type" in out


def test_a_folder_without_dataset_files_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    (empty / ".git" / "x.jsonl").write_text("{}\n")
    (empty / "readme.md").write_text("hi\n")
    code, out, err = _run("validate", str(empty))
    assert (code, out) == (2, "")
    assert "no dataset files in this folder" in err
