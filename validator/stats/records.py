"""The readings of ``ftdata stats`` that do not come from the validation scan: eval rows of
a CSV file and pre-tokenized Parquet rows."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from validator.config import Config
from validator.errors import FtdataError
from validator.stats.dataset import Profile
from validator.stats.sample import Sample, row_sample

__all__ = ["csv_rows", "profile_parquet"]


def csv_rows(stream: BinaryIO, profile: Profile, max_line_bytes: int
             ) -> Iterator[tuple[Sample, bytes, int]]:
    """The data rows of a CSV file (after its header): a row with another number of cells than
    the header is unreadable, an empty one blank. Yields (sample, duplicate key, characters of
    its cells and separators) per sample.
    Lines are read as ``ftdata validate`` reads them, bounded by ``max_line_bytes``."""
    from validator.collect import Collector  # noqa: PLC0415 - only for CSV
    from validator.files.csv import FIELD_CHARS, CsvLines  # noqa: PLC0415

    lines = CsvLines(stream, Collector(Config()), max_line_bytes)  # issues are validate's
    reader = csv.reader(lines)
    width = None
    previous = csv.field_size_limit(FIELD_CHARS)
    try:
        for row in reader:
            if width is None:
                width = len(row)
                continue
            profile.lines += 1
            if not any(row):
                profile.blank_lines += 1
            elif len(row) != width:
                profile.unreadable += 1
            else:
                profile.samples += 1
                yield row_sample(row), orjson.dumps(row), sum(map(len, row)) + len(row)
    except csv.Error as exc:
        raise FtdataError(f"{profile.path}: cannot read as CSV ({exc}) on line "
                          f"{reader.line_num}; `ftdata validate` says more") from None
    finally:
        csv.field_size_limit(previous)
    if lines.too_long is not None:
        raise FtdataError(f"{profile.path}: line {lines.too_long[0]:,} is over "
                          f"{lines.too_long[1]:,} bytes (max-line-size); `ftdata validate` "
                          "says more")


def profile_parquet(stream: BinaryIO, profile: Profile, max_file_bytes: int) -> None:
    """Rows from the file's metadata; tokens per sample from ``input_ids`` and samples with
    nothing trained from ``labels``, when those columns are there."""
    if not stream.seekable():  # Parquet reads its footer first: spool standard input
        with tempfile.TemporaryFile() as copy:
            copied = 0
            while block := stream.read(1 << 20):
                copied += len(block)
                if copied > max_file_bytes:
                    raise FtdataError(f"{profile.path}: over {max_file_bytes:,} bytes "
                                      "(max-file-size); reading stopped there")
                copy.write(block)
            copy.seek(0)
            profile_parquet(copy, profile, max_file_bytes)
        return
    import pyarrow.compute as pc  # noqa: PLC0415 - heavy, only for Parquet
    import pyarrow.parquet as pq  # noqa: PLC0415

    from validator.files.parquet import IGNORED_LABEL, row_batches  # noqa: PLC0415

    try:
        profile.samples = profile.lines = pq.ParquetFile(stream).metadata.num_rows
        stream.seek(0)
        if "labels" not in pq.ParquetFile(stream).schema_arrow.names:
            profile.shares.clear()  # nothing to say about what is trained
        stream.seek(0)
        for batch in row_batches(stream, ("input_ids", "labels")):
            names = batch.schema.names
            if "input_ids" in names:
                for n in pc.list_value_length(batch.column("input_ids")).fill_null(0).to_pylist():
                    profile.tokens.add(n)
            if "labels" in names:
                labels = batch.column("labels")
                kept = pc.not_equal(pc.list_flatten(labels), IGNORED_LABEL)
                useful = pc.unique(pc.filter(pc.list_parent_indices(labels), kept))
                profile.shares["nothing_trained"] += batch.num_rows - len(useful)
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise FtdataError(f"{profile.path}: cannot read as Parquet ({exc}); "
                          "`ftdata validate` says more") from None
    if profile.samples:
        profile.formats = {"PRE_TOKENIZED": profile.samples}
