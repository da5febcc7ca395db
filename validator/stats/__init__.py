"""Describing a dataset: ``ftdata stats`` (``dataset``), its feature table (``table``) and
the polars queries over it (``analysis``).

    >>> from validator.stats import features
    >>> table = features("train.jsonl")        # a polars LazyFrame, one row per sample
    >>> table.group_by("format").len().collect()

polars and pyarrow load only when a table is built or read.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["features"]


def features(path: str | os.PathLike[str], purpose: str = "fine-tune", *,
             out: str | os.PathLike[str] | None = None, config: Any = None) -> Any:
    """The feature table of the file at ``path`` (its columns: :mod:`validator.stats.table`)
    as a polars LazyFrame, for notebooks and pipelines. The rows are written by the file's
    validation scan; with a model in ``config`` they carry its tokens and trained tokens.

    The table is written as an Arrow IPC file to ``out`` (the caller's to keep or remove), else
    to a temporary file removed when the interpreter exits. ``purpose`` and ``config`` are as
    for ``ftdata stats``. Raises UsageError or FileAccessError as ``ftdata stats`` fails.
    """
    import atexit  # noqa: PLC0415

    from validator.stats.analysis import scan  # noqa: PLC0415
    from validator.stats.dataset import profile_file  # noqa: PLC0415
    from validator.stats.table import temporary_table  # noqa: PLC0415

    if out is None:
        out = temporary_table()
        atexit.register(out.unlink, missing_ok=True)
    profile = profile_file(path, purpose, config=config, features=out)
    if profile.analysis is None:
        from validator.errors import UsageError  # noqa: PLC0415

        raise UsageError(f"{os.fspath(path)}: no feature table for {profile.reading} rows")
    return scan(out)
