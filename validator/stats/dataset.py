"""Dataset statistics (``ftdata stats``): what a file holds, sample by sample, in one streaming
pass with memory flat: each sample's row of features goes to a feature table on disk
(:mod:`validator.stats.table`), and the statistics are polars queries over it
(:mod:`validator.stats.analysis`): exact percentiles, histograms, the longest samples, exact
and near duplicates.

This is description, not validation: lines that do not parse, or match no format, are only
counted. Pre-tokenized Parquet files are described from their columns directly.

Every purpose and file type that ``ftdata validate`` reads is described: fine-tune samples
(JSONL, or pre-tokenized Parquet rows), batch requests (their ``body``) and eval or calibration
rows (JSONL objects, or CSV rows). A statistic that does not apply to what was read is left out
of :meth:`Profile.to_dict` and named in its ``not_applicable`` list.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from validator.config import Config
from validator.errors import FtdataError, UsageError
from validator.formats.detect import detect
from validator.purposes import FILE_TYPES, PURPOSE_OF_TYPE, check_purpose, compression, file_type
from validator.read.json_errors import BOM
from validator.read.lines import TooLong, split_lines
from validator.read.source import BlockReader, open_source, sniff
from validator.run.cores import available_cores
from validator.run.parallel import PARALLEL_MIN_BYTES
from validator.stats.sample import Sample
from validator.stats.sketch import Sketch
from validator.stats.table import FeatureWriter

__all__ = ["Kept", "Profile", "Tokenizer", "analysed", "load_tokenizer", "profile_file",
           "profile_stream", "read_lines"]

_SHARES = ("tools", "parallel_tool_calls", "reasoning", "images", "weights", "nothing_trained")
_STATS = ("samples_per_format", "messages_per_sample", "turns_per_sample", "chars_per_sample",
          "samples_with", "exact_duplicates")
READINGS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # how a file is read -> (what its samples are, the statistics that apply, the shares)
    "fine-tune": ("fine-tune samples", _STATS, _SHARES),
    "batch-api": ("batch requests (their body)",
                  ("messages_per_sample", "chars_per_sample", "samples_with", "exact_duplicates"),
                  _SHARES[:4]),
    "rows": ("eval or calibration rows", ("chars_per_sample", "exact_duplicates"), ()),
    "parquet": ("pre-tokenized rows", ("samples_per_format", "samples_with"),
                ("nothing_trained",)),
}


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


def load_tokenizer(path: str | None) -> Tokenizer | None:
    return Tokenizer(path) if path else None


_NONE: dict[str, Any] = {"min": None, "p50": None, "p90": None, "p99": None, "max": None}


@dataclass
class Profile:
    """The statistics of one file; :meth:`to_dict` is ``ftdata stats --output json``."""

    path: str
    purpose: str = "fine-tune"
    reading: str = "fine-tune"  # a key of READINGS
    unit: str = "lines"  # what `lines` counts: lines (JSONL) or rows (Parquet, CSV)
    lines: int = 0
    samples: int = 0
    blank_lines: int = 0
    unreadable: int = 0  # lines that are not JSON objects of a known format
    formats: dict[str, int] = field(default_factory=dict)
    tokens: Sketch = field(default_factory=Sketch)  # pre-tokenized rows, and --tokenizer
    context_length: int | None = None
    over_context: int = 0
    shares: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SHARES, 0))
    duplicates: int = 0  # samples that repeat an earlier one exactly
    duplicate_groups: int = 0  # distinct samples that occur more than once
    analysis: dict[str, Any] | None = None  # the feature table's statistics (not Parquet)

    def merge(self, other: Profile) -> None:
        """Add the counts of ``other``, the profile of a later part of the same file."""
        self.lines += other.lines
        self.samples += other.samples
        self.blank_lines += other.blank_lines
        self.unreadable += other.unreadable
        for name, n in other.formats.items():
            self.formats[name] = self.formats.get(name, 0) + n
        for key, n in other.shares.items():
            self.shares[key] = self.shares.get(key, 0) + n
        self.tokens.merge(other.tokens)
        self.over_context += other.over_context

    @property
    def applies(self) -> tuple[str, ...]:
        """The statistics (keys of :meth:`to_dict`) that describe what was read (no shares
        for a Parquet file without labels)."""
        return tuple(k for k in READINGS[self.reading][1] if k != "samples_with" or self.shares)

    def to_dict(self) -> dict[str, Any]:
        samples = max(self.samples, 1)
        doc: dict[str, Any] = {
            "path": self.path,
            "purpose": self.purpose,
            "read_as": READINGS[self.reading][0],
            "unit": self.unit,
            "lines": self.lines,
            "samples": self.samples,
            "blank_lines": self.blank_lines,
            "unreadable_lines": self.unreadable,
            "samples_per_format": dict(self.formats),
            "messages_per_sample": _NONE,  # the feature table's, below
            "turns_per_sample": _NONE,
            "chars_per_sample": _NONE,
            "share_of_samples": {k: round(v / samples, 4) for k, v in self.shares.items()},
            "samples_with": dict(self.shares),
            "exact_duplicates": {"samples": self.duplicates, "groups": self.duplicate_groups},
        }
        applies = self.applies
        if self.analysis is not None:
            self._exact(doc, applies)
        for key in _STATS:
            if key not in applies:
                del doc[key]
                if key == "samples_with":
                    del doc["share_of_samples"]
        doc["not_applicable"] = [key for key in _STATS if key not in applies]
        if self.tokens.count:
            doc["tokens_per_sample"] = self.tokens.distribution()
            doc["context_length"] = self.context_length
            doc["samples_over_context"] = self.over_context
        return doc


    def _exact(self, doc: dict[str, Any], applies: tuple[str, ...]) -> None:
        """The feature table's exact statistics over the sketches' (see :mod:`.analysis`)."""
        found = self.analysis or {}
        shown = [key for key in ("messages_per_sample", "turns_per_sample", "chars_per_sample",
                                 "bytes_per_sample", "tokens_per_sample")
                 if key in found and (key in applies or key in ("bytes_per_sample",
                                                               "tokens_per_sample"))]
        for key in shown:
            doc[key] = found[key]
        doc["per_format"] = {fmt: {k: v for k, v in values.items() if k in shown}
                             for fmt, values in found["per_format"].items()}
        doc["histograms"] = {k: v for k, v in found["histograms"].items() if k in shown}
        doc["longest"] = found["longest"]
        doc["duplicates"] = found["duplicates"]


def profile_file(path: str | os.PathLike[str], purpose: str = "fine-tune", *,
                 tokenizer: Tokenizer | None = None, context_length: int | None = None,
                 config: Config | None = None,
                 features: str | os.PathLike[str] | None = None,
                 workers: int | None = None) -> Profile:
    """Statistics of a JSONL (also compressed), CSV or Parquet file read for ``purpose``, as
    ``ftdata validate`` takes them; ``config`` gives the line limit (a longer line is counted as
    unreadable, not buffered). Raises :class:`~validator.errors.UsageError` for a file type
    that is not known or does not serve ``purpose`` (a CSV file is eval data only).

    The samples' feature table is written to ``features`` (an Arrow IPC file the caller
    then owns), else to a temporary file removed once the statistics are computed.
    ``workers`` processes share a plain JSONL file (default: every core the process may use
    for files of 64 MiB or more, else 1); the statistics are the same for any number."""
    how = reading(os.fspath(path), purpose)  # refused before the file is opened
    source, handle = open_source(os.fspath(path))
    with handle:
        size = source.size or 0
        if workers is None:
            workers = available_cores() if size >= PARALLEL_MIN_BYTES else 1
        if (workers > 1 and how != "parquet" and file_type(source.path) == "jsonl"
                and compression(source.path) is None and sniff(handle.read(8)) is None):
            from validator.stats.parallel import described  # noqa: PLC0415

            found = described(source.path, handle, size, Profile(
                source.path, purpose=purpose, reading=how, context_length=context_length,
                shares=dict.fromkeys(READINGS[how][2], 0)), config=config or Config(),
                tokenizer=tokenizer, workers=workers, features=features)
            if found is not None:
                return found
        handle.seek(0)
        return profile_stream(handle, source.path, purpose, tokenizer=tokenizer,
                              context_length=context_length, config=config, features=features)


def reading(name: str, purpose: str) -> str:
    """How a file called ``name`` is read for ``purpose``: a key of :data:`READINGS`."""
    purpose = check_purpose(purpose)
    kind = file_type(name)
    if kind is None:
        raise UsageError(f"{name}: file type not known: name the file "
                         f"*.{', *.'.join(FILE_TYPES)} (JSONL also as *.jsonl.gz or *.jsonl.zst)")
    wanted = PURPOSE_OF_TYPE.get(kind)
    if wanted is not None and purpose != wanted:
        raise UsageError(f"{name}: {kind} files hold {wanted} data, not {purpose} data: "
                         f"describe it with --purpose {wanted} (or auto)")
    if kind == "parquet":
        return "parquet"
    if kind == "csv" or purpose in ("eval", "calibration"):
        return "rows"
    return purpose


def profile_stream(stream: BinaryIO, name: str, purpose: str = "fine-tune", *,
                   tokenizer: Tokenizer | None = None, context_length: int | None = None,
                   config: Config | None = None,
                   features: str | os.PathLike[str] | None = None) -> Profile:
    """:func:`profile_file` of a binary stream (standard input) called ``name``."""
    from validator.stats import records  # noqa: PLC0415 - the other readings, kept apart

    config = config or Config()
    how = reading(name, purpose)
    profile = Profile(name, purpose=purpose, reading=how, context_length=context_length,
                      shares=dict.fromkeys(READINGS[how][2], 0))
    if how == "parquet":
        profile.unit = "rows"
        records.profile_parquet(stream, profile, config.max_file_bytes)
        return profile
    writer = FeatureWriter(features)
    try:
        return _read(stream, name, profile, config, Kept(profile, tokenizer, writer))
    finally:
        if features is None:
            writer.remove()


def _read(stream: BinaryIO, name: str, profile: Profile, config: Config,
          kept: Kept) -> Profile:
    from validator.stats import records  # noqa: PLC0415

    max_line_bytes = config.max_line_bytes
    if file_type(name) == "csv":
        profile.unit = "rows"
        for sample, key, nbytes in records.csv_rows(stream, profile, max_line_bytes):
            kept.add(sample, key, nbytes)
        return kept.finish()
    reader = BlockReader(stream, name, packed=compression(name),
                         limit=max(config.max_file_bytes, _disk_size(stream)))
    read_lines(split_lines(reader, max_line_bytes), profile, kept, first=True)
    if reader.over_limit:
        raise FtdataError(f"{name}: over {reader.limit:,} bytes (max-file-size), so reading "
                          "stopped there; split it into several files")
    return kept.finish()


def read_lines(lines: Iterable[bytes | TooLong], profile: Profile, kept: Kept, *,
               first: bool) -> None:
    """Describe JSONL ``lines`` into ``profile`` and ``kept``; ``first``: they start the file
    (a BOM may open them)."""
    from validator.stats import records  # noqa: PLC0415

    read_line = {"fine-tune": _profile_line, "batch-api": records.batch_line,
                 "rows": records.row_line}[profile.reading]
    start = profile.lines
    for line in lines:
        profile.lines += 1
        if isinstance(line, TooLong):
            profile.unreadable += 1
            continue
        raw = line[len(BOM):] if first and profile.lines == start + 1 and line.startswith(
            BOM) else line
        if not raw.strip():
            profile.blank_lines += 1
            continue
        got = read_line(raw, profile)
        if got is None:
            profile.unreadable += 1
            continue
        kept.add(got[0], got[1], len(line))


def _disk_size(stream: BinaryIO) -> int:
    """The size of ``stream`` when it is a regular file (a file over max-file-size on disk is
    read whole, as validate reads it), else 0."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # no descriptor (BytesIO), or closed
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


