"""The first rows of a training file as the model sees them: what Together's
``POST /fine-tunes/preview`` answers (SPEC §5), computed locally.

For each of the first ``top_k`` samples (blank lines skipped): the token ids the model's chat
template and tokenizer make of it, cut to the model's maximum SFT sequence length, the labels
(the id where the token trains, -100 where it does not), the token strings, the trained
``[start, end)`` spans, the counts and whether the cut removed anything. The counts are of the
row as returned, after the cut; ``truncated`` says a cut happened. Which tokens train is decided
as for ``--model`` (:mod:`validator.tokens.count`): ``train_on_inputs`` False trains the
assistant messages (conversations) or the completion (instruction data); general text trains
everything; a reasoning model trains only the last assistant message.

Only SFT data previews, as on the platform: conversation, instruction and general samples of one
format. A sample that is not JSON, has no single format, is of another format than the first, or
cannot be rendered is a :class:`~validator.errors.UsageError` naming its line: a preview is for a
file that passed validation.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from validator.config import Config
from validator.errors import FileAccessError, UsageError
from validator.models import context_length, find_model
from validator.models.settings import ModelSettings

__all__ = ["IGNORE", "PREVIEW_FORMATS", "TOP_K_MAX", "Preview", "PreviewRow", "preview"]

IGNORE = -100  # the label of a token that does not train
TOP_K_MAX = 50  # the platform previews at most 50 rows
PREVIEW_FORMATS = ("conversation", "instruction", "general")


@dataclass(frozen=True)
class PreviewRow:
    """One sample, tokenized and cut to the model's limit."""

    line: int
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    tokens: tuple[str, ...]
    trained_spans: tuple[tuple[int, int], ...]
    truncated: bool
    approximate: bool

    @property
    def num_tokens(self) -> int:
        return len(self.input_ids)

    @property
    def num_trained_tokens(self) -> int:
        return sum(end - start for start, end in self.trained_spans)

    def to_api(self) -> dict[str, Any]:
        """The row in the endpoint's field names."""
        return {"input_ids": list(self.input_ids), "labels": list(self.labels),
                "tokens": list(self.tokens), "num_tokens": self.num_tokens,
                "num_trained_tokens": self.num_trained_tokens,
                "trained_spans": [list(span) for span in self.trained_spans],
                "truncated": self.truncated}


@dataclass(frozen=True)
class Preview:
    """The preview of a file's first rows (see the module docstring)."""

    model: str
    dataset_format: str
    max_seq_length: int
    train_on_inputs: bool
    rows: tuple[PreviewRow, ...]

    def to_api(self) -> dict[str, Any]:
        """The answer of ``POST /fine-tunes/preview``, field for field."""
        return {"model": self.model, "dataset_format": self.dataset_format,
                "max_seq_length": self.max_seq_length, "train_on_inputs": self.train_on_inputs,
                "rows": [row.to_api() for row in self.rows]}


