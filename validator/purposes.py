"""What a file is for and what kind of file it is: the purposes and file types of the Files
API (SPEC.md §1, §5), shared by the validator, the uploader and the local server, and checked
here only.

A purpose decides the rules (``fine-tune`` the dataset formats, ``eval`` one JSON object per
line with the first row's keys, ``batch-api`` request lines, ``calibration`` one JSON object per
line: no rules are documented for it); a file type is read from the name's extension. JSONL
serves every purpose, CSV only ``eval`` and Parquet only ``fine-tune``. The validator also reads
``*.jsonl.gz`` and ``*.jsonl.zst``, which are never uploaded.
"""

from __future__ import annotations

import os
from typing import Final, Literal, get_args

from validator.errors import UsageError

__all__ = ["FILE_TYPES", "PURPOSES", "PURPOSE_OF_TYPE", "Compression", "FileType", "Purpose",
           "check_purpose", "compression", "file_type", "resolve_purpose"]

Purpose = Literal["fine-tune", "eval", "batch-api", "calibration"]
PURPOSES: Final[tuple[Purpose, ...]] = get_args(Purpose)

FileType = Literal["jsonl", "parquet", "csv"]  # what the server accepts
FILE_TYPES: Final[tuple[FileType, ...]] = get_args(FileType)

Compression = Literal["gzip", "zstd"]  # read for JSONL only, never uploaded

PURPOSE_OF_TYPE: Final[dict[FileType, Purpose]] = {"csv": "eval", "parquet": "fine-tune"}
"""The one purpose a file type serves; JSONL, absent here, serves every purpose."""

_SUFFIXES: Final[dict[str, FileType]] = {".jsonl": "jsonl", ".parquet": "parquet",
                                          ".csv": "csv"}
_COMPRESSIONS: Final[dict[str, Compression]] = {".gz": "gzip", ".zst": "zstd"}


def check_purpose(purpose: str) -> Purpose:
    """``purpose`` as a :data:`Purpose`; :class:`UsageError` when it is not one."""
    for known in PURPOSES:
        if purpose == known:
            return known
    raise UsageError(f"unknown purpose {purpose!r}: use one of {', '.join(PURPOSES)}")


def resolve_purpose(purpose: str, name: str) -> Purpose:
    """``auto`` picks the purpose from the file name (CSV is eval, the rest fine-tune); any
    other value must be a purpose."""
    if purpose == "auto":
        return "eval" if file_type(name) == "csv" else "fine-tune"
    return check_purpose(purpose)


def compression(name: str) -> Compression | None:
    """``gzip`` or ``zstd`` for ``*.jsonl.gz`` / ``*.jsonl.zst``, else None."""
    stem, ext = os.path.splitext(name)
    kind = _COMPRESSIONS.get(ext.lower())
    return kind if kind and os.path.splitext(stem)[1].lower() == ".jsonl" else None


def file_type(name: str) -> FileType | None:
    """``jsonl``, ``parquet`` or ``csv`` from the name's extension (any case), else None.

    ``*.jsonl.gz`` and ``*.jsonl.zst`` are ``jsonl`` too (see :func:`compression`).
    """
    stem, ext = os.path.splitext(name)
    if compression(name):
        ext = os.path.splitext(stem)[1]
    return _SUFFIXES.get(ext.lower())
