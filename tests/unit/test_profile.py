"""ftdata stats and ftdata report: numbers that match the data, a page that stands alone."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from validator.cli.main import main
from validator.stats.dataset import profile_file

CHAT = {"messages": [{"role": "system", "content": "be brief"},
                     {"role": "user", "content": "hello there"},
                     {"role": "assistant", "content": "hi"}]}
CALL = {"type": "function", "function": {"name": "f", "arguments": "{}"}}
TOOLS = {"tools": [{"type": "function", "function": {"name": "f"}}],
         "messages": [{"role": "user", "content": "call"},
                      {"role": "assistant", "tool_calls": [{"id": n, **CALL} for n in "12"]},
                      {"role": "tool", "tool_call_id": "1", "content": "a"},
                      {"role": "tool", "tool_call_id": "2", "content": "b"},
                      {"role": "assistant", "content": "done", "reasoning": "think"}]}
UNTRAINED = {"messages": [{"role": "user", "content": "x"},
                          {"role": "assistant", "content": "y", "weight": 0}]}
IMAGE = {"messages": [{"role": "user", "content": [
    {"type": "text", "text": "look"},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
    {"role": "assistant", "content": [{"type": "text", "text": "a cat"}]}]}


def write(path: Path, *records: object) -> Path:
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n"
                              for r in records))
    return path


def test_numbers_match_the_data(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", CHAT, CHAT, TOOLS, b"\n", UNTRAINED, IMAGE, CHAT,
                 b"not json\n", b'{"text": "plain"}\n')
    doc = profile_file(path).to_dict()
    counts = (doc["lines"], doc["samples"], doc["blank_lines"], doc["unreadable_lines"])
    assert counts == (9, 7, 1, 1)
    assert doc["samples_per_format"] == {"conversation": 6, "general": 1}
    assert doc["samples_with"] == {"tools": 1, "parallel_tool_calls": 1, "reasoning": 1,
                                   "images": 1, "weights": 1, "nothing_trained": 1}
    assert doc["exact_duplicates"] == {"samples": 2, "groups": 1}
    assert doc["messages_per_sample"]["min"] == 0
    assert doc["messages_per_sample"]["max"] == 5
    assert doc["turns_per_sample"]["max"] == 2
    assert doc["chars_per_sample"]["min"] == len("x" + "y")  # UNTRAINED
    assert doc["chars_per_sample"]["max"] == len("be brief" + "hello there" + "hi")


def test_token_counts_with_a_tokenizer_file(tmp_path: Path) -> None:
    pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer as HF
    from tokenizers import models, pre_tokenizers

    vocab = {"[UNK]": 0, "hello": 1, "there": 2, "hi": 3}
    tok = HF(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    path = write(tmp_path / "d.jsonl", CHAT, {"text": "one two three four five six"})
    profile = profile_file(path, tokenizer=tmp_path / "tokenizer.json", context_length=5)
    doc = profile.to_dict()
    assert doc["tokens_per_sample"]["min"] == 5  # be brief / hello there / hi
    assert doc["tokens_per_sample"]["max"] == 6
    assert doc["samples_over_context"] == 1
    out = io.StringIO()
    assert main(["stats", str(path), "--tokenizer", str(tmp_path / "tokenizer.json"),
                 "--context-length", "5"], stdout=out) == 0
    assert "over 5 tokens: 1" in out.getvalue()


def test_parquet_statistics(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"input_ids": [[1, 2, 3], [4], [5, 6]],
                      "labels": [[-100, 2, 3], [-100], [-100, -100]]})
    pq.write_table(table, tmp_path / "t.parquet")
    doc = profile_file(tmp_path / "t.parquet").to_dict()
    assert doc["samples"] == 3
    assert doc["tokens_per_sample"]["min"] == 1
    assert doc["tokens_per_sample"]["max"] == 3
    assert doc["samples_with"]["nothing_trained"] == 2


def test_stats_cli(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", CHAT, CHAT)
    out, err = io.StringIO(), io.StringIO()
    assert main(["stats", "--output", "json", str(path)], stdout=out) == 0
    assert orjson.loads(out.getvalue())["files"][0]["exact_duplicates"]["samples"] == 1
    out = io.StringIO()
    assert main(["stats", str(path)], stdout=out) == 0
    assert "2 samples in 2 lines" in out.getvalue()
    assert main(["stats", str(tmp_path / "missing.jsonl")], stdout=out, stderr=err) == 2
    assert "no such file" in err.getvalue()
    err = io.StringIO()
    assert main(["stats", str(path), "--context-length", "9"], stdout=out, stderr=err) == 2
    assert "--context-length needs --tokenizer" in err.getvalue()


def report_page(tmp_path: Path) -> tuple[int, str]:
    bad = {"messages": [{"role": "<script>alert(1)</script>", "content": "x"},
                        {"role": "assistant", "content": "y"}]}
    path = write(tmp_path / "d.jsonl", CHAT, TOOLS, bad, IMAGE, b"\n", UNTRAINED)
    out = io.StringIO()
    code = main(["report", str(path), "-o", str(tmp_path / "r.html")], stdout=out)
    return code, (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_page_stands_alone(tmp_path: Path) -> None:
    code, page = report_page(tmp_path)
    assert code == 1
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)\s*=|<script|<link|@import|url\(|https?:", page, re.I)
    assert "&lt;script&gt;" in page
    assert "role-invalid" in page and "blank-line" in page
    assert page.count("<svg") == 3  # characters, messages, turns
    assert "<code>dataset_has_parallel_tool_calls</code></th><td>true" in page
    assert not list(tmp_path.glob("*.partial"))


def test_report_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", CHAT)
    err = io.StringIO()
    assert main(["report", str(path), "-o", str(path)], stdout=io.StringIO(), stderr=err) == 2
    assert orjson.loads(path.read_bytes()) == CHAT


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("the browser test needs Chromium: apt-get install chromium")
    report_page(tmp_path)
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><html><body></body></html>")
    sizes = {}
    for name in ("r", "blank"):
        shot = tmp_path / f"{name}.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / ('profile-' + name)}",
                        "--window-size=1200,1600", f"--screenshot={shot}",
                        (tmp_path / f"{name}.html").as_uri()],
                       check=True, capture_output=True, timeout=120)
        sizes[name] = shot.stat().st_size
        assert shot.read_bytes().startswith(b"\x89PNG")
    # a blank page compresses to almost nothing; the report has text, tables and charts
    assert sizes["r"] > 5 * sizes["blank"], sizes
