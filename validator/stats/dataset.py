"""Dataset statistics (``ftdata stats``): what a file holds, sample by sample, read once with
memory flat. A JSONL file is read by the validation's own scan (:func:`examine`), where each
sample becomes a row of the feature table on disk (:mod:`validator.stats.rows`,
:mod:`validator.stats.table`); the statistics are polars queries over it
(:mod:`validator.stats.analysis`): exact percentiles, histograms, the longest samples, exact
and near duplicates. The profile's line counts are the validation's.

This is description, not judgement: lines that do not parse, or match no format, are only
counted (the validation's issues are counted apart). CSV rows and pre-tokenized Parquet files
are described apart from their validation (:mod:`validator.stats.records`).

Every purpose and file type that ``ftdata validate`` reads is described: fine-tune samples
(JSONL, or pre-tokenized Parquet rows), batch requests (their ``body``) and eval or calibration
rows (JSONL objects, or CSV rows). A statistic that does not apply to what was read is left out
of :meth:`Profile.to_dict` and named in its ``not_applicable`` list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from validator.config import Config
from validator.errors import FtdataError, UsageError
from validator.purposes import FILE_TYPES, PURPOSE_OF_TYPE, check_purpose, file_type
from validator.stats.rows import Features, Rows, Tokenizer, load_tokenizer
from validator.stats.sketch import Sketch
from validator.stats.table import FeatureWriter, temporary_table

if TYPE_CHECKING:
    from validator.report import Report

__all__ = ["Profile", "Tokenizer", "analysed", "examine", "load_tokenizer", "profile_file",
           "profile_stream"]

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
    tokens: Sketch = field(default_factory=Sketch)  # pre-tokenized rows (the others: analysis)
    context_length: int | None = None
    over_context: int = 0
    shares: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SHARES, 0))
    duplicates: int = 0  # samples that repeat an earlier one exactly
    duplicate_groups: int = 0  # distinct samples that occur more than once
    analysis: dict[str, Any] | None = None  # the feature table's statistics (not Parquet)

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
        if self.tokens.count:  # pre-tokenized rows: from their input_ids
            doc["tokens_per_sample"] = self.tokens.distribution()
        plain = "tokens_per_sample" in doc and "trained_tokens_per_sample" not in doc
        if self.tokens.count or plain:  # counted without a model (--tokenizer)
            doc["context_length"] = self.context_length
            doc["samples_over_context"] = self.over_context
        return doc

    def _exact(self, doc: dict[str, Any], applies: tuple[str, ...]) -> None:
        """The feature table's exact statistics over the sketches' (see :mod:`.analysis`)."""
        found = self.analysis or {}
        always = ("bytes_per_sample", "tokens_per_sample", "trained_tokens_per_sample")
        shown = [key for key in ("messages_per_sample", "turns_per_sample", "chars_per_sample",
                                 *always) if key in found and (key in applies or key in always)]
        for key in shown:
            doc[key] = found[key]
        doc["per_format"] = {fmt: {k: v for k, v in values.items() if k in shown}
                             for fmt, values in found["per_format"].items()}
        doc["histograms"] = {k: v for k, v in found["histograms"].items() if k in shown}
        doc["longest"] = found["longest"]
        doc["duplicates"] = found["duplicates"]


def profile_file(path: str | os.PathLike[str], purpose: str = "fine-tune", *,
                 tokenizer: str | os.PathLike[str] | None = None,
                 context_length: int | None = None, config: Config | None = None,
                 features: str | os.PathLike[str] | None = None,
                 workers: int | None = None) -> Profile:
    """Statistics of a JSONL (also compressed), CSV or Parquet file read for ``purpose``, as
    ``ftdata validate`` takes them: :func:`examine`'s profile."""
    return examine(path, purpose, tokenizer=tokenizer, context_length=context_length,
                   config=config, features=features, workers=workers)[1]


