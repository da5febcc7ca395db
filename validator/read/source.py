"""Reading bytes: open the input safely, undo compression, and hand it out in binary blocks.

Compression is recognised by its magic number, whatever the name says (SPEC §1): gzip bytes in
a file named ``*.jsonl`` are decompressed, a ``*.jsonl.gz`` that holds plain text is read as
it is. :class:`BlockReader` reads the first block, looks at its first bytes and goes on from
there, so the stream is still read once, front to back (stdin too).

Anything that stops ftdata from reading at all (missing file, a directory, a FIFO, no
permission, an I/O error) raises :class:`~validator.errors.FileAccessError`. A compressed
stream that turns out truncated or corrupt is a data problem instead: :class:`BlockReader`
stops there and keeps the reason, so the report can say which line was the last complete one.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from validator.errors import FileAccessError

__all__ = ["BLOCK_SIZE", "MAGIC", "ArchiveError", "BlockReader", "Readable", "Source",
           "decompress", "is_url", "open_input", "open_source", "sniff"]

BLOCK_SIZE = 1 << 20

MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
"""The first bytes of a gzip member and of a zstd frame. No UTF-8 text starts with either
(0x8b and 0xb5 are continuation bytes), so plain JSONL is never mistaken for them."""

_MAGIC_BYTES = max(map(len, MAGIC))


def sniff(head: bytes) -> str | None:
    """``gzip`` or ``zstd`` when ``head`` (the first bytes of a stream) starts with that
    format's magic number, else None (plain bytes)."""
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


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


def open_source(path: str) -> tuple[Source, BinaryIO]:
    """Open ``path`` for binary reading, then check that what was opened is a regular file.

    The checks are made on the open descriptor (``fstat``), never on the path before opening:
    a FIFO swapped in between a ``stat`` and the ``open`` would block the run. ``O_NONBLOCK``
    makes opening a FIFO return at once (no writer is waited for); it is cleared again for the
    regular file that is then read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileAccessError(path, "no such file") from None
    except OSError as exc:
        raise FileAccessError(path, f"cannot open: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise FileAccessError(path, "is a directory; pass the dataset files inside it")
        if not stat.S_ISREG(st.st_mode):
            raise FileAccessError(
                path, "not a regular file (a FIFO, socket or device); save the data to a file "
                "first, or pipe it to `ftdata validate -`"
            )
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return Source(path, st.st_size), handle


class Readable(Protocol):
    """What :func:`decompress` reads from: a binary file, or the rest of one after its first
    block."""

    def read(self, size: int, /) -> bytes: ...


class ArchiveError(Exception):
    """Compressed data that is truncated or corrupt (caught by :class:`BlockReader`)."""


_IN_CHUNK = 1 << 16  # compressed bytes fed at a time: keeps each output block bounded


ZSTD_WINDOW_LOG_MAX = 27
"""A zstd frame may ask for a window of at most 2**27 bytes (128 MiB), zstd's own default limit
for decompression: a frame that asks for more (``zstd --long=28`` and up, or a forged header)
is refused rather than allowed to take gigabytes."""


def decompress(handle: Readable, kind: str) -> Iterator[bytes]:
    """The decompressed bytes of ``handle`` (gzip or zstd, several members or frames allowed),
    as they come, in pieces of at most :data:`BLOCK_SIZE` bytes whatever the ratio (a bomb
    of a few KB costs a block of memory, not its gigabytes): data before a truncation or
    corruption is still yielded, then :class:`ArchiveError` is raised."""
    if kind == "gzip":
        return _inflate(handle, _Gzip, zlib.error, "gzip")
    zstd = _zstd()
    return _inflate(handle, _Zstd, zstd.ZstdError, "zstd")


def _zstd() -> Any:
    """The zstd module: the standard library's from Python 3.14, its backport before (imported
    only for zstd input)."""
    if sys.version_info >= (3, 14):
        from compression import zstd  # noqa: PLC0415
    else:
        from backports import zstd  # noqa: PLC0415
    return zstd


class _Gzip:
    """One gzip member; output bounded per call (a small input can inflate a lot)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def step(self, data: bytes) -> tuple[bytes, bytes]:
        """(output, input still to feed this member)."""
        return self._z.decompress(data, BLOCK_SIZE), self._z.unconsumed_tail

    @property
    def has_output(self) -> bool:
        """More output is waiting without more input (zlib hands back the input instead)."""
        return False

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def unused_data(self) -> bytes:
        return self._z.unused_data


class _Zstd:
    """One zstd frame; output bounded per call, the input it could not use yet kept inside."""

    def __init__(self) -> None:
        zstd = _zstd()
        self._z = zstd.ZstdDecompressor(
            options={zstd.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX})

    def step(self, data: bytes) -> tuple[bytes, bytes]:
        out: bytes = self._z.decompress(data, BLOCK_SIZE)
        return out, b""

    @property
    def has_output(self) -> bool:
        return not self._z.needs_input and not self._z.eof

    @property
    def eof(self) -> bool:
        return bool(self._z.eof)

    @property
    def unused_data(self) -> bytes:
        return bytes(self._z.unused_data)