class Kept:
    """Each sample's row of the feature table, and its text for token counts (in batches)."""

    def __init__(self, profile: Profile, tokenizer: Tokenizer | None,
                 features: FeatureWriter) -> None:
        self.profile = profile
        self.tokenizer = tokenizer
        self.features = features
        self.texts: list[str] = []

    def add(self, sample: Sample, key: bytes, nbytes: int) -> None:
        profile = self.profile
        sample.record(profile)
        self.features.add(profile.lines, nbytes, sample, sample.hashes(key))
        if self.tokenizer is not None:
            self.texts.append("\n".join(sample.texts))
            if len(self.texts) >= 256:
                self.features.set_tokens(_count_tokens(self.tokenizer, self.texts, profile))
        if not self.texts:
            self.features.flush()

    def close(self) -> None:
        """Count the last tokens and write the last rows."""
        if self.tokenizer is not None and self.texts:
            self.features.set_tokens(_count_tokens(self.tokenizer, self.texts, self.profile))
        self.features.close()

    def finish(self) -> Profile:
        self.close()
        return analysed(self.profile, self.features.path)


def analysed(profile: Profile, table: str | os.PathLike[str]) -> Profile:
    """``profile`` with the statistics of its feature table ``table``."""
    from validator.stats.analysis import analyse  # noqa: PLC0415 - polars, loaded here

    profile.analysis = analyse(table)
    duplicates = profile.analysis["duplicates"]
    profile.duplicates = duplicates["exact"]
    profile.duplicate_groups = duplicates["exact_groups"]
    return profile


