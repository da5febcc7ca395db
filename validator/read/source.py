"""Reading bytes: open the input safely, undo compression, and hand it out in binary blocks.

Anything that stops ftdata from reading at all (missing file, a directory, a FIFO, no
permission, an I/O error) raises :class:`~validator.errors.FileAccessError`. A compressed
stream that turns out truncated or corrupt is a data problem instead: :class:`BlockReader`
stops there and keeps the reason, so the report can say which line was the last complete one.
"""

from __future__ import annotations

import os
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from validator.errors import FileAccessError

__all__ = ["BLOCK_SIZE", "ArchiveError", "BlockReader", "Source", "decompress", "is_url",
           "open_input", "open_source", "stat_path"]

BLOCK_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class Source:
    """Where the bytes come from: a name for messages and rules, and the size when known
    (None for a stream such as stdin)."""

    path: str
    size: int | None


def is_url(path: str) -> bool:
    """``s3://bucket/x.jsonl``, ``file:///data/x.jsonl``: read through fsspec."""
    return "://" in path


def open_input(path: str) -> BinaryIO:
    """A binary handle on a local path or an fsspec URL (fsspec is imported only for URLs)."""
    if not is_url(path):
        return open(path, "rb")
    import fsspec  # noqa: PLC0415 - an optional dependency, with the dask extra

    handle: BinaryIO = fsspec.open(path, "rb").open()
    return handle


def stat_path(path: str) -> os.stat_result:
    """``os.stat``, with a missing or unreachable file as :class:`FileAccessError`."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise FileAccessError(path, "no such file") from None
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {exc.strerror or exc}") from None


def open_source(path: str) -> tuple[Source, BinaryIO]:
    """Open ``path`` for binary reading after checking it is a regular, readable file."""
    st = stat_path(path)
    if stat.S_ISDIR(st.st_mode):
        raise FileAccessError(path, "is a directory; pass the dataset files inside it")
    if not stat.S_ISREG(st.st_mode):
        raise FileAccessError(
            path, "not a regular file (a FIFO, socket or device); save the data to a file "
            "first, or pipe it to `ftdata validate -`"
        )
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise FileAccessError(path, f"cannot open: {exc.strerror or exc}") from None
    return Source(path, st.st_size), handle


class ArchiveError(Exception):
    """Compressed data that is truncated or corrupt (caught by :class:`BlockReader`)."""


_IN_CHUNK = 1 << 16  # compressed bytes fed at a time: keeps each output block bounded


def decompress(handle: BinaryIO, kind: str) -> Iterator[bytes]:
    """The decompressed bytes of ``handle`` (gzip or zstd, several members or frames allowed),
    as they come: data before a truncation or corruption is still yielded, then
    :class:`ArchiveError` is raised."""
    if kind == "gzip":
        return _inflate(handle, _Gzip, zlib.error, "gzip")
    import zstandard  # noqa: PLC0415 - only for .zst input

    return _inflate(handle, _Zstd, zstandard.ZstdError, "zstd")


class _Gzip:
    """One gzip member; output bounded per call (a small input can inflate a lot)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def step(self, data: bytes) -> tuple[bytes, bytes]:
        """(output, input still to feed this member)."""
        return self._z.decompress(data, BLOCK_SIZE), self._z.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def unused_data(self) -> bytes:
        return self._z.unused_data


class _Zstd:
    """One zstd frame."""

    def __init__(self) -> None:
        import zstandard  # noqa: PLC0415

        self._z = zstandard.ZstdDecompressor().decompressobj()

    def step(self, data: bytes) -> tuple[bytes, bytes]:
        return self._z.decompress(data), b""

    @property
    def eof(self) -> bool:
        return bool(self._z.eof)

    @property
    def unused_data(self) -> bytes:
        return bytes(self._z.unused_data)


def _inflate(handle: BinaryIO, new: type[_Gzip | _Zstd], error: type[Exception],
             name: str) -> Iterator[bytes]:
    inflater = new()
    started = False  # a member or frame has begun and not ended
    while chunk := handle.read(_IN_CHUNK):
        started = True
        try:
            while chunk:
                out, chunk = inflater.step(chunk)
                if out:
                    yield out
                if inflater.eof:  # the end of one member or frame; another may follow
                    chunk = inflater.unused_data
                    inflater = new()
                    started = bool(chunk)
        except error as exc:
            raise ArchiveError(f"not valid {name} data: {exc}") from None
    if started and not inflater.eof:
        raise ArchiveError(f"{name} data ends before its end marker")


def _plain(handle: BinaryIO, block_size: int) -> Iterator[bytes]:
    read = handle.read
    while block := read(block_size):
        yield block


class BlockReader:
    """Iterate over a stream (decompressing ``*.jsonl.gz`` / ``*.jsonl.zst``) in binary blocks.

    ``done`` is the number of (decompressed) bytes handed out so far, ``lines`` the number of
    complete lines among them (counted only for compressed data). Compressed data that ends
    early or is corrupt ends the iteration and leaves the reason in ``error``; an I/O error
    raises :class:`FileAccessError`. ``progress`` is called after each block with the bytes
    read from ``stream`` so far (compressed bytes, for compressed data).
    """

    def __init__(self, stream: BinaryIO, path: str, *, packed: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 block_size: int = BLOCK_SIZE) -> None:
        self.stream = stream
        self.path = path
        self.packed = packed
        self.progress = progress
        self.block_size = block_size
        self.done = 0
        self.lines = 0
        self.error: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        packed = self.packed
        blocks = decompress(self.stream, packed) if packed else _plain(self.stream,
                                                                       self.block_size)
        tell = self.stream.tell if packed else None
        while True:
            try:
                block = next(blocks)
            except StopIteration:
                return
            except ArchiveError as exc:
                self.error = str(exc)
                return
            except OSError as exc:
                raise FileAccessError(
                    self.path, f"read failed after {self.done} bytes: {exc}") from None
            self.done += len(block)
            if packed:
                self.lines += block.count(b"\n")
            if self.progress is not None:
                self.progress(tell() if tell is not None else self.done)
            yield block
