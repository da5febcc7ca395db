"""The one error module: exceptions for "cannot run", never for data problems.

Data problems (a bad role, a malformed line) are :class:`~validator.issues.Issue` values
in a report. An exception means ftdata could not do its job at all::

    FtdataError                 base of everything ftdata raises on purpose
    ├── UsageError              bad arguments to the library or CLI (exit 2)
    ├── ConfigError             bad [tool.ftdata] table or severity override (exit 2)
    └── FileAccessError         the input cannot be opened or read (exit 2)
"""

from __future__ import annotations

__all__ = ["ConfigError", "FileAccessError", "FtdataError", "UsageError"]


class FtdataError(Exception):
    """Base class of every exception ftdata raises on purpose."""


class UsageError(FtdataError):
    """The caller asked for something that cannot be done (unknown purpose, bad option)."""


class ConfigError(FtdataError):
    """The configuration (pyproject.toml [tool.ftdata] or CLI overrides) is invalid."""


class FileAccessError(FtdataError):
    """The input file is missing, a directory, not a regular file, or unreadable."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[FileAccessError], tuple[str, str]]:
        # pickled back from worker processes: rebuild from both fields, not from str(self)
        return (FileAccessError, (self.path, self.reason))
