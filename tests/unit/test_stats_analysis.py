"""``ftdata stats`` over its feature table: exact percentiles (numpy's definition), linear
histograms, the longest samples, exact and near duplicates, leakage with ``--against``, and
``validator.stats.features`` — all with known answers."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from validator.cli.main import main
from validator.stats import features

np = pytest.importorskip("numpy")


def _chat(question: str, answer: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": question},
                         {"role": "assistant", "content": answer}]}


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _stats(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    assert main(["stats", *argv, "--isolated", "-o", "json"], out, err) == 0, err.getvalue()
    doc: dict[str, Any] = json.loads(out.getvalue())["files"][0]
    return doc


@pytest.fixture
def train_and_validation(tmp_path: Path) -> tuple[Path, Path]:
    """100 distinct samples, 50 exact repeats of them, 30 near ones (case and spacing
    changed); a validation file of 30 whose first 20 are training samples."""
    train = [_chat(f"Question number {i}?", f"Answer {i}.") for i in range(100)]
    lines = train + train[:50]
    lines += [_chat(f"  QUESTION   number {i}? ", f"answer {i}.") for i in range(50, 80)]
    random.Random(7).shuffle(lines)
    validation = train[80:] + [_chat(f"New question {i}?", "New.") for i in range(10)]
    return (_write(tmp_path / "train.jsonl", lines),
            _write(tmp_path / "validation.jsonl", validation))


def test_exact_near_and_leaked_counts(train_and_validation: tuple[Path, Path]) -> None:
    train, validation = train_and_validation
    doc = _stats(str(train), "--against", str(validation))
    dup = doc["duplicates"]
    assert (dup["exact"], dup["near"], dup["exact_groups"], dup["near_groups"]) == (50, 30, 50,
                                                                                   30)
    assert doc["exact_duplicates"] == {"samples": 50, "groups": 50}  # the older key agrees
    assert all(g["samples"] == 2 for g in dup["groups"]) and len(dup["groups"]) == 10
    lines = train.read_text().splitlines()
    for group in dup["groups"]:
        first, second = (json.loads(lines[n - 1]) for n in group["lines"])
        assert (first == second) is (group["kind"] == "exact")
    leak = doc["leakage"]
    assert leak["samples"] == 20 and leak["prompts"] == 20
    assert leak["against"] == [{"path": str(validation), "samples": 20, "prompts": 20}]
    assert [p["line"] for p in leak["pairs"]] == list(range(1, 21))
    held = validation.read_text().splitlines()
    for pair in leak["pairs"]:
        assert held[pair["line"] - 1] == lines[pair["train_line"] - 1]


def test_a_shared_prompt_is_leakage_of_the_prompt_only(tmp_path: Path) -> None:
    train = _write(tmp_path / "t.jsonl", [_chat("What is 2+2?", "4"), _chat("Hi", "Hello")])
    held = _write(tmp_path / "v.jsonl", [_chat("what is  2+2?", "Four."), _chat("Bye", "Bye")])
    leak = _stats(str(train), "--against", str(held))["leakage"]
    assert (leak["samples"], leak["prompts"], leak["pairs"]) == (0, 1, [])


def test_percentiles_are_numpys(tmp_path: Path) -> None:
    rng = random.Random(3)
    sizes = [rng.randint(1, 5000) for _ in range(997)] + [26_077]
    records = [{"text": "x" * n} for n in sizes]
    records += [_chat("q" * n, "a") for n in (3, 5, 8)]
    doc = _stats(str(_write(tmp_path / "d.jsonl", records)))
    general = doc["per_format"]["general"]["chars_per_sample"]
    for name, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert general[name] == round(float(np.percentile(sizes, q)), 1)
    assert (general["min"], general["max"]) == (min(sizes), 26_077)
    everything = sizes + [4, 6, 9]  # a conversation's characters: both messages
    assert doc["chars_per_sample"]["p90"] == round(float(np.percentile(everything, 90)), 1)
    assert doc["longest"][0] == {"line": 998, "chars": 26_077, "bytes": 26_077 + 12,
                                 "messages": 0, "format": "general"}
    assert [s["chars"] for s in doc["longest"]] == sorted(everything, reverse=True)[:10]
    bins = doc["histograms"]["chars_per_sample"]
    assert sum(n for _, _, n in bins) == len(everything) and len(bins) <= 24
    assert bins[0][0] == min(everything)
    assert bins[-1][1] == 26_077
    widths = {hi - lo for lo, hi, _ in bins[:-1]}
    assert len(widths) == 1  # equal widths (the last bin may stop at the max)


def test_five_samples_have_interpolated_percentiles(tmp_path: Path) -> None:
    """The five-sample file that showed p90 = p99 = 272.5 with a 26,077-character sample."""
    sizes = [120, 200, 272, 273, 26_077]
    doc = _stats(str(_write(tmp_path / "d.jsonl", [{"text": "y" * n} for n in sizes])))
    chars = doc["chars_per_sample"]
    assert chars["p90"] == round(float(np.percentile(sizes, 90)), 1) == 15_755.4
    assert chars["p99"] == round(float(np.percentile(sizes, 99)), 1) == 25_044.8


def test_features_returns_the_table(tmp_path: Path) -> None:
    import validator.stats
    import validator.stats.analysis
    import validator.stats.table  # no submodule may shadow the function

    assert validator.stats.features is features
    path = _write(tmp_path / "d.jsonl", [_chat("Hi", "Hello"), {"text": "plain"},
                                         _chat("Hi", "Hello"), _chat("HI ", "hello")])
    table = features(path).collect()
    assert table.height == 4 and table["line"].to_list() == [1, 2, 3, 4]
    assert [str(f) for f in table["format"].to_list()] == ["conversation", "general",
                                                           "conversation", "conversation"]
    hashes, norms = table["hash"].to_list(), table["norm_hash"].to_list()
    assert hashes[0] == hashes[2] != hashes[3] and norms[0] == norms[3]
    assert table["prompt_hash"].to_list()[1] is None  # general text has no prompt
    assert table["chars"].to_list() == [7, 5, 7, 8]
    kept = tmp_path / "kept.arrow"
    assert features(path, out=kept).select("line").collect().height == 4
    assert kept.is_file()


def test_no_feature_table_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         train_and_validation: tuple[Path, Path]) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", None)
    train, validation = train_and_validation
    _stats(str(train))
    _stats(str(train), "--against", str(validation))
    assert list(temp.iterdir()) == []


def test_the_text_output_shows_duplicates_longest_and_leakage(
        train_and_validation: tuple[Path, Path]) -> None:
    train, validation = train_and_validation
    out = io.StringIO()
    assert main(["stats", str(train), "--against", str(validation), "--isolated"], out,
                io.StringIO()) == 0
    text = out.getvalue()
    assert ("  duplicates: 50 samples repeat an earlier one exactly (50 groups), 30 more only "
            "after case and whitespace folding (30 groups)") in text
    assert "  longest: line " in text
    assert f"  in {validation}, also in this file: 20 samples, 20 prompts" in text


def test_the_report_shows_them(tmp_path: Path, train_and_validation: tuple[Path, Path]) -> None:
    train, validation = train_and_validation
    page = tmp_path / "r.html"
    assert main(["report", str(train), "-o", str(page), "--against", str(validation),
                 "--isolated"], io.StringIO(), io.StringIO()) == 0
    html = page.read_text()
    for heading in ("Longest samples", "Largest duplicate groups", "Leakage"):
        assert f">{heading}<" in html
    assert "near duplicates (case and whitespace folded)</th><td>30 samples in 30 groups" in html
    assert f"<td>{validation}</td><td class=num>20</td><td class=num>20</td>" in html


@pytest.mark.parametrize("end", [None, 0, 1, 2, 3])
def test_the_whole_texts_hash_goes_on_from_the_prompts(end: int | None) -> None:
    from validator.stats.sample import Sample, _digest

    sample = Sample("conversation")
    sample.texts, sample.roles, sample.prompt_end = ["a  B", "c\td", "É"], ["system", "user",
                                                                          "assistant"], end
    folded = [f"{role}\x1f{' '.join(text.casefold().split())}"
              for role, text in zip(sample.roles, sample.texts, strict=True)]
    assert sample.hashes(b"k") == (
        _digest(b"k"), _digest("\x1e".join(folded).encode()),
        None if end is None else _digest("\x1e".join(folded[:end]).encode()))


def test_an_against_file_that_cannot_be_read_stops_the_comparison(
        tmp_path: Path, train_and_validation: tuple[Path, Path]) -> None:
    train, _ = train_and_validation
    out, err = io.StringIO(), io.StringIO()
    assert main(["stats", str(train), "--against", str(tmp_path / "missing.jsonl"),
                 "--isolated", "-o", "json"], out, err) == 2
    assert "missing.jsonl: no such file" in err.getvalue()
    assert out.getvalue() == ""  # no leakage of 0 that only means "not compared"
