"""Seeded generator of realistic fine-tuning datasets of a requested size.

Four datasets, each a file that ftdata accepts with no error and no warning:

- ``conversational``: multi-turn chats with system prompts, long content mixing Latin with
  accents, CJK, Cyrillic and emoji, and message weights 0/1 on half the samples;
- ``mixed``: conversations with ``tools`` (JSON Schema parameters), tool calls whose JSON-string
  arguments match the schema, parallel tool calls, ``tool`` answers with ``tool_call_id``,
  reasoning on assistant messages, and samples with small real PNG images where every message
  uses content-part lists;
- ``instruction``: ``prompt`` / ``completion`` pairs;
- ``preference``: ``input`` conversations with a preferred and a non-preferred output.

The records come from :mod:`benchmarks.records` (text and images from
:mod:`benchmarks.content`, tool definitions from :mod:`benchmarks.tools`); this module
pools them and writes the file.

Speed: building records in Python runs at a few MB/s, far too slow for 1 GB. So a pool of up to
:data:`POOL_LINES` varied records is built once per dataset from a seeded RNG and serialized with
orjson, and the file is written by repeating that pool as one block. The records come from the
RNG in sequence, so a smaller file of the same dataset and seed is a prefix of a larger one.

    python -m benchmarks.generate mixed 200KB /tmp/mixed.jsonl
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import orjson

from benchmarks.records import _MAKERS, DATASETS

__all__ = ["DATASETS", "POOL_LINES", "generate", "parse_size", "pool"]

POOL_LINES = 1024
# bump when the records change, so cached files under benchmarks/data/ are rebuilt
GENERATOR_VERSION = 1

# --- writing ---------------------------------------------------------------------------------


def pool(dataset: str, seed: int = 0, *, max_bytes: int | None = None) -> list[bytes]:
    """The pool of serialized lines (each ending in a newline) the dataset repeats.

    Up to :data:`POOL_LINES` lines; with ``max_bytes``, stop once the lines reach that size
    (the lines built are the same first lines either way).
    """
    if dataset not in _MAKERS:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {', '.join(DATASETS)}")
    make = _MAKERS[dataset]()
    rng = random.Random(f"ftdata-bench:{dataset}:{seed}")
    lines: list[bytes] = []
    total = 0
    while len(lines) < POOL_LINES and (max_bytes is None or total < max_bytes):
        line = orjson.dumps(make(rng, len(lines))) + b"\n"
        lines.append(line)
        total += len(line)
    return lines


def generate(dataset: str, size: int, path: str | Path, seed: int = 0) -> int:
    """Write about ``size`` bytes of ``dataset`` to ``path``; return the number of lines.

    The file holds whole lines only: at most ``size`` bytes, less than one line short of it,
    and always at least one line.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    lines = pool(dataset, seed, max_bytes=size)
    block = b"".join(lines)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    written = 0
    count = 0
    with tmp.open("wb") as handle:
        repeats = size // len(block)
        for _ in range(repeats):
            handle.write(block)
        written = repeats * len(block)
        count = repeats * len(lines)
        for line in lines:
            if written + len(line) > size:
                break
            handle.write(line)
            written += len(line)
            count += 1
        if count == 0:
            handle.write(lines[0])
            count = 1
    tmp.replace(path)
    return count


_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_size(text: str) -> int:
    """``"100MB"`` -> 100,000,000; ``"1GiB"``, ``"200KB"`` and plain byte counts work too."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 200KB, 100MB, 1GB, 1GiB, 4096)")
    return int(float(match.group(1)) * _UNITS[unit])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate",
                                     description="Write a seeded benchmark dataset.")
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("size", type=parse_size, help="bytes, or 200KB, 100MB, 1GB ...")
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    lines = generate(args.dataset, args.size, args.path, args.seed)
    print(f"{args.path}: {lines} lines, {Path(args.path).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

