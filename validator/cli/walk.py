"""``ftdata validate DIR``: the dataset files under a folder, as ruff walks a project.

A folder given on the command line stands for the dataset files below it (``*.jsonl``,
``*.jsonl.gz``, ``*.jsonl.zst``, ``*.parquet``, ``*.csv``), in sorted order, hidden folders and
files skipped; their purpose is picked from each name (``auto``) unless ``--purpose`` or the
configuration says otherwise. A folder with none of them is a usage error.
"""

from __future__ import annotations

import os

from validator.errors import UsageError

__all__ = ["DATASET_SUFFIXES", "expand"]

DATASET_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet", ".csv")


def expand(paths: list[str]) -> tuple[list[str], frozenset[str]]:
    """``paths`` with every folder replaced by its dataset files; also the files that came
    from a folder (their purpose is ``auto`` by default)."""
    result: list[str] = []
    walked: set[str] = set()
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            result.append(path)
            continue
        found = _dataset_files(path)
        if not found:
            raise UsageError(f"{path}: no dataset files in this folder (looked for "
                             f"{', '.join('*' + s for s in DATASET_SUFFIXES)}, hidden "
                             "folders skipped)")
        result.extend(found)
        walked.update(found)
    return result, frozenset(walked)


def _dataset_files(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, name) for name in sorted(files)
                     if not name.startswith(".") and name.lower().endswith(DATASET_SUFFIXES))
    return found
