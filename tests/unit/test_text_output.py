"""The text report shows what the data holds without letting it act on the terminal."""

from __future__ import annotations

from pathlib import Path

import orjson

from validator import validate_file
from validator.report.text import printable, render


def test_control_characters_from_the_data_are_escaped(tmp_path: Path) -> None:
    """A key with a line break and a forged verdict, ESC sequences in a role and a file name
    with a carriage return: every byte of it is shown, none of it acts."""
    forged = "x\nfake.jsonl: valid (fine-tune): general; 1 sample; 0 errors, 0 warnings\r"
    record = {"messages": [{"role": "\x1b[32mbot\x1b[0m", "content": "hi", forged: 1}]}
    path = tmp_path / "evil\r\u202ename.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    text = render([validate_file(path)])
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    lines = text.splitlines()
    assert all(line.startswith(printable(str(path))) for line in lines)  # no forged line
    assert 'role "\\x1b[32mbot\\x1b[0m"' in text
    assert "evil\\r\\u202ename.jsonl:1:" in text


def test_printable_escapes_only_what_a_terminal_acts_on() -> None:
    assert printable("plain text, ünïcödé ✓ 中文") == "plain text, ünïcödé ✓ 中文"
    assert printable("a\nb\tc\rd\x00e\x7f\x9b\u2028\u2066") == (
        "a\\nb\\tc\\rd\\x00e\\x7f\\x9b\\u2028\\u2066")