def examine(path: str | os.PathLike[str], purpose: str = "fine-tune", *,
            tokenizer: str | os.PathLike[str] | None = None, context_length: int | None = None,
            config: Config | None = None, features: str | os.PathLike[str] | None = None,
            workers: int | None = None, stream: BinaryIO | None = None
            ) -> tuple[Report | None, Profile]:
    """The validation report and the statistics of the file at ``path`` (or of ``stream``, a
    file called ``path``) for ``purpose``, read once: a JSONL file's feature rows come from
    its validation scan (``workers`` processes, as for ``validate_file``), so the report is
    validate's own (with ``config.model``, its token counts are the rows' tokens). A CSV or
    Parquet file is described apart from validation: the report is then None.

    ``tokenizer`` is a ``tokenizer.json`` for plain token counts (without a model), and
    ``context_length`` counts the samples over it. The feature table is written to
    ``features`` (an Arrow IPC file the caller then owns), else to a temporary file removed
    once the statistics are computed. Raises :class:`~validator.errors.UsageError` for a file
    type that is not known or does not serve ``purpose`` (a CSV file is eval data only), and
    :class:`~validator.errors.FtdataError` for a file that cannot be described (reading
    stopped at max-file-size, a CSV or Parquet file that does not parse)."""
    name = os.fspath(path)
    config = config or Config()
    how = reading(name, purpose)  # refused before the file is opened
    profile = Profile(name, purpose=purpose, reading=how, context_length=context_length,
                      shares=dict.fromkeys(READINGS[how][2], 0))
    table = Path(features) if features is not None else temporary_table()
    done = False
    try:
        if how == "parquet" or file_type(name) == "csv":
            _describe_apart(path, stream, profile, config=config, tokenizer=tokenizer,
                            table=table)
            found: tuple[Report | None, Profile] = (
                None, analysed(profile, table) if how != "parquet" else profile)
        else:
            report = _validated(name, stream, purpose, config=config, workers=workers,
                                features=Features(str(table), how, None if tokenizer is None
                                                  else os.fspath(tokenizer)))
            profile.blank_lines = report.stats["blank_lines"]
            profile.lines = report.nlines + profile.blank_lines
            if how == "fine-tune":
                profile.formats = dict(report.stats["samples_per_format"])
            found = report, analysed(profile, table)
        done = True
        return found
    finally:
        if features is None or not done:  # a table of a file not described is not kept
            table.unlink(missing_ok=True)


def _validated(name: str, stream: BinaryIO | None, purpose: str, *, config: Config,
               workers: int | None, features: Features) -> Report:
    """The validation of a JSONL file, its feature rows written to ``features.table``."""
    from validator.run.pipeline import run_file, run_stream  # noqa: PLC0415

    if stream is None:
        report = run_file(name, purpose, config=config, progress=None, workers=workers,
                          features=features)
    else:
        report = run_stream(stream, name, purpose, config=config, progress=None,
                            features=features)
    if features.stopped:
        raise FtdataError(f"{name}: over {config.max_file_bytes:,} bytes (max-file-size), so "
                          "reading stopped there; split it into several files")
    if not os.path.getsize(features.table):  # not scanned (an empty file): an empty table
        FeatureWriter(features.table).close()
    return report


def _describe_apart(path: str | os.PathLike[str], stream: BinaryIO | None, profile: Profile,
                    *, config: Config, tokenizer: str | os.PathLike[str] | None,
                    table: Path) -> None:
    """A CSV or Parquet file, read for its statistics alone."""
    from validator.read.source import open_source  # noqa: PLC0415
    from validator.stats import records  # noqa: PLC0415 - the other readings, kept apart

    if stream is None:
        _, handle = open_source(os.fspath(path))
        with handle:
            _describe_apart(path, handle, profile, config=config, tokenizer=tokenizer,
                            table=table)
        return
    if profile.reading == "parquet":
        profile.unit = "rows"
        records.profile_parquet(stream, profile, config.max_file_bytes)
        return
    profile.unit = "rows"
    rows = Rows(Features(str(table), "rows", None if tokenizer is None else os.fspath(tokenizer)))
    try:
        for sample, key, nbytes in records.csv_rows(stream, profile, config.max_line_bytes):
            rows.add_sample(profile.lines, nbytes, sample, key)
    finally:
        rows.close()


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
                   tokenizer: str | os.PathLike[str] | None = None,
                   context_length: int | None = None, config: Config | None = None,
                   features: str | os.PathLike[str] | None = None) -> Profile:
    """:func:`profile_file` of a binary stream (standard input) called ``name``."""
    return examine(name, purpose, tokenizer=tokenizer, context_length=context_length,
                   config=config, features=features, stream=stream)[1]


def analysed(profile: Profile, table: str | os.PathLike[str]) -> Profile:
    """``profile`` with the statistics of its feature table ``table``: its samples, shares
    and samples over the context length are counted there."""
    from validator.stats.analysis import analyse  # noqa: PLC0415 - polars, loaded here

    found = profile.analysis = analyse(table, context_length=profile.context_length)
    profile.samples = found["samples"]
    profile.unreadable = profile.lines - profile.blank_lines - profile.samples
    for key in profile.shares:
        profile.shares[key] = found["flags"][key]
    profile.over_context = found.get("over_context", 0)
    duplicates = found["duplicates"]
    profile.duplicates = duplicates["exact"]
    profile.duplicate_groups = duplicates["exact_groups"]
    return profile
