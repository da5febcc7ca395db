"""The one error module: exceptions for "cannot run", never for data problems.

Data problems (a bad role, a malformed line) are :class:`~validator.issues.Issue` values
in a report. An exception means ftdata could not do its job at all::

    FtdataError                 base of everything ftdata raises on purpose
    ├── UsageError              bad arguments to the library or CLI (exit 2)
    ├── ConfigError             bad [tool.ftdata] table or severity override (exit 2)
    ├── FileAccessError         the input cannot be opened or read (exit 2)
    ├── InputChangedError       the input changed while it was being read (exit 2)
    └── OutputError             an output cannot be written (exit 2)
"""

from __future__ import annotations

__all__ = ["ConfigError", "FileAccessError", "FtdataError", "InputChangedError", "OutputError",
           "UsageError"]


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


class InputChangedError(FtdataError):
    """The input was replaced, grew or was rewritten while workers were reading it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"the input changed while it was being validated: {path} {reason}; "
                         "nothing was written: run again once the file is complete")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[InputChangedError], tuple[str, str]]:
        return (InputChangedError, (self.path, self.reason))


class OutputError(FtdataError):
    """An output (a split, a report page) cannot be written: ``reason`` is the system's."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str]]:
        return (OutputError, (self.path, self.reason))
