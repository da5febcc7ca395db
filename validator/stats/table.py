"""The feature table of ``ftdata stats``: one small row per sample, written as it is read.

Rows go to an Arrow IPC file in record batches of :data:`BATCH_ROWS`, so the table is never
held whole: memory is one batch however many samples the file has. The statistics are polars
queries over that file (:mod:`validator.stats.analysis`).

Columns (:data:`SCHEMA`): ``line`` (the sample's line, or row for CSV), ``bytes`` (of the
line), ``format``, ``messages``, ``turns`` (assistant messages), ``chars`` (of the text
content), ``tokens`` and ``trained_tokens`` (as the model's chat template and tokenizer count them
with ``--model``, for a sample without errors; a preference sample's two sides together;
``tokens`` alone with a plain ``--tokenizer``; else null), the flags ``tools``,
``parallel_tool_calls``, ``reasoning``, ``images``, ``weights``, ``nothing_trained``, and three
64-bit hashes: ``hash`` of the sample (what an exact duplicate repeats), ``norm_hash`` of its
normalized text (each message's role and text, case folded, whitespace collapsed) and
``prompt_hash`` of the normalized prompt part (the messages before the last assistant
message, an instruction's prompt, a preference sample's input; null where a sample has none).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.stats.sample import Sample

__all__ = ["BATCH_ROWS", "FLAGS", "FORMAT_NAMES", "FeatureWriter", "join_tables",
           "temporary_table"]

BATCH_ROWS = 65_536
# every value ``format`` can take, in one dictionary for all batches (the IPC file format
# allows no dictionary that changes from batch to batch)
FORMAT_NAMES = ("conversation", "instruction", "general", "preference_openai", "batch", "row")
_FORMAT_INDEX = {name: i for i, name in enumerate(FORMAT_NAMES)}
FLAGS = ("tools", "parallel_tool_calls", "reasoning", "images", "weights", "nothing_trained")
_ORDER = ("line", "bytes", "format", "messages", "turns", "chars", *FLAGS, "hash", "norm_hash",
          "prompt_hash")  # of a row as held


def _schema() -> Any:
    import pyarrow as pa  # noqa: PLC0415 - loaded with the first batch

    return pa.schema([
        ("line", pa.uint64()), ("bytes", pa.uint64()), ("format", pa.dictionary(
            pa.int8(), pa.string())), ("messages", pa.uint32()), ("turns", pa.uint32()),
        ("chars", pa.uint64()), ("tokens", pa.int64()), ("trained_tokens", pa.int64()),
        *((flag, pa.bool_()) for flag in FLAGS),
        ("hash", pa.uint64()), ("norm_hash", pa.uint64()), ("prompt_hash", pa.uint64())])


def temporary_table(folder: str | None = None) -> Path:
    """A new empty file for a feature table, in ``folder`` (else the temporary folder)."""
    fd, name = tempfile.mkstemp(prefix="ftdata-features-", suffix=".arrow", dir=folder)
    os.close(fd)
    return Path(name)


class FeatureWriter:
    """Appends feature rows and writes them to ``path`` (a temporary file in ``folder`` when
    None) in batches. :meth:`close` writes the last batch and returns the path; the caller
    removes the file (:meth:`remove`)."""

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 folder: str | None = None) -> None:
        self.path = Path(path) if path is not None else temporary_table(folder)
        self.rows = 0
        self._held: list[tuple[Any, ...]] = []  # rows in _ORDER, written at each batch
        self._tokens: list[int | None] = []
        self._trained: list[int | None] = []
        self._writer: Any = None
        self._sink: Any = None

    def add(self, line: int, nbytes: int, sample: Sample,
            hashes: tuple[int, int, int | None]) -> None:
        """One sample's row: its line, the line's bytes, what ``sample`` holds, its hashes."""
        self._held.append((line, nbytes, sample.fmt, sample.n_messages, sample.turns,
                           sum(map(len, sample.texts)), sample.tools, sample.parallel_tool_calls,
                           sample.reasoning, sample.images, sample.weights,
                           sample.nothing_trained, *hashes))
        self._tokens.append(None)
        self._trained.append(None)
        self.rows += 1

    @property
    def full(self) -> bool:
        """Whether a batch of rows is held (then :meth:`flush` writes them)."""
        return len(self._held) >= BATCH_ROWS

    def set_tokens(self, counts: list[int]) -> None:
        """The token counts of the last ``len(counts)`` rows added."""
        if counts:
            self._tokens[-len(counts):] = counts

    def fill(self, counts: dict[int, tuple[int, int]]) -> None:
        """The tokens and trained tokens of the rows held, by their line; rows whose line
        ``counts`` lacks keep none."""
        if not counts:
            return
        for i, row in enumerate(self._held):
            got = counts.get(row[0])
            if got is not None:
                self._tokens[i], self._trained[i] = got

    def flush(self, *, force: bool = False) -> None:
        """Write the rows held when there are a batch of them (all of them with ``force``)."""
        if not self._held or (not force and len(self._held) < BATCH_ROWS):
            return
        import pyarrow as pa  # noqa: PLC0415

        schema = _schema()
        if self._writer is None:
            self._sink = pa.OSFile(str(self.path), "wb")
            self._writer = pa.ipc.new_file(self._sink, schema)
        columns = dict(zip(_ORDER, zip(*self._held, strict=True), strict=True))
        arrays = {name: pa.array(values, type=schema.field(name).type)
                  for name, values in columns.items() if name != "format"}
        arrays["format"] = pa.DictionaryArray.from_arrays(
            pa.array([_FORMAT_INDEX[name] for name in columns["format"]], type=pa.int8()),
            pa.array(FORMAT_NAMES))
        arrays["tokens"] = pa.array(self._tokens, type=pa.int64())
        arrays["trained_tokens"] = pa.array(self._trained, type=pa.int64())
        self._writer.write_batch(pa.record_batch([arrays[f.name] for f in schema],
                                                 schema=schema))
        self._held.clear()
        self._tokens.clear()
        self._trained.clear()

    def close(self) -> Path:
        """Write what is left (an empty table when there were no rows) and close the file."""
        self.flush(force=True)
        if self._writer is None:  # no rows at all: a file with the schema and no batch
            import pyarrow as pa  # noqa: PLC0415

            self._sink = pa.OSFile(str(self.path), "wb")
            self._writer = pa.ipc.new_file(self._sink, _schema())
        self._writer.close()
        self._sink.close()
        return self.path

    def remove(self) -> None:
        """Close (if still open) and delete the file."""
        if self._sink is not None and not self._sink.closed:
            self._sink.close()
        self.path.unlink(missing_ok=True)


def join_tables(tables: list[str], shifts: list[int], out: str) -> None:
    """The tables of a file's byte ranges as one at ``out``, in file order, each range's lines
    shifted by the lines before it (``shifts``), batch by batch (never held whole)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    writer: Any = None
    with pa.OSFile(out, "wb") as sink:
        for path, shift in zip(tables, shifts, strict=True):
            with pa.memory_map(path) as source:
                reader = pa.ipc.open_file(source)
                if writer is None:
                    writer = pa.ipc.new_file(sink, reader.schema)
                for i in range(reader.num_record_batches):
                    batch = reader.get_batch(i)
                    lines = pc.add(batch.column("line"), pa.scalar(shift, pa.uint64()))
                    writer.write_batch(batch.set_column(0, "line", lines))
        if writer is None:
            writer = pa.ipc.new_file(sink, _schema())
        writer.close()
