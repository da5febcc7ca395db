"""Reading bytes (SPEC §1): compressed data is known by its magic number, whatever the name
says, and the stream is still read once, front to back."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable

import pytest
import zstandard

from validator.errors import FileAccessError
from validator.read.source import BlockReader, sniff

DATA = b"".join(b'{"text": "sample %d"}\n' % i for i in range(2_000))
PACK: dict[str | None, Callable[[bytes], bytes]] = {
    None: lambda data: data,
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


class OneWay(io.RawIOBase):
    """A pipe: no seek, no tell, and at most ``chunk`` bytes per read."""

    def __init__(self, data: bytes, chunk: int = 1 << 20) -> None:
        self.data = memoryview(data)
        self.at = 0
        self.chunk = chunk
        self.reads = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("not seekable")

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        n = min(self.chunk, len(self.data) - self.at, size if size >= 0 else len(self.data))
        out = bytes(self.data[self.at:self.at + n])
        self.at += n
        return out


def _read(stream: io.RawIOBase | io.BytesIO, **kwargs: object) -> tuple[bytes, BlockReader]:
    reader = BlockReader(stream, "x.jsonl", **kwargs)  # type: ignore[arg-type]
    return b"".join(reader), reader


@pytest.mark.parametrize(("head", "kind"), [
    (b"\x1f\x8b\x08\x00", "gzip"), (b"\x28\xb5\x2f\xfd\x04", "zstd"), (b'{"text": 1}', None),
    (b"\xef\xbb\xbf{}", None), (b"\x1f", None), (b"\x28\xb5\x2f", None), (b"", None),
])
def test_sniff_knows_gzip_and_zstd_by_their_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


@pytest.mark.parametrize("named", [None, "gzip", "zstd"])
@pytest.mark.parametrize("actual", [None, "gzip", "zstd"])
def test_the_bytes_decide_not_the_name(named: str | None, actual: str | None) -> None:
    """``packed`` (what the name says) is only a default: gzip under ``.jsonl`` is
    decompressed, plain text under ``.jsonl.gz`` is read as it is, zstd under ``.gz`` is zstd."""
    data, reader = _read(io.BytesIO(PACK[actual](DATA)), packed=named)
    assert data == DATA
    assert reader.packed == actual
    assert reader.error is None
    assert reader.done == len(DATA)
    assert reader.lines == (2_000 if actual else 0)  # counted for compressed data only


@pytest.mark.parametrize("actual", [None, "gzip", "zstd"])
def test_a_pipe_is_read_once_front_to_back(actual: str | None) -> None:
    packed = PACK[actual](DATA)
    pipe = OneWay(packed, chunk=1)  # one byte per read: the magic needs several reads
    data, reader = _read(pipe, block_size=1 << 12)
    assert data == DATA
    assert reader.packed == actual
    assert pipe.at == len(packed)


@pytest.mark.parametrize("actual", ["gzip", "zstd"])
def test_progress_counts_compressed_bytes_without_tell(actual: str) -> None:
    """Progress is the bytes taken from the stream, never more than its size (the uploader
    hashes the file in step with it), also from a pipe that cannot tell."""
    packed = PACK[actual](DATA * 20)
    seen: list[int] = []
    data, _ = _read(OneWay(packed, chunk=5_000), progress=seen.append, block_size=1 << 14)
    assert data == DATA * 20
    assert seen == sorted(seen)
    assert seen[-1] == len(packed)


def test_plain_progress_counts_bytes() -> None:
    seen: list[int] = []
    _read(io.BytesIO(DATA), progress=seen.append, block_size=1 << 14)
    assert seen[-1] == len(DATA)
    assert seen[0] == 1 << 14


def test_truncated_gzip_under_a_plain_name_is_an_archive_error() -> None:
    packed = PACK["gzip"](DATA)
    data, reader = _read(io.BytesIO(packed[: len(packed) // 2]))
    assert reader.packed == "gzip"
    assert reader.error == "gzip data ends before its end marker"
    assert 0 < len(data) < len(DATA)
    assert DATA.startswith(data)
    assert reader.lines == data.count(b"\n")


def test_a_magic_number_alone_is_a_truncated_archive() -> None:
    data, reader = _read(io.BytesIO(b"\x1f\x8b"))
    assert (data, reader.packed, reader.error) == (b"", "gzip",
                                                   "gzip data ends before its end marker")


def test_empty_stream_gives_no_block() -> None:
    data, reader = _read(io.BytesIO(b""), packed="gzip")
    assert (data, reader.packed, reader.error, reader.done) == (b"", None, None, 0)


def test_a_read_error_on_the_first_block_is_file_access() -> None:
    class Broken(OneWay):
        def read(self, size: int = -1) -> bytes:
            raise OSError("device gone")

    with pytest.raises(FileAccessError, match="read failed after 0 bytes"):
        _read(Broken(b""))
