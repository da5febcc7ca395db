"""Splitting lines: binary blocks in, one ``bytes`` per line out, memory bounded by the longest
line (and by ``max_line_bytes`` for a file that never ends a line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["TooLong", "split_lines"]


class TooLong:
    """Stands for a line longer than the limit; its bytes were skipped, not kept."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


def split_lines(blocks: Iterable[bytes], max_line_bytes: int) -> Iterator[bytes | TooLong]:
    """Lines without their ``\\n``; the last one is yielded even without a final newline."""
    pieces: list[bytes] = []  # the unfinished line, kept as pieces to avoid quadratic joins
    pending = 0  # its length
    skipping = False  # the unfinished line is over the limit: count it, drop its bytes
    for block in blocks:
        if b"\n" not in block:
            pending += len(block)
            if not skipping:
                pieces.append(block)
                if pending > max_line_bytes:
                    skipping = True
                    pieces.clear()
            continue
        parts = block.split(b"\n")
        head = parts[0]
        if skipping:
            yield TooLong(pending + len(head))
        elif pieces:
            pieces.append(head)
            line = b"".join(pieces)
            yield TooLong(len(line)) if len(line) > max_line_bytes else line
        elif len(head) > max_line_bytes:
            yield TooLong(len(head))
        else:
            yield head
        pieces.clear()
        skipping = False
        tail = parts.pop()
        rest = iter(parts)
        next(rest)  # the head, done above
        if len(block) <= max_line_bytes:  # the usual case: no line here can be too long
            yield from rest
        else:
            for line in rest:
                yield TooLong(len(line)) if len(line) > max_line_bytes else line
        pending = len(tail)
        if tail:
            if pending > max_line_bytes:
                skipping = True
            else:
                pieces.append(tail)
    if skipping:
        yield TooLong(pending)
    elif pieces:
        yield b"".join(pieces)
