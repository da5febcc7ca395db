"""The benchmark harness: generated datasets are deterministic and clean, the RSS sampler sees a
child's memory, and ``python -m benchmarks --quick`` runs end to end (``make bench`` is the real
run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from benchmarks import generate, measure, sdk
from benchmarks.floor import FLOOR_PARALLEL
from validator import validate_file

ROOT = Path(__file__).resolve().parents[2]
SIZE = 200_000

FLAGS: dict[str, dict[str, object]] = {
    "conversational": {"dataset_format": "conversation", "dataset_has_message_weights": True},
    "mixed": {"dataset_format": "conversation", "dataset_has_tools": True,
              "dataset_has_parallel_tool_calls": True, "dataset_has_reasoning": True,
              "dataset_is_multimodal": True},
    "instruction": {"dataset_format": "instruction"},
    "preference": {"dataset_format": "preference_openai"},
}
FLAGS["conversational-ascii"] = FLAGS["conversational"]
FLAGS["mixed-ascii"] = FLAGS["mixed"]


@pytest.mark.parametrize("dataset", ["conversational-ascii", "mixed-ascii"])
def test_ascii_variants_are_ascii(dataset: str) -> None:
    ascii_lines = generate.pool(dataset, max_bytes=SIZE)
    multilingual = generate.pool(dataset.removesuffix("-ascii"), max_bytes=SIZE)
    assert all(line.isascii() for line in ascii_lines)
    assert not all(line.isascii() for line in multilingual)
    # the same kinds of sample, as the flags test checks: only the characters differ


def test_every_dataset_has_its_expected_flags() -> None:
    assert set(FLAGS) == set(generate.DATASETS)


@pytest.mark.parametrize("dataset", generate.DATASETS)
def test_generated_file_has_no_error_and_no_warning(dataset: str, tmp_path: Path) -> None:
    path = tmp_path / f"{dataset}.jsonl"
    lines = generate.generate(dataset, SIZE, path)
    report = validate_file(path)
    assert (report.errors, report.warnings) == (0, 0), [i.to_dict() for i in report.issues[:5]]
    assert report.nlines == lines > 10
    server = report.to_server_dict()
    for flag, value in FLAGS[dataset].items():
        assert server[flag] == value, flag


@pytest.mark.parametrize("dataset", generate.DATASETS)
def test_generator_is_seeded_and_sized(dataset: str, tmp_path: Path) -> None:
    a, b, c, small = (tmp_path / f"{n}.jsonl" for n in "abcs")
    generate.generate(dataset, SIZE, a, seed=1)
    generate.generate(dataset, SIZE, b, seed=1)
    generate.generate(dataset, SIZE, c, seed=2)
    generate.generate(dataset, SIZE // 4, small, seed=1)
    data = a.read_bytes()
    assert data == b.read_bytes()
    assert data != c.read_bytes()
    assert data.startswith(small.read_bytes())  # a smaller file is a prefix of a larger one
    longest = max(len(line) for line in data.splitlines(keepends=True))
    assert SIZE - longest < len(data) <= SIZE
    assert data.endswith(b"\n")


def test_large_file_repeats_the_pool(tmp_path: Path) -> None:
    pool = generate.pool("instruction")
    assert len(pool) == generate.POOL_LINES
    assert len(set(pool)) > generate.POOL_LINES * 0.99  # varied lines, not one line repeated
    size = sum(map(len, pool)) * 2 + 10
    path = tmp_path / "big.jsonl"
    assert generate.generate("instruction", size, path) == 2 * len(pool)
    assert path.read_bytes() == b"".join(pool) * 2


def test_tiny_size_still_writes_one_line(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    assert generate.generate("conversational", 10, path) == 1
    assert validate_file(path).valid


def test_mixed_images_are_real_pngs(tmp_path: Path) -> None:
    import base64

    path = tmp_path / "mixed.jsonl"
    generate.generate("mixed", SIZE, path)
    urls = []
    for line in path.read_bytes().splitlines():
        for m in orjson.loads(line)["messages"]:
            if type(m.get("content")) is list:
                urls += [p["image_url"]["url"] for p in m["content"] if p["type"] == "image_url"]
    assert urls
    for url in urls:
        head, data = url.split(",", 1)
        assert head == "data:image/png;base64"
        _check_png(base64.b64decode(data, validate=True))


def _check_png(png: bytes) -> None:
    """Signature, chunk CRCs, and pixel data of the size IHDR says (8-bit RGB)."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        tag, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(tag + body)
        chunks[tag] = body
        pos += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)