def preview(path: str | os.PathLike[str], model: str, *, top_k: int = 5,
            train_on_inputs: bool = False, tokenizer: str | None = None,
            chat_template: str | None = None, max_seq_length: int | None = None,
            remote: bool = False) -> Preview:
    """The first ``top_k`` (1 to 50) samples of the JSONL file at ``path`` as ``model`` (its
    API id, found as ``ftdata models`` finds it) sees them.

    ``tokenizer`` and ``chat_template`` replace the model's own, as ``--tokenizer`` does;
    ``max_seq_length`` replaces its SFT limit. The model's limits are the bundled table's, or
    with ``remote`` and ``TOGETHER_API_KEY`` set the limits endpoint's, as for ``--model``.
    Raises UsageError (an unknown model, a bad ``top_k``, a sample that cannot be previewed),
    FileAccessError (the file cannot be read).
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= TOP_K_MAX:
        raise UsageError(f"top_k must be a whole number from 1 to {TOP_K_MAX}, not {top_k!r}")
    if max_seq_length is not None and max_seq_length < 1:
        raise UsageError("max_seq_length must be a positive number of tokens")
    limits = find_model(model)
    if remote:
        from validator.models.remote import from_api  # noqa: PLC0415

        limits = from_api(limits)
    from validator.models.check import tokenizer_for, unsupported  # noqa: PLC0415 - tokens

    settings = ModelSettings(limits.id, tokenizer=tokenizer, chat_template=chat_template)
    chat = tokenizer_for(settings, limits)
    samples = list(_samples(path, top_k))
    if not samples:
        raise UsageError(f"{os.fspath(path)} has no samples to preview")
    fmt = samples[0][2]
    limit = max_seq_length or context_length(limits, "sft")
    from validator.tokens import CountError, TokenCount  # noqa: PLC0415

    counted = chat.count_many([record for _, record, _ in samples], fmt, ids=True,
                              train_on_inputs=train_on_inputs,
                              reasoning_model=limits.reasoning_model)
    rows = []
    for (line, record, _), result in zip(samples, counted, strict=True):
        if isinstance(result, CountError):
            lacking = unsupported(limits, record)
            if lacking is not None:
                raise UsageError(f"line {line}: {limits.id} does not support {lacking}, so the "
                                 f"sample cannot be previewed with it ({result})")
            raise UsageError(f"line {line}: {result}")
        assert isinstance(result, TokenCount)  # an SFT format: one sequence per sample
        rows.append(_row(line, result, limit))
    return Preview(limits.id, fmt, limit, train_on_inputs, tuple(rows))


def _row(line: int, count: Any, limit: int) -> PreviewRow:
    ids, pieces = count.ids[:limit], count.pieces[:limit]
    spans = tuple((start, min(end, limit)) for start, end in count.spans if start < limit)
    labels = [IGNORE] * len(ids)
    for start, end in spans:
        labels[start:end] = ids[start:end]
    return PreviewRow(line, ids, tuple(labels), pieces, spans, count.total > limit,
                      count.approximate)


def _lines(path: str) -> Generator[Any, None, None]:
    """The lines of ``path`` (gzip and zstd decompressed, as validation reads them), a too
    long one as ``TooLong``; a corrupt archive is a UsageError once its good lines are out."""
    from validator.read.lines import split_lines  # noqa: PLC0415
    from validator.read.source import BlockReader, open_source  # noqa: PLC0415

    source, handle = open_source(path)  # FileAccessError for a missing file, a folder, a FIFO
    with handle:
        reader = BlockReader(handle, source.path)
        held = None  # one line behind: the last one of a cut archive is not a sample
        for line in split_lines(reader, Config().max_line_bytes):
            if held is not None:
                yield held
            held = line
        if reader.error:
            raise UsageError(f"{path}: {reader.error}")
        if held is not None:
            yield held


def _samples(path: str | os.PathLike[str], top_k: int) -> Iterator[tuple[int, Any, str]]:
    """(line number, record, format) of the first ``top_k`` samples, all of one format."""
    from validator.formats.detect import detect  # noqa: PLC0415

    first: str | None = None
    taken = 0
    lines = _lines(os.fspath(path))
    try:
        for lineno, raw in enumerate(lines, 1):
            if not isinstance(raw, bytes):
                raise UsageError(f"line {lineno}: longer than {Config().max_line_bytes:,} bytes")
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise UsageError(f"line {lineno}: not valid JSON ({exc})") from None
            found = detect(record)[0] if isinstance(record, dict) else None
            name = found.name if found is not None else None
            if name == "preference_openai":
                raise UsageError(f"line {lineno}: a preference sample: only SFT data previews "
                                 "(conversation, instruction, general), as on Together")
            if name not in PREVIEW_FORMATS:
                raise UsageError(f"line {lineno}: not a conversation, instruction or general "
                                 "sample (only SFT data previews): validate the file first")
            if first is not None and name != first:
                raise UsageError(f"line {lineno}: a {name} sample after {first} samples: keep "
                                 "one format per file")
            first = name
            yield lineno, record, name
            taken += 1
            if taken == top_k:
                return
    except OSError as exc:
        raise FileAccessError(os.fspath(path), str(exc.strerror or exc)) from None
    finally:
        lines.close()
