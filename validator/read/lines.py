"""Splitting lines: binary blocks in, one ``bytes`` per line out, memory bounded by the longest
line (and by ``max_line_bytes`` for a file that never ends a line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

__all__ = ["TooLong", "split_lines"]

# The average line length (bytes) of a block from which the next is split by finding each
# newline (see _find).
_LONG_LINES = 768


class TooLong:
    """Stands for a line longer than the limit; its bytes were skipped, not kept."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


def split_lines(
    blocks: Iterable[bytes],
    max_line_bytes: int,
    spill: Callable[[bytes], object] | None = None,
) -> Iterator[bytes | TooLong]:
    """Lines without their ``\\n``; the last one is yielded even without a final newline.

    A line over ``max_line_bytes`` is yielded as :class:`TooLong`; its bytes go to ``spill``
    (in order, before the ``TooLong`` is yielded) or are dropped, so memory stays bounded.
    """
    pieces: list[bytes] = []  # the unfinished line, kept as pieces to avoid quadratic joins
    pending = 0  # its length
    skipping = False  # the unfinished line is over the limit: count it, spill or drop its bytes
    finding = False  # the last block's lines were long: split the next one by _find
    for block in blocks:
        if b"\n" not in block:
            pending += len(block)
            if skipping:
                if spill is not None:
                    spill(block)
            else:
                pieces.append(block)
                if pending > max_line_bytes:
                    skipping = True
                    if spill is not None:
                        spill(b"".join(pieces))
                    pieces.clear()
            continue
        parts = _find(block) if finding else block.split(b"\n")
        finding = len(block) >= _LONG_LINES * len(parts)
        head = parts[0]
        if skipping:
            if spill is not None:
                spill(head)
            yield TooLong(pending + len(head))
        else:
            if pieces:
                pieces.append(head)
                head = b"".join(pieces)
            yield _checked(head, max_line_bytes, spill)
        pieces.clear()
        skipping = False
        tail = parts.pop()
        rest = iter(parts)
        next(rest)  # the head, done above
        if len(block) <= max_line_bytes:  # the usual case: no line here can be too long
            yield from rest
        else:
            for line in rest:
                yield _checked(line, max_line_bytes, spill)
        pending = len(tail)
        if tail:
            if pending > max_line_bytes:
                skipping = True
                if spill is not None:
                    spill(tail)
            else:
                pieces.append(tail)
    if skipping:
        yield TooLong(pending)
    elif pieces:
        yield _checked(b"".join(pieces), max_line_bytes, spill)


def _find(block: bytes) -> list[bytes]:
    """``block.split(b"\\n")``, newline by newline: bytes.split walks a one-byte separator
    byte by byte, find uses memchr. On lines of a few kilobytes, as fine-tuning samples are,
    this takes a third of the time; on lines under about 600 bytes the loop costs more, so
    split_lines keeps bytes.split there."""
    parts: list[bytes] = []
    append = parts.append
    find = block.find
    start = 0
    while (end := find(b"\n", start)) >= 0:
        append(block[start:end])
        start = end + 1
    append(block[start:])
    return parts


def _checked(line: bytes, max_line_bytes: int,
             spill: Callable[[bytes], object] | None) -> bytes | TooLong:
    if len(line) <= max_line_bytes:
        return line
    if spill is not None:
        spill(line)
    return TooLong(len(line))