def _inflate(handle: Readable, new: type[_Gzip | _Zstd], error: type[Exception],
             name: str) -> Iterator[bytes]:
    inflater = new()
    started = False  # a member or frame has begun and not ended
    while chunk := handle.read(_IN_CHUNK):
        started = True
        try:
            while chunk or inflater.has_output:
                out, chunk = inflater.step(chunk)
                if out:
                    yield out
                if inflater.eof:  # the end of one member or frame; another may follow
                    chunk = inflater.unused_data
                    inflater = new()
                    started = bool(chunk)
        except error as exc:
            raise ArchiveError(f"not valid {name} data: {_archive_reason(exc)}") from None
    if started and not inflater.eof:
        raise ArchiveError(f"{name} data ends before its end marker")


def _archive_reason(exc: Exception) -> str:
    reason = str(exc)
    if "memory" in reason.lower() or "window" in reason.lower():
        return (f"{reason}; a frame may use a window of at most {1 << ZSTD_WINDOW_LOG_MAX >> 20}"
                f" MiB: compress again with `zstd --long={ZSTD_WINDOW_LOG_MAX}` or less")
    return reason


def _plain(handle: BinaryIO, block_size: int) -> Iterator[bytes]:
    read = handle.read
    while block := read(block_size):
        yield block


def _head(handle: BinaryIO, block_size: int) -> bytes:
    """The first block of ``handle``: up to ``block_size`` bytes, and at least the length of a
    magic number unless the stream ends first (a pipe may hand out fewer bytes per read)."""
    head = handle.read(block_size)
    while 0 < len(head) < _MAGIC_BYTES:
        more = handle.read(block_size - len(head))
        if not more:
            break
        head += more
    return head


class _Prefixed:
    """``head`` (already read from ``stream``) and then the rest of ``stream``, as one stream
    to decompress; ``read_bytes`` counts the bytes taken from ``stream``, ``head`` included."""

    __slots__ = ("at", "head", "read_bytes", "stream")

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head = head
        self.at = 0  # how much of head was handed out
        self.stream = stream
        self.read_bytes = len(head)

    def read(self, size: int) -> bytes:
        if self.at < len(self.head):
            out = self.head[self.at:self.at + size]
            self.at += len(out)
            return out
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data


class BlockReader:
    """Iterate over a stream in binary blocks, decompressing gzip or zstd data.

    The first bytes decide (see :func:`sniff`); ``packed``, the compression the name
    announces, is only a default until the first block is read, and then holds what was
    found: ``gzip``, ``zstd`` or None (plain). ``done`` is the number of (decompressed) bytes
    handed out so far, ``lines`` the number of complete lines among them (counted only for
    compressed data). Compressed data that ends early or is corrupt ends the iteration and
    leaves the reason in ``error``; an I/O error raises :class:`FileAccessError`. ``progress``
    is called after each block with the bytes read from ``stream`` so far (compressed bytes,
    for compressed data).

    ``limit`` bounds the (decompressed) bytes handed out: the block that would cross it ends
    the iteration, with ``over_limit`` set, so an endless stream (``/dev/zero``) or a bomb
    ends at the limit instead of never. The lines complete before the limit are handed out;
    the line it cuts is not.
    """

    def __init__(self, stream: BinaryIO, path: str, *, packed: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 block_size: int = BLOCK_SIZE, limit: int | None = None) -> None:
        self.stream = stream
        self.path = path
        self.packed = packed
        self.progress = progress
        self.block_size = block_size
        self.done = 0
        self.lines = 0
        self.error: str | None = None
        self.limit = limit
        self.over_limit = False
        self.cut_line = False  # the bytes handed out end inside a line
        self._raw: _Prefixed | None = None  # the compressed stream, once the first bytes say so

    def __iter__(self) -> Iterator[bytes]:
        blocks = self._blocks()
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
            if self.limit is not None and self.done + len(block) > self.limit:
                self.over_limit = True
                block = block[:block.rfind(b"\n", 0, self.limit - self.done) + 1]
                if block:
                    self.done += len(block)
                    if self._raw is not None:
                        self.lines += block.count(b"\n")
                    self.cut_line = False
                    yield block
                return
            self.done += len(block)
            self.cut_line = not block.endswith(b"\n")
            raw = self._raw
            if raw is not None:
                self.lines += block.count(b"\n")
            if self.progress is not None:
                self.progress(raw.read_bytes if raw is not None else self.done)
            yield block

    def _blocks(self) -> Iterator[bytes]:
        head = _head(self.stream, self.block_size)
        self.packed = sniff(head)
        if self.packed is None:
            if head:
                yield head
            yield from _plain(self.stream, self.block_size)
            return
        self._raw = _Prefixed(head, self.stream)
        yield from decompress(self._raw, self.packed)