def _count_tokens(tokenizer: Tokenizer, texts: list[str], profile: Profile) -> list[int]:
    limit = profile.context_length
    counts = tokenizer.count(texts)
    for n in counts:
        profile.tokens.add(n)
        if limit is not None and n > limit:
            profile.over_context += 1
    texts.clear()
    return counts


def _profile_line(line: bytes, profile: Profile) -> tuple[Sample, bytes] | None:
    """One sample, read, and what an exact duplicate repeats; None if unreadable."""
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(rec) is not dict:
        return None
    fmt, _ = detect(rec)
    if fmt is None:
        return None
    profile.samples += 1
    profile.formats[fmt.name] = profile.formats.get(fmt.name, 0) + 1
    sample = Sample(fmt.name)
    if "weight" in rec:
        sample.weights = True
    if fmt.name == "conversation":
        sample.messages(rec.get("messages"), rec.get("tools"))
    elif fmt.name == "preference_openai":
        given = rec.get("input")
        if type(given) is dict:
            sample.messages(given.get("messages"), given.get("tools"))
        sample.prompt_end = len(sample.texts)  # the input
        for key in ("preferred_output", "non_preferred_output"):
            sample.messages(rec.get(key), None, count=False)
        sample.turns += 1
    elif fmt.name == "instruction":
        sample.content(rec.get("prompt"), "prompt")
        sample.prompt_end = len(sample.texts)
        sample.content(rec.get("completion"), "completion")
        sample.turns = 1
    else:
        sample.content(rec.get("text"))
    return sample, line.rstrip(b"\r")
