"""Make what is derived from the registry: ``codes.py`` (the typed set of codes and their
default severities) and the README's rule table.

``python -m validator.rules.generate`` (``make rules``) rewrites both; the test suite fails
when either differs from what this module renders, so neither can drift from registry.toml.
Both are rendered from the registry file itself, not from :func:`validator.rules.rules`, which
checks the registry against ``codes.py``: a new rule must be renderable before it is in it.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["README_END", "README_START", "codes_module", "readme_table", "registry",
           "update_readme"]

HERE = Path(__file__).resolve().parent
README_START = "<!-- rules table: generated from validator/rules/registry.toml by `make rules` -->"
README_END = "<!-- end of rules table -->"


def registry() -> dict[str, Any]:
    return tomllib.loads((HERE / "registry.toml").read_text(encoding="utf-8"))


def codes_module(table: dict[str, Any]) -> str:
    """The source of ``codes.py``."""
    codes = "".join(f'    "{code}",\n' for code in table)
    severities = "".join(f'    "{code}": {"_E" if rule["severity"] == "error" else "_W"},\n'
                         for code, rule in table.items())
    return f'''"""The rule codes, a closed set that mypy checks every raised code against, and their
default severities: generated from registry.toml by ``make rules``. Do not edit; a test fails
when this file differs from the registry.
"""

from __future__ import annotations

from typing import Final, Literal

from validator.issues import Severity

__all__ = ["CODES", "DEFAULT_SEVERITY", "Code"]

Code = Literal[
{codes}]

_E = Severity.ERROR
_W = Severity.WARNING

DEFAULT_SEVERITY: Final[dict[Code, Severity]] = {{
{severities}}}

CODES: Final[tuple[Code, ...]] = tuple(DEFAULT_SEVERITY)
'''


def readme_table(table: dict[str, Any]) -> str:
    """The README's rule table, between its markers."""
    rows = "".join(f"| `{code}` | {rule['severity']} | §{rule['spec']} | {rule['summary']} |\n"
                   for code, rule in table.items())
    return (f"{README_START}\n\n| Code | Default | SPEC.md | What it finds |\n"
            f"|---|---|---|---|\n{rows}\n{README_END}")


def update_readme(text: str, table: dict[str, Any]) -> str:
    """``text`` (the README) with its rule table replaced by the registry's."""
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    return text[:start] + readme_table(table) + text[end:]


def main() -> int:
    table = registry()
    (HERE / "codes.py").write_text(codes_module(table), encoding="utf-8")
    readme = HERE.parent.parent / "README.md"
    readme.write_text(update_readme(readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    sys.stdout.write(f"{len(table)} rules: wrote {HERE / 'codes.py'} and the table in {readme}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
