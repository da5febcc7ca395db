"""ftdata over real third-party files (``../shared/realdata/`` beside the repository, or the
folder named by ``FTDATA_REALDATA``): each file's verdict, error count and warning count are
held to ``realdata_expected.toml`` beside this test, where each entry says why the file gets
its verdict.

The files come from public repositories nobody on this project wrote (OpenAI cookbook, Together
cookbook and docs, LLaMA-Factory, Microsoft Foundry samples, ...). Where SPEC.md and a file
disagree, SPEC.md wins and the entry says so. The folder is found by listing it, so a file
added there without an entry fails the test; when the folder is absent (a clone on its own),
the tests skip.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from validator.config import Config
from validator.purposes import resolve_purpose
from validator.run.pipeline import validate_file

HERE = Path(__file__).resolve().parent
EXPECTED_FILE = HERE / "realdata_expected.toml"
FOLDER = Path(os.environ.get("FTDATA_REALDATA")
              or HERE.parents[2] / "shared" / "realdata")
DATA_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
FIELDS = {"purpose", "valid", "errors", "warnings", "codes", "why"}


def _expected() -> dict[str, dict[str, Any]]:
    with EXPECTED_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _files() -> list[Path]:
    if not FOLDER.is_dir():
        return []
    return sorted(p for p in FOLDER.iterdir() if p.is_file() and p.suffix in DATA_SUFFIXES)


EXPECTED = _expected()
FILES = _files()
needs_folder = pytest.mark.skipif(not FILES, reason=f"no real-world files in {FOLDER}")


def test_the_table_is_well_formed() -> None:
    assert len(EXPECTED) >= 30
    for name, entry in EXPECTED.items():
        assert set(entry) <= FIELDS, name
        assert {"valid", "errors", "warnings", "why"} <= set(entry), name
        assert entry["valid"] is (entry["errors"] == 0), name
        assert len(entry["why"]) > 20, f"{name}: say why the file gets its verdict"


@needs_folder
def test_every_file_has_an_entry_and_back() -> None:
    names = {p.name for p in FILES}
    assert sorted(names - set(EXPECTED)) == [], "files without an entry in the table"
    assert sorted(set(EXPECTED) - names) == [], "entries without a file"


@needs_folder
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file(name: str) -> None:
    entry = EXPECTED[name]
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {FOLDER}")
    report = validate_file(str(path), entry.get("purpose") or resolve_purpose("auto", name),
                           config=Config(max_errors=10_000))
    found = {"valid": report.valid, "errors": report.errors, "warnings": report.warnings}
    wanted = {key: entry[key] for key in found}
    assert found == wanted, f"{name}: {dict(sorted(report.by_code.items()))}"
    if "codes" in entry:
        assert sorted(report.by_code) == sorted(entry["codes"]), name


@needs_folder
def test_a_renamed_json_array_is_one_error(tmp_path: Path) -> None:
    """A JSON array saved as .jsonl (here a LLaMA-Factory file of 300 samples over thousands
    of lines) is one file-level error, not one per physical line (SPEC §1)."""
    source = FOLDER / "llama-factory__glaive_toolcall_en_demo.json"
    if not source.is_file():
        pytest.skip(f"{source.name} is not in {FOLDER}")
    renamed = tmp_path / "glaive.jsonl"
    renamed.write_bytes(source.read_bytes())
    report = validate_file(str(renamed), config=Config(max_errors=10_000))
    assert [(i.line, i.code) for i in report.issues] == [(None, "file-json-document")]
    assert "jq -c '.[]'" in report.issues[0].message
    assert report.nlines > 5000
