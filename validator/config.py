"""Settings: severities per rule code, issue cap and size limits.

Read from the ``[tool.ftdata]`` table of the nearest ``pyproject.toml`` and then from CLI flags,
ruff-style::

    [tool.ftdata]
    max-errors = 100            # issues kept per severity and file (counting goes on)
    max-file-size = "100GB"
    sdk-max-file-size = "50.1GiB"  # over it: a warning, as the official SDK refuses the upload
    max-line-size = "256MiB"
    strict = false              # true: every warning counts as an error
    ignore = ["key-unknown"]    # codes (or globs such as "tool-*") switched off
    warn = ["turn-order"]       # codes reported as warnings
    error = ["blank-line"]      # codes reported as errors
    purpose = "auto"            # the purpose when --purpose is not given (default fine-tune)

    [tool.ftdata.per-file-ignores]  # glob -> codes switched off for the files it matches
    "eval/*.jsonl" = ["key-unknown"]

Overrides apply in the order ignore, warn, error, config before CLI; the last one wins.
``per-file-ignores`` globs match a file's path relative to the pyproject's folder, or its name;
their codes are off for those files over every other setting, as in ruff.

The table is looked up from each validated file's folder upwards (standard input: from the
working directory), so files in different folders may get different settings. A TOML syntax
error in a pyproject.toml that has (or seems to have) the table is a :class:`ConfigError`.
Every command resolves its settings with :func:`resolve_config`.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.errors import ConfigError, UsageError
from validator.issues import Severity
from validator.limits import LIMITS
from validator.purposes import PURPOSES
from validator.rules.codes import CODES, DEFAULT_SEVERITY, Code

if TYPE_CHECKING:
    from validator.models.settings import ModelSettings

__all__ = ["Config", "find_pyproject", "load_config", "parse_size", "resolve_config"]

_UNITS = {
    "": 1, "B": 1,
    "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: str | int) -> int:
    """``"64MiB"`` -> 67108864; plain integers are bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(f"size must be >= 0, got {value}")
        return value
    m = _SIZE.match(str(value))
    unit = m.group(2).upper() if m else ""
    if not m or unit not in _UNITS:
        raise ConfigError(
            f"cannot read size {value!r}: use a number with an optional unit such as 500MB or 64MiB"
        )
    return int(float(m.group(1)) * _UNITS[unit])


@dataclass(frozen=True)
class Config:
    """Validation settings. ``severity`` holds every rule code."""

    severity: Mapping[Code, Severity] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY)
    )
    max_errors: int = 50
    max_file_bytes: int = LIMITS.max_file_bytes
    sdk_max_file_bytes: int = LIMITS.sdk_max_file_bytes
    max_line_bytes: int = LIMITS.max_line_bytes
    purpose: str | None = None
    """The ``purpose`` key: a purpose or ``auto``; None when not configured."""
    per_file_ignores: tuple[tuple[str, tuple[Code, ...]], ...] = ()
    """The ``per-file-ignores`` table: (glob, codes) pairs, globs relative to ``root``."""
    root: str | None = None
    """The folder of the pyproject.toml the settings were read from (None: none read)."""
    model: ModelSettings | None = None
    """The model to check samples against (``--model``, SPEC §6); None: no model checks."""

    def for_file(self, path: str | os.PathLike[str]) -> Config:
        """A copy with the ``per-file-ignores`` codes whose glob matches ``path`` switched
        off. A glob matches the path relative to :attr:`root` (the working directory when
        none) or the file's name; ``**/`` also matches no folder at all."""
        if not self.per_file_ignores:
            return self
        full = os.path.abspath(path)
        rel = os.path.relpath(full, self.root or os.getcwd()).replace(os.sep, "/")
        names = (rel, os.path.basename(full))
        off = [code for glob, codes in self.per_file_ignores
               if any(fnmatch.fnmatchcase(name, g) for name in names
                      for g in {glob, glob.replace("**/", "")})
               for code in codes]
        if not off:
            return self
        return replace(self, severity={**self.severity, **dict.fromkeys(off, Severity.OFF)})

    def with_overrides(
        self,
        *,
        ignore: Iterable[str] = (),
        warn: Iterable[str] = (),
        error: Iterable[str] = (),
        strict: bool = False,
    ) -> Config:
        """A copy with severities changed; patterns are codes or globs over codes."""
        sev = dict(self.severity)
        for patterns, level in ((ignore, Severity.OFF), (warn, Severity.WARNING),
                                (error, Severity.ERROR)):
            for pattern in patterns:
                for code in _match(pattern):
                    sev[code] = level
        if strict:
            sev = {c: Severity.ERROR if s is Severity.WARNING else s for c, s in sev.items()}
        return replace(self, severity=sev)


def _match(pattern: str) -> list[Code]:
    pattern = pattern.strip()
    codes = [c for c in CODES if fnmatch.fnmatchcase(c, pattern)]
    if not codes:
        close = [c for c in CODES if pattern.split("*")[0] and c.startswith(pattern[:4])]
        hint = f" (did you mean {', '.join(close[:5])}?)" if close else ""
        raise ConfigError(f"unknown rule code {pattern!r}{hint}; `ftdata rules` lists them")
    return codes


# a line that opens or names the table: [tool.ftdata], [tool.ftdata.x], tool.ftdata.x = ...,
# or ftdata = { ... } under [tool]; a file broken before tomllib can tell is judged by these
_SEEMS_TO_HAVE = re.compile(
    r"""^\s*(?:\[\s*tool\s*\.\s*["']?ftdata\b|tool\s*\.\s*["']?ftdata\b|["']?ftdata["']?\s*=)""",
    re.MULTILINE,
)


