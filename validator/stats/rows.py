"""The feature rows of one validation scan: each sample the scan reads (a fine-tune sample of a
detected format, a batch request, an eval or calibration row) becomes a row of the feature
table (:mod:`validator.stats.table`) as the scan goes, from the record it has already parsed.

With ``--model`` the rows carry the tokens and trained tokens the model's chat template and
tokenizer count for each sample without errors (the counts ``validate --model`` makes, taken
from :class:`~validator.models.check.ModelCheck` by line, not counted twice); with a plain
tokenizer (``stats --tokenizer``) the tokens of the sample's texts.

A scan of several workers writes one table per byte range, joined in file order afterwards
(:func:`~validator.stats.table.join_tables`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from validator.errors import UsageError
from validator.stats.sample import Sample, read_sample
from validator.stats.table import FeatureWriter

if TYPE_CHECKING:
    from validator.models.check import ModelCheck

__all__ = ["Features", "Rows", "Tokenizer", "load_tokenizer"]

TEXTS_PER_COUNT = 256  # texts tokenized at once (a batch of long texts is held only this long)


@dataclass
class Features:
    """What a scan writes feature rows for: the table's path, how the file is read (a key of
    :data:`validator.stats.dataset.READINGS`) and a plain tokenizer file. It goes with each
    worker's job. ``stopped`` is set when reading stopped at max-file-size."""

    table: str
    reading: str = "fine-tune"
    tokenizer: str | None = None
    stopped: bool = False

    def part(self, start: int) -> Features:
        """The features of the byte range starting at ``start``: a table beside this one."""
        folder, name = os.path.split(self.table)
        return replace(self, table=os.path.join(folder, f".part-{start}-{name}"))


class Tokenizer:
    """Counts tokens with a ``tokenizers`` file (``tokenizer.json``), texts in batches."""

    def __init__(self, path: str) -> None:
        try:
            from tokenizers import Tokenizer as HFTokenizer  # noqa: PLC0415 - optional extra
        except ImportError:
            raise UsageError("token counts need the tokenizers package: "
                             "pip install 'ftdata[tokens]'") from None
        try:
            self._tokenizer = HFTokenizer.from_file(path)
        except Exception as exc:  # the Rust side raises its own exception type
            raise UsageError(f"cannot load tokenizer {path}: {exc}") from None

    def count(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts,
                                                                add_special_tokens=False)]


_LOADED: dict[str, Tokenizer] = {}  # once per process (forked workers share the parent's)


def load_tokenizer(path: str | None) -> Tokenizer | None:
    """The tokenizer in the file ``path`` (loaded once per process); None without one."""
    if not path:
        return None
    if path not in _LOADED:
        _LOADED[path] = Tokenizer(path)
    return _LOADED[path]


class Rows:
    """Writes the rows of one scan to ``features.table``; :meth:`close` writes the last."""

    def __init__(self, features: Features, model: ModelCheck | None = None) -> None:
        self.reading = features.reading
        self.writer = FeatureWriter(features.table)
        self.tokenizer = load_tokenizer(features.tokenizer)
        self.model = model
        if model is not None:
            model.counts = {}  # line -> (tokens, trained tokens), taken at each batch
        self.texts: list[str] = []

    def add(self, line: int, nbytes: int, rec: dict[str, Any], fmt: str, raw: bytes) -> None:
        """The row of ``rec``, parsed from ``raw`` (line ``line``, ``nbytes`` long), a sample
        of ``fmt`` (fine-tune data). Called once the scan has checked it, so a model has
        been handed it."""
        sample, key = read_sample(rec, self.reading, fmt)
        self.add_sample(line, nbytes, sample, raw.rstrip(b"\r") if key is None else key)

    def add_sample(self, line: int, nbytes: int, sample: Sample, key: bytes) -> None:
        """The row of ``sample`` (line ``line``, ``nbytes`` long); an exact duplicate of it
        repeats ``key``."""
        self.writer.add(line, nbytes, sample, sample.hashes(key))
        if self.tokenizer is not None:
            self.texts.append("\n".join(sample.texts))
            if len(self.texts) >= TEXTS_PER_COUNT:
                self._count()
        if self.writer.full:
            self._settle()
            self.writer.flush()

    def close(self) -> None:
        """Take the last counts and write the last rows (an empty table without any)."""
        self._settle()
        self.writer.close()

    def remove(self) -> None:
        self.writer.remove()

    def _count(self) -> None:
        assert self.tokenizer is not None
        self.writer.set_tokens(self.tokenizer.count(self.texts))
        self.texts.clear()

    def _settle(self) -> None:
        """Give the rows held their token counts (the model counts what it still holds)."""
        if self.texts:
            self._count()
        model = self.model
        if model is not None and model.counts is not None:
            model.flush()
            self.writer.fill(model.counts)
            model.counts.clear()
