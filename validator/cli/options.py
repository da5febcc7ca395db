"""The configuration options every command that validates shares, and their resolution.

``validate``, ``stats``, ``report`` and ``upload`` (a plug-in command) add them with
:func:`add_config_options` and turn them into a :class:`~validator.config.Config` with
:func:`config_from_args`, which is :func:`~validator.config.resolve_config` over the flags;
commands that take several files resolve each one's settings with :class:`FileSettings`.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from validator.config import Config, resolve_config
from validator.errors import UsageError
from validator.purposes import Purpose, resolve_purpose

__all__ = ["FileSettings", "add_config_options", "add_model_options", "config_from_args",
           "purpose_from_args"]

# validator.models.settings' TRAINING_METHODS and TRAIN_ON_INPUTS (a test compares): written
# out so that the CLI starts without importing the model package
_METHODS = ("auto", "sft", "dpo")
_INPUTS = ("auto", "true", "false")


def _codes(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_config_options(parser: argparse.ArgumentParser, *, severities: bool = True,
                       max_errors_default: int = 50) -> None:
    """``--config`` and ``--isolated``; with ``severities``, also ``--max-errors``,
    ``--strict`` and ``--ignore``/``--warn``/``--error``."""
    parser.add_argument("--config", type=Path, metavar="PYPROJECT",
                        help="read [tool.ftdata] from this file for every input (default: the "
                             "nearest pyproject.toml at or above each file's folder)")
    parser.add_argument("--isolated", action="store_true",
                        help="ignore any pyproject.toml (not with --config)")
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


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model`` and what shapes its checks (SPEC §6), over ``[tool.ftdata]``'s keys."""
    group = parser.add_argument_group(
        "model checks", "count tokens as MODEL sees them and warn about what truncation cuts "
                        "(needs ftdata[tokens]; `ftdata models` lists the models)")
    group.add_argument("--model", metavar="MODEL", help="the model to fine-tune")
    group.add_argument("--max-seq-length", type=int, metavar="N",
                       help="the job's max_seq_length (default: the model's)")
    group.add_argument("--training-method", choices=_METHODS,
                       help="whose limit applies (default auto: DPO for preference data)")
    group.add_argument("--train-on-inputs", choices=_INPUTS,
                       help="which tokens train (default auto: the prompt is masked)")
    group.add_argument("--full-training", action="store_true", default=None,
                       help="full fine-tuning instead of LoRA (LoRA DPO halves the context)")
    group.add_argument("--tokenizer", metavar="PATH|HUB_ID",
                       help="a folder with tokenizer.json and tokenizer_config.json, a "
                            "tokenizer.json, a hub id or mistral:vN (default: the model's own)")
    group.add_argument("--chat-template", metavar="FILE",
                       help="the Jinja chat template (with a bare tokenizer.json)")
    parser.set_defaults(model_options=True)  # stats has a --tokenizer of its own


def _model_flags(cfg: Config, args: argparse.Namespace) -> Config:
    if not getattr(args, "model_options", False):
        return cfg
    flags = {"max_seq_length": getattr(args, "max_seq_length", None),
             "training_method": getattr(args, "training_method", None),
             "train_on_inputs": getattr(args, "train_on_inputs", None),
             "full_training": getattr(args, "full_training", None),
             "tokenizer": getattr(args, "tokenizer", None),
             "chat_template": getattr(args, "chat_template", None)}
    model = getattr(args, "model", None)
    if model is None and not any(v is not None for v in flags.values()):
        return cfg
    from validator.models.settings import ModelSettings, check_values  # noqa: PLC0415

    if model is None and cfg.model is None:
        given = [f"--{k.replace('_', '-')}" for k, v in flags.items() if v is not None]
        raise UsageError(f"{', '.join(given)} need(s) --model (or model in [tool.ftdata])")
    settings = cfg.model if model is None or (cfg.model and cfg.model.model == model) \
        else ModelSettings(model)
    assert settings is not None
    return replace(cfg, model=check_values(settings.merged(**flags)))


def config_from_args(args: argparse.Namespace, *, base: Config | None = None,
                     start: Path | None = None, file: str | None = None) -> Config:
    """The settings of ``file`` (of the working directory without it): ``base`` (the command's
    defaults), then ``[tool.ftdata]`` (of ``--config``, else of the nearest pyproject.toml at
    or above ``start`` or the file's folder), then the flags that :func:`add_config_options`
    added, then the ``per-file-ignores`` that match ``file``."""
    if args.isolated and args.config is not None:
        raise UsageError("--isolated ignores every pyproject.toml: do not combine it with "
                         "--config")
    max_errors = getattr(args, "max_errors", None)
    if max_errors is not None and max_errors < 0:
        raise UsageError("--max-errors must be >= 0")
    return _model_flags(resolve_config(
        start, file=file, config_file=args.config, isolated=args.isolated, base=base,
        max_errors=max_errors,
        ignore=[c for group in getattr(args, "ignore", []) for c in group],
        warn=[c for group in getattr(args, "warn", []) for c in group],
        error=[c for group in getattr(args, "error", []) for c in group],
        strict=getattr(args, "strict", False),
    ), args)


def purpose_from_args(args: argparse.Namespace, config: Config, name: str) -> Purpose:
    """``--purpose``, else the configured ``purpose``, else fine-tune; ``auto`` resolved for
    the file ``name``."""
    return resolve_purpose(getattr(args, "purpose", None) or config.purpose or "fine-tune", name)


class FileSettings:
    """The settings of each file of one run, as ruff finds them: ``[tool.ftdata]`` from the
    file's folder upwards (standard input, ``-``: from the working directory) unless
    ``--config`` or ``--isolated`` apply to every file, under the flags; looked up once per
    folder."""

    def __init__(self, args: argparse.Namespace, *, base: Config | None = None) -> None:
        if args.isolated and args.config is not None:  # said before any file is read
            config_from_args(args)
        self._args = args
        self._base = base
        self._by_folder: dict[str, Config] = {}

    def config(self, path: str, name: str | None = None) -> Config:
        """The settings of ``path``; ``name`` (standard input's name) is what
        ``per-file-ignores`` match instead of the path."""
        args = self._args
        if args.config is not None or args.isolated:
            folder = ""
        else:
            folder = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
        cfg = self._by_folder.get(folder)
        if cfg is None:
            cfg = config_from_args(args, base=self._base, start=Path(folder or os.getcwd()))
            self._by_folder[folder] = cfg
        return cfg.for_file(name or path)

    def purpose(self, config: Config, name: str) -> Purpose:
        """See :func:`purpose_from_args`."""
        return purpose_from_args(self._args, config, name)