@pytest.mark.parametrize(("text", "size"), [
    ("200KB", 200_000), ("100MB", 100_000_000), ("1GB", 10**9), ("1GiB", 2**30),
    ("4096", 4096), ("1.5MB", 1_500_000),
])
def test_parse_size(text: str, size: int) -> None:
    assert generate.parse_size(text) == size


def test_parse_size_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="not a size"):
        generate.parse_size("ten MB")


def test_sampler_measures_a_child_and_its_children() -> None:
    grandchild = "x = bytearray(60 * 2**20); import time; time.sleep(0.4)"
    child = (
        "import subprocess, sys, time\n"
        "x = bytearray(40 * 2**20)\n"
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}])\n"
        "time.sleep(0.2)\n"
        "p.wait()\n"
    )
    run = measure.run([sys.executable, "-c", child])
    assert run.returncode == 0, run.stderr
    assert run.processes >= 2
    assert run.peak_rss_mb > 100  # both processes counted at once
    assert 0 < run.cpu_s < run.wall_s * 2
    assert 0.4 < run.wall_s < 10


def test_wall_time_is_not_rounded_to_a_polling_step() -> None:
    runs = [measure.run([sys.executable, "-c", "import time; time.sleep(0.13)"], timeout=60)
            for _ in range(2)]
    for run in runs:
        assert 0.13 <= run.wall_s < 0.13 + 0.04 + 0.1  # start-up, but no 50 ms poll step


def test_timeout_kills_the_child() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        measure.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.3)


def test_sampler_reports_a_plain_child() -> None:
    run = measure.run([sys.executable, "-c", "import time; time.sleep(0.1); print('hi')"])
    assert run.peak_rss_mb > 0
    assert run.stdout == "hi\n"


def _quick(tmp_path: Path, *extra: str) -> dict[str, object]:
    results = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-sdk", "--data-dir",
         str(tmp_path / "data"), "--results-dir", str(results), *extra],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| dataset | tool | MB/s |" in done.stdout
    stamped = [p for p in results.iterdir() if p.name != "latest.json"]
    assert len(stamped) == 1
    latest = (results / "latest.json").read_bytes()
    assert stamped[0].read_bytes() == latest
    data: dict[str, object] = orjson.loads(latest)
    return data


def test_quick_run_writes_json_results(tmp_path: Path) -> None:
    data = _quick(tmp_path)
    rows = data["rows"]
    assert isinstance(rows, list)
    assert {r["dataset"] for r in rows} == set(generate.DATASETS)
    for row in rows:
        if row["tool"] in ("floor", "ftdata-1"):
            assert row["na"] is None, row
            assert row["mb_per_s"] > 0
            assert row["peak_rss_mib"] > 0
        elif row["tool"].startswith("sdk-"):
            assert row["na"] == "skipped (--no-sdk)"
            assert row["x_sdk_3"] is None
    floor = [r for r in rows if r["tool"] == "floor"]
    assert all(r["x_floor"] == 1.0 for r in floor)
    settings = data["settings"]
    assert isinstance(settings, dict)
    # every tool is timed at both sizes, each row compared with the floor of its own size
    assert {(r["dataset"], r["size"]) for r in floor} == {
        (d, n) for d in generate.DATASETS for n in (settings["size"], settings["big"])}
    for row in rows:  # all cores over one: ftdata's workers, and the floor's processes
        assert (row["x_one_worker"] is None) == (row["tool"] not in ("ftdata-all", "floor-all")
                                                 or row["na"] is not None)
    assert all(r["na"] is None for r in rows if r["tool"] == "floor-all")
    assert str(data["table"]).count("| dataset | tool | MB/s | x floor |") == 2  # one per size
    # token counting: at the base size, on the plain chat datasets, against plain validation
    model = [r for r in rows if r["tool"].startswith("model-")]
    assert {(r["dataset"], r["tool"]) for r in model} == {
        (d, t) for d in ("conversational", "conversational-ascii")
        for t in ("model-1", "model-all")}
    for row in model:
        assert row["na"] is None and row["size"] == settings["model_size"], row
        assert row["mb_per_s"] > 0 and row["x_plain"] > 0
    assert "| dataset | tool | MB/s | x plain validation |" in str(data["table"])
    memory = data["memory"]
    assert isinstance(memory, list)
    assert [m["dataset"] for m in memory] == list(generate.DATASETS)
    assert all(m["big_bytes"] > m["base_bytes"] and m["big_peak_rss_mib"] > 0 for m in memory)
    one = {(r["dataset"], r["size"]): r["peak_rss_mib"] for r in rows if r["tool"] == "ftdata-1"}
    for m in memory:  # the memory table is ftdata's with one worker
        assert m["base_peak_rss_mib"] == one[m["dataset"], settings["size"]]
        assert m["big_peak_rss_mib"] == one[m["dataset"], settings["big"]]
    assert isinstance(data["sdks"], dict)
    assert set(data["sdks"]) == set(sdk.SDKS)


