"""A rule's example as a real input: written into a folder, then validated as ``ftdata validate``
would validate it (the forms are described at the top of registry.toml).

The test suite runs every example and expects its rule's code; ``ftdata rules CODE`` shows what
the example gives.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from pathlib import Path

from validator.config import from_table
from validator.errors import FileAccessError
from validator.report import Report
from validator.rules import Example, Rule
from validator.run.pipeline import validate_file

__all__ = ["example_text", "fill", "validate_example", "write_example"]

_FILL = re.compile(r"\{([^{}*\"\s]+)\*(\d+)\}")  # {A*100}: "A" written 100 times
GZIP_TRAILER = 8  # CRC-32 and size: what gzip-cut drops, so the stream has no end


def fill(text: str) -> str:
    """``text`` with each ``{X*N}`` replaced by X written N times."""
    return _FILL.sub(lambda m: m.group(1) * int(m.group(2)), text)


def example_text(example: Example) -> str:
    """The example's text as written to the file, before its form's encoding: ``{X*N}``
    expanded, a final line break added, then each repetition with ``{i}`` replaced."""
    one = fill(example.text)
    if one and not one.endswith("\n"):
        one += "\n"
    if example.repeat == 1:
        return one.replace("{i}", "1")
    return "".join(one.replace("{i}", str(i)) for i in range(1, example.repeat + 1))


def write_example(example: Example, folder: Path) -> Path:
    """Write ``example`` under ``folder``, by its form; return the path it is validated at."""
    path = folder / example.name
    form = example.form
    if form == "directory":
        path.mkdir()
        return path
    text = example_text(example)
    if form == "parquet-rows":
        import pyarrow as pa  # noqa: PLC0415 - only for the Parquet examples
        import pyarrow.parquet as pq  # noqa: PLC0415

        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        pq.write_table(pa.Table.from_pylist(rows), path)
        return path
    data = codecs.escape_decode(text)[0] if form == "escaped" else text.encode("utf-8")
    if form == "gzip-cut":
        data = gzip.compress(data, mtime=0)[:-GZIP_TRAILER]
    path.write_bytes(data)
    return path


def validate_example(rule: Rule, folder: Path) -> Report:
    """Write the rule's example under ``folder`` and validate it, an unreadable input (the
    directory form) giving the report ``ftdata validate`` prints for it."""
    example = rule.example
    if example is None:
        raise ValueError(f"rule {rule.code} has no example")
    path = write_example(example, folder)
    config = from_table({"max-errors": 1000, **example.config})
    try:
        return validate_file(path, example.purpose, config=config, workers=1)
    except FileAccessError as exc:
        return Report.unreadable(str(path), example.purpose, exc.reason)
