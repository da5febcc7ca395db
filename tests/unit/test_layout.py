"""The shape of the code: the public API, the uploader's boundary, module sizes and the
runtime dependencies. Each test reads the source, so the layout cannot drift silently."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import validator

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("validator", "uploader", "tests", "benchmarks")
MAX_LINES = 400

PUBLIC_API = [
    "FILE_TYPES", "PURPOSES", "RENDERERS", "RULES", "Code", "Config", "ConfigError",
    "FileAccessError", "FileType", "FtdataError", "Issue", "ModelLimits", "Preview", "Progress",
    "Purpose", "Report", "Rule", "Severity", "UsageError", "Verdict", "__version__",
    "add_config_options", "check_purpose", "check_records", "compression", "config_from_args",
    "file_type", "find_model", "format_size", "load_config", "parse_size", "preview",
    "resolve_config", "resolve_purpose", "sniff_compression", "split_file", "split_stream",
    "validate_bytes", "validate_corpus", "validate_file", "validate_stream",
]


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py")
                  if ".venvs" not in p.parts and "data" not in p.relative_to(ROOT).parts[1:2])


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement of ``path``, at any depth."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_public_api_is_pinned() -> None:
    """A name joins (or leaves) the public API on purpose: the uploader and users rely on it."""
    assert sorted(validator.__all__) == sorted(PUBLIC_API)
    for name in validator.__all__:
        assert getattr(validator, name) is not None, name


def test_uploader_imports_only_the_validators_public_names() -> None:
    for path in _modules("uploader"):
        for module, names in _imports(path):
            if module == "validator" or module.startswith("validator."):
                assert module == "validator", f"{path}: imports {module}"
                unknown = set(names) - set(validator.__all__)
                assert not unknown, f"{path}: imports {sorted(unknown)}, not in validator.__all__"


def test_validator_never_imports_the_uploader() -> None:
    for path in _modules("validator"):
        for module, _ in _imports(path):
            assert not (module == "uploader" or module.startswith("uploader.")), path


def test_no_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules(*PACKAGES)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


# distribution name -> the module it is imported as (dask[distributed] is there for
# distributed's Client and LocalCluster)
_IMPORT_NAMES = {"dask": "distributed", "backports.zstd": "backports"}


def _requirement_names(requirements: list[str]) -> list[str]:
    return [re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements]


def test_every_runtime_dependency_is_imported() -> None:
    """A dependency nobody imports is weight in every pre-commit environment."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    imported = {module.split(".")[0] for path in _modules("validator", "uploader")
                for module, _ in _imports(path)}
    for name in _requirement_names(meta["dependencies"]):
        module = _IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert module in imported, f"runtime dependency {name} is imported nowhere"
    for extra, requirements in meta["optional-dependencies"].items():
        if extra == "dev":
            continue
        for name in _requirement_names(requirements):
            module = _IMPORT_NAMES.get(name, name.replace("-", "_"))
            assert module in imported, f"the {extra} extra's {name} is imported nowhere"


def test_the_hook_starts_without_the_registry_or_heavy_modules() -> None:
    """``ftdata validate`` on a small file loads neither the rule registry's text (nor the
    rule pages), pyarrow, polars, jsonschema, requests, tempfile, the uploader, or what the
    fast path of large files uses (msgspec)."""
    import subprocess
    import sys

    code = ("import io, sys; from validator.cli.main import main; "
            "main(['validate', '--isolated', sys.argv[1]], io.StringIO(), io.StringIO()); "
            "heavy = [m for m in ('tomllib', 'pyarrow', 'polars', 'jsonschema', 'requests', "
            "'uploader', 'msgspec', 'validator.run.fastpath', 'validator.run.fastshapes', "
            "'tempfile', 'validator.cli.rule_pages', 'validator.rules.examples') "
            "if m in sys.modules]; print(heavy)")
    sample = ROOT / "examples" / "conversation.jsonl"
    run = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True,
                         text=True, check=True, cwd=ROOT / "examples")
    assert run.stdout.strip() == "[]", run.stdout + run.stderr