def _toml_error(path: Path, text: str, exc: Exception) -> ConfigError:
    """``path: line L, column C: not valid TOML: message``, from tomllib's message."""
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        where = f"line {m.group(1)}, column {m.group(2)}"
        message = message[: m.start()]
    elif message.endswith("(at end of document)"):
        where = f"line {len(text.splitlines()) or 1} (the end of the file)"
        message = message.removesuffix("(at end of document)").rstrip()
    else:
        where = "somewhere"
    return ConfigError(f"{path}: {where}: not valid TOML: {message}")


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.ftdata] table.

    A pyproject.toml that is not valid TOML but seems to have the table is a
    :class:`ConfigError` naming the file and line; one that does not is skipped."""
    start = Path(os.path.abspath(start))
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "ftdata" not in text and "\\" not in text:
                continue  # no [tool.ftdata] table can hide in it: skip parsing (and tomllib)
            import tomllib  # noqa: PLC0415 - ~5 ms of start-up, only for a file that may match

            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                if _SEEMS_TO_HAVE.search(text):
                    raise _toml_error(candidate, text, exc) from None
                continue
            if isinstance(data.get("tool"), dict) and "ftdata" in data["tool"]:
                return candidate
    return None


# the model checks' keys, read by validator.models.settings (its KEYS, which a test compares)
_MODEL_KEYS = ("model", "max-seq-length", "training-method", "train-on-inputs", "full-training",
               "tokenizer", "chat-template")
_KEYS = {"max-errors", "max-file-size", "sdk-max-file-size", "max-line-size", "strict",
         "ignore", "warn", "error", "purpose", "per-file-ignores", *_MODEL_KEYS}


def resolve_config(
    start: Path | None = None,
    *,
    file: str | os.PathLike[str] | None = None,
    config_file: Path | None = None,
    isolated: bool = False,
    base: Config | None = None,
    max_errors: int | None = None,
    ignore: Iterable[str] = (),
    warn: Iterable[str] = (),
    error: Iterable[str] = (),
    strict: bool = False,
) -> Config:
    """The settings of one run, as every command resolves them.

    In order, each step over the one before: ``base`` (a command's own defaults, such as the
    HTML report's longer issue list), the ``[tool.ftdata]`` table of ``config_file`` or else of
    the nearest ``pyproject.toml`` at or above ``start`` (by default the folder of ``file``,
    else the working directory; none at all when ``isolated``), then the overrides given here
    (the CLI flags). With ``file``, the ``per-file-ignores`` that match it apply last.
    """
    if isolated and config_file is not None:
        raise UsageError("isolated ignores every configuration file: do not pass config_file")
    if start is None:
        start = Path.cwd() if file is None else Path(os.path.abspath(file)).parent
    if isolated:
        where = None
    elif config_file is not None:
        where = config_file
    else:
        where = find_pyproject(start)
    cfg = load_config(where, base=base)
    if max_errors is not None:
        if max_errors < 0:
            raise ConfigError("max-errors must be >= 0")
        cfg = replace(cfg, max_errors=max_errors)
    cfg = cfg.with_overrides(ignore=ignore, warn=warn, error=error, strict=strict)
    return cfg if file is None else cfg.for_file(file)


def load_config(path: Path | None, *, base: Config | None = None) -> Config:
    """Config from the [tool.ftdata] table of ``path`` over ``base`` (the defaults when
    ``path`` is None)."""
    if path is None:
        return base or Config()
    import tomllib  # noqa: PLC0415 - see find_pyproject

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from None
    table = data.get("tool", {}).get("ftdata", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.ftdata] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.ftdata]: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    cfg = from_table(table, where=str(path), base=base)
    return replace(cfg, root=os.path.dirname(os.path.abspath(path)))


def from_table(table: Mapping[str, Any], where: str = "config", *,
               base: Config | None = None) -> Config:
    cfg = base or Config()
    try:
        if "max-errors" in table:
            n = table["max-errors"]
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ConfigError("max-errors must be an integer >= 0")
            cfg = replace(cfg, max_errors=n)
        if "max-file-size" in table:
            cfg = replace(cfg, max_file_bytes=parse_size(table["max-file-size"]))
        if "sdk-max-file-size" in table:
            cfg = replace(cfg, sdk_max_file_bytes=parse_size(table["sdk-max-file-size"]))
        if "max-line-size" in table:
            cfg = replace(cfg, max_line_bytes=parse_size(table["max-line-size"]))
        lists = {}
        for key in ("ignore", "warn", "error"):
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{key} must be a list of rule codes")
            lists[key] = value
        strict = table.get("strict", False)
        if not isinstance(strict, bool):
            raise ConfigError("strict must be true or false")
        if "purpose" in table:
            purpose = table["purpose"]
            if purpose not in (*PURPOSES, "auto"):
                raise ConfigError(f"purpose must be one of {', '.join(PURPOSES)} or auto, "
                                  f"got {purpose!r}")
            cfg = replace(cfg, purpose=purpose)
        if "per-file-ignores" in table:
            cfg = replace(cfg, per_file_ignores=_per_file(table["per-file-ignores"]))
        if any(key in table for key in _MODEL_KEYS):
            from validator.models.settings import settings_from_table  # noqa: PLC0415

            cfg = replace(cfg, model=settings_from_table(table))
        return cfg.with_overrides(strict=strict, **lists)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _per_file(value: object) -> tuple[tuple[str, tuple[Code, ...]], ...]:
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
    ):
        raise ConfigError('per-file-ignores must be a table of globs to lists of rule codes, '
                          'such as { "eval/*.jsonl" = ["key-unknown"] }')
    return tuple((glob, tuple(c for pattern in codes for c in _match(pattern)))
                 for glob, codes in value.items())
