"""Property tests of the validator against SPEC.md: file types.

(d) File types: bytes validated in memory and the same bytes on disk give the same report;
    each purpose accepts only its file types; gzip/zstd JSONL reads like the plain file, and
    a broken archive is an error, never an exception.

``HYPOTHESIS_PROFILE=deep`` runs many more examples (see ``tests/property/common.py``).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.common import PROFILE, _issues, jsonish_text, purposes
from tests.property.records import valid_files
from validator import sniff_compression, validate_bytes, validate_file
from validator.purposes import PURPOSES
from validator.report import SERVER_FIELDS
from validator.rules import RULES

# --------------------------------------------------------------------------------------------
# File types: bytes in memory and the same bytes on disk agree; purpose x type pairs
# --------------------------------------------------------------------------------------------

def _parquet(columns: dict[str, list[list[int]]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


token_ids = st.lists(st.integers(0, 50_000), min_size=1, max_size=6)
FILE_BYTES: dict[str, st.SearchStrategy[bytes]] = {
    "jsonl": valid_files().map(lambda case: case[2]) | st.binary(max_size=200)
    | jsonish_text.map(lambda t: t.encode("utf-8")),
    "csv": st.lists(st.lists(st.text(max_size=6), min_size=2, max_size=2), min_size=1,
                    max_size=5).map(_csv) | st.binary(max_size=200),
    "parquet": st.lists(token_ids, min_size=1, max_size=4).map(
        lambda rows: _parquet({"input_ids": rows})) | st.binary(max_size=200),
}


@pytest.mark.parametrize("kind", sorted(FILE_BYTES))
@PROFILE
@given(data=st.data())
def test_bytes_and_file_agree(kind: str, data: st.DataObject) -> None:
    """``validate_bytes(data, name)`` is ``validate_file`` of a file ``name`` holding ``data``."""
    raw = data.draw(FILE_BYTES[kind], label="bytes")
    purpose = data.draw(purposes, label="purpose")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"data.{kind}")
        with open(path, "wb") as handle:
            handle.write(raw)
        on_disk = validate_file(path, purpose)
    in_memory = validate_bytes(raw, name=f"data.{kind}", purpose=purpose)
    assert in_memory.to_server_dict() == on_disk.to_server_dict()
    assert [(i.line, i.path, i.code) for i in in_memory.issues] == \
        [(i.line, i.path, i.code) for i in on_disk.issues]


# SPEC §1 and §3: JSONL for every purpose, CSV only for eval, Parquet only for fine-tune.
ACCEPTED_PURPOSES: dict[str, set[str]] = {"jsonl": set(PURPOSES), "csv": {"eval"},
                                          "parquet": {"fine-tune"}}
SMALL_FILES: dict[str, Callable[[], bytes]] = {
    "jsonl": lambda: b'{"text": "hello"}\n',
    "csv": lambda: _csv([["question", "answer"], ["2 + 2?", "4"]]),
    "parquet": lambda: _parquet({"input_ids": [[1, 2, 3]]}),
}


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("kind", sorted(ACCEPTED_PURPOSES))
def test_purpose_file_type_pairs(tmp_path: Path, kind: str, purpose: str) -> None:
    path = tmp_path / f"data.{kind}"
    path.write_bytes(SMALL_FILES[kind]())
    report = validate_file(str(path), purpose)
    rejected = "purpose-file-type" in report.by_code
    assert rejected is (purpose not in ACCEPTED_PURPOSES[kind]), _issues(report)


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {"gz": gzip.compress, "zst": _zstd}


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@PROFILE
@given(data=st.data())
def test_compressed_jsonl_reads_like_plain(ext: str, data: st.DataObject) -> None:
    """SPEC §1: ``*.jsonl.gz`` / ``*.jsonl.zst`` hold JSONL; the report is the plain file's."""
    # 0 bytes: file-empty; bytes that open with a magic number are an archive whatever the name
    raw = data.draw(FILE_BYTES["jsonl"].filter(lambda b: b and sniff_compression(b) is None),
                    label="bytes")
    purpose = data.draw(purposes, label="purpose")
    plain = validate_bytes(raw, name="data.jsonl", purpose=purpose)
    packed = validate_bytes(COMPRESSORS[ext](raw), name=f"data.jsonl.{ext}", purpose=purpose)
    assert packed.to_server_dict() == plain.to_server_dict()
    assert [(i.line, i.path, i.code) for i in packed.issues] == \
        [(i.line, i.path, i.code) for i in plain.issues]


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@PROFILE
@given(raw=st.binary(max_size=300), data=st.data(), purpose=purposes)
def test_corrupt_compressed_input_never_raises(ext: str, raw: bytes, data: st.DataObject,
                                               purpose: str) -> None:
    """A truncated archive is an error in the report, never an exception; bytes with no
    magic number are read as plain text whatever the name says (SPEC §1)."""
    whole = COMPRESSORS[ext](raw)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    broken = validate_bytes(whole[:cut], name=f"data.jsonl.{ext}", purpose=purpose)
    server = broken.to_server_dict()
    assert tuple(server) == SERVER_FIELDS
    assert server["valid"] is False, _issues(broken)
    assert all(issue.code in RULES for issue in broken.issues)
    if sniff_compression(raw) is None:
        named = validate_bytes(raw, name=f"data.jsonl.{ext}", purpose=purpose)
        plain = validate_bytes(raw, name="data.jsonl", purpose=purpose)
        assert named.to_server_dict() == plain.to_server_dict()
        for issue in named.issues:
            assert issue.code in RULES
