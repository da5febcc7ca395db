"""The example datasets in ``examples/`` say what they claim (see ``examples/README.md``).

Files are found by listing, so a new example is picked up without new code. A valid example must
also have an entry in ``EXPECTED`` (its format and the flags it is there to show), so the README
table, the files and the validator cannot drift apart quietly.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest

from validator.report import SERVER_FIELDS
from validator.run.pipeline import validate_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INVALID = EXAMPLES / "invalid"
DATA_SUFFIXES = (".jsonl", ".csv", ".parquet")

FLAGS = tuple(f for f in SERVER_FIELDS if f.startswith(("dataset_has_", "dataset_is_")))

# file name -> (purpose, dataset_format, the flags that must be true; every other flag false)
EXPECTED: dict[str, tuple[str, str | None, frozenset[str]]] = {
    "conversation.jsonl": ("fine-tune", "conversation", frozenset()),
    "conversation_tools.jsonl": (
        "fine-tune", "conversation",
        frozenset({"dataset_has_tools", "dataset_has_parallel_tool_calls"}),
    ),
    "reasoning.jsonl": ("fine-tune", "conversation", frozenset({"dataset_has_reasoning"})),
    "weights.jsonl": (
        "fine-tune", "conversation",
        frozenset({"dataset_has_message_weights", "dataset_has_sample_weights"}),
    ),
    "multimodal.jsonl": (
        "fine-tune", "conversation",
        # the second sample shows weight 0 on an image message, so message weights are set too
        frozenset({"dataset_is_multimodal", "dataset_has_message_weights"}),
    ),
    "instruction.jsonl": ("fine-tune", "instruction", frozenset()),
    "text.jsonl": ("fine-tune", "general", frozenset()),
    "preference.jsonl": ("fine-tune", "preference_openai", frozenset()),
    "eval.jsonl": ("eval", None, frozenset()),
    "eval.csv": ("eval", None, frozenset()),
}

# invalid file -> {line: the codes found on that line}; line None is file-level
EXPECTED_INVALID: dict[str, dict[int | None, set[str]]] = {
    "conversation_bad.jsonl": {
        1: {"role-invalid"},
        2: {"no-assistant"},
        3: {"tool-arguments-invalid"},
        4: {"image-url-invalid"},
        5: {"weight-invalid"},
        6: {"blank-line"},
        7: {"json-invalid"},
    },
    "mixed_formats.jsonl": {2: {"format-mixed"}, 3: {"format-mixed"}},
}


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(DATA_SUFFIXES))


VALID_FILES = _data_files(EXAMPLES)
INVALID_FILES = _data_files(INVALID)


def _purpose(path: Path) -> str:
    return "eval" if path.stem == "eval" else "fine-tune"


def test_examples_are_found() -> None:
    assert {p.name for p in VALID_FILES} == set(EXPECTED), \
        "every example file needs an EXPECTED entry (and a row in examples/README.md)"
    assert {p.name for p in INVALID_FILES} == set(EXPECTED_INVALID)


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_valid_example(path: Path) -> None:
    purpose, fmt, flags = EXPECTED[path.name]
    assert _purpose(path) == purpose
    report = validate_file(str(path), purpose)
    assert [(i.line, i.path, i.code, i.message) for i in report.issues] == []
    assert report.valid
    assert report.errors == 0
    assert report.warnings == 0
    server = report.to_server_dict()
    assert tuple(server) == SERVER_FIELDS
    assert server["dataset_format"] == fmt
    assert {f for f in FLAGS if server[f]} == flags
    assert server["error_type"] is None
    assert server["error"] is None
    assert server["nlines"] == _count_samples(path)


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.name)
def test_invalid_example(path: Path) -> None:
    report = validate_file(str(path), "fine-tune")
    assert not report.valid
    assert report.to_server_dict()["error_type"] == "INVALID_FORMAT"
    found: dict[int | None, set[str]] = {}
    for issue in report.issues:
        found.setdefault(issue.line, set()).add(issue.code)
    assert found == EXPECTED_INVALID[path.name], "one mistake per line, as the README says"


def test_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for path in VALID_FILES + INVALID_FILES:
        assert f"`{path.name}`" in readme, f"{path.name} is not described in examples/README.md"


def test_multimodal_images_are_real_pngs() -> None:
    """The embedded images are well-formed PNGs, not just a PNG magic number."""
    urls: list[str] = []
    for line in (EXAMPLES / "multimodal.jsonl").read_text(encoding="utf-8").splitlines():
        for message in json.loads(line)["messages"]:
            urls.extend(part["image_url"]["url"] for part in message["content"]
                        if part["type"] == "image_url")
    assert urls
    prefix = "data:image/png;base64,"
    for url in urls:
        assert url.startswith(prefix)
        width, height = _check_png(base64.b64decode(url[len(prefix):], validate=True))
        assert (width, height) == (8, 8)


def _check_png(data: bytes) -> tuple[int, int]:
    """Walk the chunks, check every CRC and that IDAT inflates to the size IHDR implies."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    chunks: list[tuple[bytes, bytes]] = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks.append((tag, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1] == (b"IEND", b"")
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)  # 8-bit RGB
    pixels = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    assert len(pixels) == height * (1 + 3 * width)
    return width, height


def _count_samples(path: Path) -> int:
    if path.suffix == ".csv":
        import csv

        with path.open(encoding="utf-8", newline="") as handle:
            return sum(1 for _ in csv.reader(handle)) - 1  # minus the header
    lines = path.read_bytes().split(b"\n")
    return sum(1 for line in lines if line.strip())
