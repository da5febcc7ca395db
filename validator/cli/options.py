"""The configuration options every command that validates shares, and their resolution.

``validate``, ``stats``, ``report`` and ``upload`` (a plug-in command) add them with
:func:`add_config_options` and turn them into a :class:`~validator.config.Config` with
:func:`config_from_args`, which is :func:`~validator.config.resolve_config` over the flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from validator.config import Config, resolve_config
from validator.errors import UsageError

__all__ = ["add_config_options", "config_from_args"]


def _codes(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_config_options(parser: argparse.ArgumentParser, *, severities: bool = True,
                       max_errors_default: int = 50) -> None:
    """``--config`` and ``--isolated``; with ``severities``, also ``--max-errors``,
    ``--strict`` and ``--ignore``/``--warn``/``--error``."""
    parser.add_argument("--config", type=Path, metavar="PYPROJECT",
                        help="read [tool.ftdata] from this file (default: nearest pyproject.toml)")
    parser.add_argument("--isolated", action="store_true", help="ignore any pyproject.toml")
    if not severities:
        return
    parser.add_argument("--max-errors", type=int, metavar="N",
                        help=f"issues shown per severity and file (default {max_errors_default}; "
                             "counting goes on)")
    parser.add_argument("--strict", action="store_true", help="count warnings as errors")
    parser.add_argument("--ignore", type=_codes, action="append", default=[], metavar="CODES",
                        help="rule codes or globs to switch off, comma-separated")
    parser.add_argument("--warn", type=_codes, action="append", default=[], metavar="CODES",
                        help="rule codes or globs to report as warnings")
    parser.add_argument("--error", type=_codes, action="append", default=[], metavar="CODES",
                        help="rule codes or globs to report as errors")


def config_from_args(args: argparse.Namespace, *, base: Config | None = None,
                     start: Path | None = None) -> Config:
    """The run's settings: ``base`` (the command's defaults), then ``[tool.ftdata]``, then the
    flags that :func:`add_config_options` added."""
    max_errors = getattr(args, "max_errors", None)
    if max_errors is not None and max_errors < 0:
        raise UsageError("--max-errors must be >= 0")
    return resolve_config(
        start, config_file=args.config, isolated=args.isolated, base=base,
        max_errors=max_errors,
        ignore=[c for group in getattr(args, "ignore", []) for c in group],
        warn=[c for group in getattr(args, "warn", []) for c in group],
        error=[c for group in getattr(args, "error", []) for c in group],
        strict=getattr(args, "strict", False),
    )
