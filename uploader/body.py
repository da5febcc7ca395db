"""Request bodies read from the file in small blocks, so memory never grows with the file or
part size, and the guards that make sure the bytes sent are the bytes validated.

urllib3 reads a body through ``read(blocksize)`` (16 KiB) and, before a retry, puts it back
with ``seek(position)`` at the position ``tell()`` gave at the start: a :class:`FileRange`
supports exactly that, so a retried PUT resends the same bytes without holding them.

Every read of the file goes through :func:`open_regular`: only a regular file is read, and that
is checked on the open descriptor, so a FIFO (which would block the open until a writer came)
or a device (``/dev/zero`` under a dataset's name would stream forever) is refused at once.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from uploader.errors import FileChangedError
from validator import FileAccessError

__all__ = ["BLOCK_SIZE", "FileRange", "LockstepHasher", "NotRegularFile", "Outgoing", "Snapshot",
           "open_regular"]

BLOCK_SIZE = 1 << 20
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class NotRegularFile(FileAccessError):
    """A FIFO, a device, a directory: nothing whose bytes can be counted, hashed and sent."""


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading, once ``fstat`` of the open descriptor says it is a regular
    file; else :class:`FileAccessError`. It is opened with ``O_NONBLOCK``, so opening a FIFO
    returns at once instead of waiting for a writer; the flag is cleared again before reading."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except OSError as exc:
        raise FileAccessError(path, f"cannot open: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "a special file")
            raise NotRegularFile(path, f"not a regular file ({kind}): only a regular file "
                                        "can be uploaded (pipe data in with -)")
        if _NONBLOCK:
            os.set_blocking(fd, True)  # fcntl F_SETFL without O_NONBLOCK
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_open = open_regular


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise FileAccessError(path, "no such file") from None
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Snapshot:
    """Size and modification time: what "the same file" means between two moments."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def take(cls, path: str) -> Snapshot:
        st = _stat(path)
        return cls(path, st.st_size, st.st_mtime_ns)

    def check(self, when: str) -> None:
        """Raise :class:`FileChangedError` unless the file still has this size and mtime."""
        try:
            now = Snapshot.take(self.path)
        except FileAccessError as exc:
            raise FileChangedError(self.path, f"{exc.reason} {when}") from None
        if now.size != self.size:
            raise FileChangedError(self.path, f"size changed {when} ({self.size:,} -> "
                                              f"{now.size:,} bytes)")
        if now.mtime_ns != self.mtime_ns:
            raise FileChangedError(self.path, f"modified {when}")


@dataclass(frozen=True)
class Outgoing:
    """A file about to be sent, as validated: what the upload declares and later re-checks."""

    snapshot: Snapshot
    name: str  # file_name sent to the server: the base name, never the local directory
    file_type: str
    purpose: str
    checksum: str  # sha256 hex of the bytes validated

    @property
    def path(self) -> str:
        return self.snapshot.path

    @property
    def size(self) -> int:
        return self.snapshot.size


class LockstepHasher:
    """sha256 of a file, read just behind another reader (the validator) that reports how far
    it got: the hashing read hits the page cache the validator just filled, so a large file is
    read from disk once, not once to validate and once to hash."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._handle = _open(path)
        self._sha = hashlib.sha256()
        self.done = 0

    def advance(self, upto: int) -> None:
        """Hash up to byte ``upto`` (the other reader's progress)."""
        while self.done < upto:
            block = self._handle.read(min(BLOCK_SIZE, upto - self.done))
            if not block:
                raise FileChangedError(self.path, "shrank while it was read")
            self._sha.update(block)
            self.done += len(block)

    def finish(self, on_read: Callable[[int], None] | None = None) -> str:
        """Hash what is left and return the hex digest; ``on_read`` gets each block's size."""
        try:
            while block := self._handle.read(BLOCK_SIZE):
                self._sha.update(block)
                self.done += len(block)
                if on_read is not None:
                    on_read(len(block))
        finally:
            self.close()
        return self._sha.hexdigest()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> LockstepHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileRange:
    """Bytes ``[offset, offset + length)`` of a file as a rewindable request body.

    ``on_read(n)`` is called with each count of new bytes read: bytes sent again after a
    retry's rewind are not counted twice. With ``hash_it`` the sha256 of the bytes sent is kept
    (reset on a rewind to 0) so the caller can check them against the checksum it declared.
    """

    def __init__(self, path: str, offset: int, length: int, *,
                 on_read: Callable[[int], None] | None = None, hash_it: bool = False) -> None:
        self.path = path
        self.offset = offset
        self.length = length
        self._on_read = on_read
        self._handle = _open(path)
        self._handle.seek(offset)
        self._pos = 0
        self._high = 0
        self._sha = hashlib.sha256() if hash_it else None
        self._hash_valid = hash_it

    def __len__(self) -> int:  # requests sets Content-Length from len() - tell()
        return self.length

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET or not 0 <= pos <= self.length:
            raise OSError(f"FileRange supports absolute seeks in [0, {self.length}] only")
        self._handle.seek(self.offset + pos)
        self._pos = pos
        if self._sha is not None:
            self._sha = hashlib.sha256()
            self._hash_valid = pos == 0
        return pos

    def read(self, size: int = -1) -> bytes:
        left = self.length - self._pos
        if size < 0 or size > left:
            size = left
        if size == 0:
            return b""
        data = self._handle.read(size)
        if len(data) < size:
            raise FileChangedError(self.path, "shrank while it was being uploaded")
        self._pos += len(data)
        if self._sha is not None:
            self._sha.update(data)
        if self._pos > self._high:
            if self._on_read is not None:
                self._on_read(self._pos - self._high)
            self._high = self._pos
        return data

    @property
    def sha256(self) -> str | None:
        """Hex sha256 of the bytes sent in the last full pass, None if not hashed or partial."""
        if self._sha is None or not self._hash_valid or self._pos != self.length:
            return None
        return self._sha.hexdigest()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> FileRange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
