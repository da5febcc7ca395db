"""Reading bytes: open the input safely and hand it out in binary blocks.

Anything that stops ftdata from reading at all (missing file, a directory, a FIFO, no
permission, an I/O error) raises :class:`~validator.errors.FileAccessError`; what the file
holds is judged later.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from validator.errors import FileAccessError

__all__ = ["BLOCK_SIZE", "FILE_TYPES", "Source", "file_type", "open_source", "read_blocks"]

BLOCK_SIZE = 1 << 20
FILE_TYPES = ("jsonl", "parquet", "csv")
_SUFFIXES = {".jsonl": "jsonl", ".parquet": "parquet", ".csv": "csv"}


def file_type(name: str) -> str | None:
    """``jsonl``, ``parquet`` or ``csv`` from the name's extension (any case), else None."""
    _, ext = os.path.splitext(name)
    return _SUFFIXES.get(ext.lower())


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    size: int


def open_source(path: str) -> tuple[Source, BinaryIO]:
    """Open ``path`` for binary reading after checking it is a regular, readable file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileAccessError(path, "no such file") from None
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileAccessError(path, "is a directory; pass the dataset files inside it")
    if not stat.S_ISREG(st.st_mode):
        raise FileAccessError(
            path, "not a regular file (a FIFO, socket or device); save the data to a file first"
        )
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise FileAccessError(path, f"cannot open: {exc.strerror or exc}") from None
    return Source(path, st.st_size), handle


def read_blocks(
    handle: BinaryIO,
    path: str,
    block_size: int = BLOCK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Yield the stream in blocks; ``progress`` is called with the bytes read so far."""
    done = 0
    read = handle.read
    while True:
        try:
            block = read(block_size)
        except OSError as exc:
            raise FileAccessError(path, f"read failed after {done} bytes: {exc}") from None
        if not block:
            return
        done += len(block)
        if progress is not None:
            progress(done)
        yield block