def test_token_counting_at_its_own_size(tmp_path: Path) -> None:
    # --model-size under --size: a third file, timed with ftdata only (no floor row to divide by)
    data = _quick(tmp_path, "--datasets", "conversational", "--model-size", "100KB")
    rows = data["rows"]
    assert isinstance(rows, list)
    small = [r for r in rows if r["size"] == 100_000]
    assert {r["tool"] for r in small} == {"ftdata-1", "ftdata-all", "model-1", "model-all"}
    assert all(r["x_floor"] is None and r["mb_per_s"] > 0 for r in small)
    assert all(r["x_plain"] > 0 for r in small if r["tool"].startswith("model-"))


@pytest.mark.parametrize("text", [b"", b"{}\n", b"{}", b"[1]\n{}\n[2]\n", b"[1]\n{}\n[2]",
                                  b"\n".join(b'{"k": "%s"}' % (b"x" * n) for n in range(50))])
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_parallel_floor_reads_every_line_once(tmp_path: Path, text: bytes, parts: int) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_bytes(text)
    done = subprocess.run([sys.executable, "-c", FLOOR_PARALLEL, str(path), str(parts)],
                          capture_output=True, text=True, check=True, timeout=60)
    assert int(done.stdout) == len(text.splitlines())


def test_parallel_floor_parses_each_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"{}\n" * 1000 + b"{bad\n")
    done = subprocess.run([sys.executable, "-c", FLOOR_PARALLEL, str(path), "2"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode != 0 and "JSONDecodeError" in done.stderr


def test_all_cores_row_is_na_without_workers_option(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.__main__ as bench

    monkeypatch.setattr(bench, "workers_supported", lambda: False)
    results = tmp_path / "results"
    assert bench.main(["--quick", "--no-sdk", "--datasets", "instruction", "--data-dir",
                       str(tmp_path / "data"), "--results-dir", str(results)]) == 0
    rows = orjson.loads((results / "latest.json").read_bytes())["rows"]
    all_cores = [r for r in rows if r["tool"] == "ftdata-all"]
    assert len(all_cores) == 2  # one per size
    for row in all_cores:
        assert row["mb_per_s"] is None
        assert "--workers" in row["na"]
    one = [r for r in rows if r["tool"] == "ftdata-1"]
    assert len(one) == 2
    assert all(r["mb_per_s"] > 0 for r in one)


@pytest.mark.slow
def test_sdk_venvs_find_check_file(tmp_path: Path) -> None:
    """Builds (or reuses) benchmarks/.venvs/together{1,3}: needs PyPI."""
    path = tmp_path / "conversational.jsonl"
    generate.generate("conversational", SIZE, path)
    where = {}
    for key, spec in sdk.SDKS.items():
        installed = sdk.ensure(spec, log=False)
        assert installed.version.startswith(f"{spec.major}.")
        where[key] = installed.module
        run = measure.run(sdk.check_argv(installed, path))
        assert run.returncode == 0, run.stderr
        assert orjson.loads(run.stdout.splitlines()[-1])["is_check_passed"] is True
    assert where == {"3.x": "together.lib.utils", "1.x": "together.utils"}
