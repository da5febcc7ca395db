"""Routing lines for a quarantine split: each line goes through the checks, then to CLEAN when
it had no error, or to REJECTED (with its issues in a sidecar) otherwise.

A :class:`Router` sits between ``lines.split_lines`` and ``scan.scan_jsonl``. It hands a line
to the scan, and when the scan asks for the next one, the previous line is finished: every issue
the scan raised for it was captured by the collector, so its verdict is known. A line too long
to buffer is streamed to REJECTED while it is read (``spill``) and always counts as rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from validator.collect import Collector
from validator.issues import Issue, Severity
from validator.read.json_errors import BOM
from validator.read.lines import TooLong

__all__ = ["FileRouter", "Router", "SplitCounts", "close_parts", "join_parts", "open_parts"]


@dataclass
class SplitCounts:
    """Lines seen, and how many went to each output (with their bytes, newline included)."""

    lines: int = 0
    clean: int = 0
    rejected: int = 0
    clean_bytes: int = 0
    rejected_bytes: int = 0

    def add(self, other: SplitCounts) -> None:
        self.lines += other.lines
        self.clean += other.clean
        self.rejected += other.rejected
        self.clean_bytes += other.clean_bytes
        self.rejected_bytes += other.rejected_bytes


class Router:
    """Sees each line through the checks with the issues it raised; subclasses decide what to
    do with it in :meth:`finish`."""

    def spill(self, data: bytes) -> None:
        """The bytes of a line too long to buffer (dropped unless a subclass keeps them)."""

    def route(self, lines: Iterable[bytes | TooLong], out: Collector) -> Iterator[bytes | TooLong]:
        it = iter(lines)
        lineno = 0
        try:
            while True:
                captured: list[Issue] = []
                out.capture = captured
                try:
                    line = next(it)
                except StopIteration:
                    return
                lineno += 1
                yield line  # the scan checks the line; its issues land in ``captured``
                out.capture = None
                self.finish(lineno, line, captured)
        finally:
            out.capture = None

    def finish(self, lineno: int, line: bytes | TooLong, issues: list[Issue]) -> None:
        raise NotImplementedError


class FileRouter(Router):
    """Write each line routed through :meth:`route` to ``clean`` or ``rejected``.

    ``sidecar`` gets one JSON line per rejected line: ``{"line", "codes", "issues"}``. The BOM
    of a file's first line is not copied to CLEAN (the one byte change: the clean file is meant
    for upload, and a BOM is an error there); everything else is copied byte for byte, each line
    ended by ``\\n``.
    """

    def __init__(self, clean: BinaryIO, rejected: BinaryIO, sidecar: BinaryIO, *,
                 at_file_start: bool = True) -> None:
        self.clean = clean
        self.rejected = rejected
        self.sidecar = sidecar
        self.at_file_start = at_file_start
        self.counts = SplitCounts()

    def spill(self, data: bytes) -> None:
        """The bytes of a line too long to buffer, streamed straight to REJECTED."""
        self.rejected.write(data)
        self.counts.rejected_bytes += len(data)

    def finish(self, lineno: int, line: bytes | TooLong, issues: list[Issue]) -> None:
        counts = self.counts
        counts.lines += 1
        errors = [i for i in issues if i.severity is Severity.ERROR and i.code != "bom"]
        if isinstance(line, TooLong):
            self._reject(lineno, b"", issues)  # its bytes were spilled already
            return
        bare = line  # the line without the BOM that CLEAN does not get
        if lineno == 1 and self.at_file_start and line.startswith(BOM):
            bare = line[len(BOM):]
        if errors or not bare.strip():
            if not issues:  # a blank line with blank-line switched off: still not a sample
                issues = [Issue(lineno, None, "blank-line", Severity.WARNING,
                                "blank line: not a sample")]
            self._reject(lineno, line, issues)
            return
        self.clean.write(bare)
        self.clean.write(b"\n")
        counts.clean += 1
        counts.clean_bytes += len(bare) + 1

    def _reject(self, lineno: int, line: bytes, issues: list[Issue]) -> None:
        self.rejected.write(line)
        self.rejected.write(b"\n")
        self.counts.rejected += 1
        self.counts.rejected_bytes += len(line) + 1
        entry = {"line": lineno, "codes": sorted({i.code for i in issues}),
                 "issues": [{"path": i.path, "code": i.code, "severity": i.severity.value,
                             "message": i.message} for i in issues]}
        self.sidecar.write(orjson.dumps(entry) + b"\n")


_PARTS = ("clean", "rejected", "issues")


def open_parts(folder: str, start: int) -> FileRouter:
    """A router writing the parts of the byte range at ``start`` into ``folder`` (a worker's)."""
    files = [open(f"{folder}/{start:020d}.{kind}", "wb") for kind in _PARTS]  # noqa: SIM115
    return FileRouter(*files, at_file_start=start == 0)


def close_parts(router: FileRouter, folder: str, start: int) -> None:
    for handle in (router.clean, router.rejected, router.sidecar):
        handle.close()
    with open(f"{folder}/{start:020d}.counts", "wb") as handle:
        handle.write(orjson.dumps(router.counts.__dict__))


def join_parts(folder: str, starts: Iterable[int], router: FileRouter) -> None:
    """Append the parts of every range, in file order, to ``router``'s outputs; sidecar line
    numbers move by the lines of the ranges before."""
    for start in starts:
        stem = f"{folder}/{start:020d}"
        with open(f"{stem}.counts", "rb") as handle:
            part = SplitCounts(**orjson.loads(handle.read()))
        for kind, target in (("clean", router.clean), ("rejected", router.rejected)):
            with open(f"{stem}.{kind}", "rb") as handle:
                while block := handle.read(1 << 20):
                    target.write(block)
        shift = router.counts.lines
        with open(f"{stem}.issues", "rb") as handle:
            for raw in handle:
                entry = orjson.loads(raw)
                entry["line"] += shift
                router.sidecar.write(orjson.dumps(entry) + b"\n")
        router.counts.add(part)
