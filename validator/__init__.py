"""ftdata's validator: check LLM fine-tuning datasets against Together AI's rules.

    >>> from validator import validate_file
    >>> report = validate_file("train.jsonl")
    >>> report.valid, report.to_server_dict()["dataset_format"]

Everything about the data is in the returned :class:`Report`; exceptions
(:mod:`validator.errors`) mean the file could not be read or the call was wrong.
"""

from validator.config import Config, load_config
from validator.engine import PURPOSES, validate_bytes, validate_file, validate_stream
from validator.errors import ConfigError, FileAccessError, FtdataError, UsageError
from validator.issues import Issue, Severity
from validator.report import Report
from validator.rules import RULES, Rule

__version__ = "0.1.0"

__all__ = [
    "PURPOSES",
    "RULES",
    "Config",
    "ConfigError",
    "FileAccessError",
    "FtdataError",
    "Issue",
    "Report",
    "Rule",
    "Severity",
    "UsageError",
    "__version__",
    "load_config",
    "validate_bytes",
    "validate_file",
    "validate_stream",
]
