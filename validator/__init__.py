"""ftdata's validator: check LLM fine-tuning datasets against Together AI's rules.

    >>> from validator import validate_file
    >>> report = validate_file("train.jsonl")
    >>> report.valid, report.to_server_dict()["dataset_format"]

Everything about the data is in the returned :class:`Report`; exceptions
(:mod:`validator.errors`) mean the file could not be read or the call was wrong.

The names below are the public API, and the only ones the uploader uses (a test pins
``__all__``). The quarantine split, the Dask corpus run, the rule registry, the model table
(``find_model``, ``ModelLimits``), the token preview (``preview``) and the option helpers for
commands that plug into ``ftdata`` load on first use, so ``import validator`` stays small.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from validator.cli.progress import Progress, format_size
from validator.config import Config, load_config, parse_size, resolve_config
from validator.errors import ConfigError, FileAccessError, FtdataError, UsageError
from validator.issues import Issue, Severity
from validator.purposes import (
    FILE_TYPES,
    PURPOSES,
    FileType,
    Purpose,
    check_purpose,
    compression,
    file_type,
    resolve_purpose,
)
from validator.read.source import sniff as sniff_compression
from validator.report import Report
from validator.report.renderers import RENDERERS
from validator.rules.codes import Code
from validator.run.pipeline import validate_bytes, validate_file, validate_stream

if TYPE_CHECKING:
    from validator.cli.options import add_config_options, config_from_args
    from validator.models import ModelLimits, find_model
    from validator.models.preview import Preview, preview
    from validator.rules import Rule
    from validator.run.cluster import validate_corpus
    from validator.run.records import Verdict, check_records
    from validator.run.split import split_file, split_stream

__all__ = [
    "FILE_TYPES",
    "PURPOSES",
    "RENDERERS",
    "RULES",
    "Code",
    "Config",
    "ConfigError",
    "FileAccessError",
    "FileType",
    "FtdataError",
    "Issue",
    "ModelLimits",
    "Preview",
    "Progress",
    "Purpose",
    "Report",
    "Rule",
    "Severity",
    "UsageError",
    "Verdict",
    "__version__",
    "add_config_options",
    "check_purpose",
    "check_records",
    "compression",
    "config_from_args",
    "file_type",
    "find_model",
    "format_size",
    "load_config",
    "parse_size",
    "preview",
    "resolve_config",
    "resolve_purpose",
    "sniff_compression",
    "split_file",
    "split_stream",
    "validate_bytes",
    "validate_corpus",
    "validate_file",
    "validate_stream",
]

_LAZY = {
    "RULES": "validator.rules",
    "Rule": "validator.rules",
    "ModelLimits": "validator.models",
    "find_model": "validator.models",
    "Preview": "validator.models.preview",
    "preview": "validator.models.preview",
    "add_config_options": "validator.cli.options",
    "config_from_args": "validator.cli.options",
    "validate_corpus": "validator.run.cluster",
    "Verdict": "validator.run.records",
    "check_records": "validator.run.records",
    "split_file": "validator.run.split",
    "split_stream": "validator.run.split",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)
