"""``python -m benchmarks`` (``make bench``): ftdata's speed and memory against the JSON-parse floor
and the together SDK's ``check_file``, all measured in one run on the same files.

For each dataset (see :mod:`benchmarks.generate`) at the base size, every tool runs as its own
subprocess, ``--repeat`` times (best time kept, largest peak RSS kept):

- floor: a plain loop that reads the file in binary mode through a 1 MiB buffer and
  ``orjson.loads`` every line; and the same loop on ``os.cpu_count()`` processes, each on its
  share of the file, for what the machine itself gives a loop on all cores;
- ftdata with one worker, and with ``--workers os.cpu_count()`` when ftdata accepts ``--workers``;
- the together SDK's ``check_file``, 3.x and 1.x, each from its own venv under
  ``benchmarks/.venvs/`` (``--no-sdk`` skips them).

Token counting (``validate --model``) is timed too, at the base size only and on
``--model-datasets``: ftdata with ``--model MODEL`` (default Mixtral, whose tokenizer
mistral-common ships, so no network is needed), one worker and all, against plain validation
of the same file in the same run.

All of it is done at two sizes, ``--size`` and ``--big``: the small one shows what start-up
costs (wall time includes interpreter start-up for every tool alike), the big one the speed on
the multi-GB files ftdata is for, and the pair shows that peak memory stays flat. The table is
printed and written as JSON to ``benchmarks/results/<UTC time>.json`` and ``latest.json``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks import environment, generate, measure, sdk, tokens
from benchmarks.floor import FLOOR, FLOOR_PARALLEL
from benchmarks.table import markdown_tables

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN_TIMEOUT_S = 3600.0

@dataclass
class Tool:
    key: str  # stable id in the JSON: floor, floor-all, ftdata-1, ftdata-all, ftdata-full, sdk-*
    label: str
    argv: Callable[[Path], list[str]] | None  # None: not available (see na)
    check: Callable[[measure.Run], str | None]  # why a finished run does not count, or None
    na: str | None = None


@dataclass
class Result:
    dataset: str
    tool: Tool
    size: int  # bytes of the file
    nominal: int  # the size asked for (--size or --big)
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_rss_mib: float = 0.0
    processes: int = 0
    na: str | None = None

    @property
    def best(self) -> float | None:
        return min(self.seconds) if self.seconds and self.na is None else None

    @property
    def peak(self) -> float | None:
        return self.peak_rss_mib if self.best is not None else None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ftdata with the scan's fast path off (validator/run/fastpath.py): the full checks on every
# line, so that the fast path's gain is measured in the same run
FULL_CHECKS = ("import sys, validator.run.scan as scan; scan.FAST_AFTER = 1 << 62; "
               "from validator.cli.main import main; sys.exit(main())")


def _ftdata(workers: int | None, model: str | None = None, *,
            full_checks: bool = False) -> Callable[[Path], list[str]]:
    def argv(path: Path) -> list[str]:
        start = ["-c", FULL_CHECKS] if full_checks else ["-m", "validator"]
        cmd = [sys.executable, *start, "validate", "--output", "json",
               "--no-progress", "--isolated"]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        if model is not None:
            cmd += ["--model", model]
        return [*cmd, str(path)]

    return argv


def _ftdata_check(run: measure.Run) -> str | None:
    try:
        (entry,) = orjson.loads(run.stdout)["files"]
        stats = entry["stats"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return (f"ftdata exited {run.returncode} without a JSON report: "
                f"{measure.last_line(run.stderr)}")
    if stats["errors"] or stats["warnings"] or run.returncode != 0:
        return (f"ftdata found {stats['errors']} errors and {stats['warnings']} warnings in the "
                f"generated file (exit {run.returncode}): {entry['validation_report']['error']}")
    return None


def _floor_check(run: measure.Run) -> str | None:
    return None if run.returncode == 0 else f"floor loop failed: {measure.last_line(run.stderr)}"


def _sdk_check(run: measure.Run) -> str | None:
    if run.returncode != 0:
        return f"check_file crashed (exit {run.returncode}): {measure.last_line(run.stderr)}"
    verdict = orjson.loads(run.stdout.strip().splitlines()[-1])
    if not verdict["is_check_passed"]:
        # it stopped at the first problem, so its time says nothing about its speed
        return f"check_file rejects the file: {verdict['message']}"
    return None


def workers_supported() -> bool:
    """Whether this ftdata accepts ``validate --workers`` (parallel validation is newer)."""
    done = subprocess.run([sys.executable, "-m", "validator", "validate", "--help"],
                          capture_output=True, text=True, check=False)
    return "--workers" in done.stdout


def _sdk_argv(installed: sdk.Installed) -> Callable[[Path], list[str]]:
    return lambda path: sdk.check_argv(installed, path)


def _sdk_tools(enabled: bool) -> tuple[list[Tool], dict[str, Any]]:
    tools: list[Tool] = []
    notes: dict[str, Any] = {}
    for key, spec in sdk.SDKS.items():
        label = f"SDK {key} check_file"
        if not enabled:
            tools.append(Tool(f"sdk-{key}", label, None, _sdk_check, "skipped (--no-sdk)"))
            notes[key] = {"requirement": spec.requirement, "error": "skipped (--no-sdk)",
                          "rules": list(spec.rules)}
            continue
        try:
            installed = sdk.ensure(spec)
        except (sdk.SdkUnavailable, OSError, subprocess.SubprocessError) as exc:
            _log(f"SDK {key}: n/a: {exc}")
            tools.append(Tool(f"sdk-{key}", label, None, _sdk_check, f"venv not built: {exc}"))
            notes[key] = {"requirement": spec.requirement, "error": str(exc),
                          "rules": list(spec.rules)}
            continue
        tools.append(Tool(f"sdk-{key}", f"SDK {installed.version} check_file",
                          _sdk_argv(installed), _sdk_check))
        notes[key] = {"requirement": spec.requirement, "version": installed.version,
                      "check_file": f"{installed.module}.check_file",
                      "defined_in": installed.source, "rules": list(spec.rules)}
    return tools, notes


def _warm(path: Path) -> None:
    """Read the file once so every tool starts with it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 23):
            pass


def _dataset_file(data_dir: Path, name: str, size: int, seed: int) -> tuple[Path, int]:
    path = data_dir / f"{name}-{size}-seed{seed}-v{generate.GENERATOR_VERSION}.jsonl"
    if path.exists():
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 23), b""))
        return path, lines
    started = time.perf_counter()
    lines = generate.generate(name, size, path, seed)
    _log(f"generated {path.name}: {lines:,} lines in {time.perf_counter() - started:.1f} s")
    return path, lines


def _measure(result: Result, path: Path) -> None:
    tool = result.tool
    if result.na is not None or tool.argv is None:
        result.na = result.na or tool.na
        return
    run = measure.run(tool.argv(path), timeout=RUN_TIMEOUT_S)
    problem = tool.check(run)
    if problem is not None:
        result.na = problem
        _log(f"  {result.dataset:15} {tool.label:28} n/a: {problem}")
        return
    result.seconds.append(run.wall_s)
    result.cpu_seconds.append(run.cpu_s)
    result.peak_rss_mib = max(result.peak_rss_mib, run.peak_rss_mb)
    result.processes = max(result.processes, run.processes)
    _log(f"  {result.dataset:15} {tool.label:28} {run.wall_s:7.2f} s "
         f"{result.size / 1e6 / run.wall_s:8.1f} MB/s  {run.peak_rss_mb:7.1f} MiB")


def _mbps(size: int, seconds: float | None) -> float | None:
    return None if seconds is None else size / 1e6 / seconds


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure ftdata against the JSON-parse floor and the together SDK.")
    parser.add_argument("--size", type=generate.parse_size, default=None,
                        help="base file size per dataset (default 100MB; --quick: 300KB)")
    parser.add_argument("--big", type=generate.parse_size, default=None,
                        help="the second size for the memory check (default 1GB; --quick: 1MB)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per timing, the best kept (default 3; --quick: 1)")
    parser.add_argument("--datasets", default=",".join(generate.DATASETS),
                        help="comma-separated subset of " + ", ".join(generate.DATASETS))
    tokens.add_options(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and one run: a smoke test of the harness")
    parser.add_argument("--no-sdk", action="store_true",
                        help="do not build or run the together SDK venvs")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data",
                        help="where generated datasets go (default benchmarks/data)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="where results JSON goes (default benchmarks/results; with --quick "
                             "benchmarks/data/quick-results, so a smoke test leaves the "
                             "committed results alone)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    size = args.size or (300_000 if args.quick else 100_000_000)
    big = args.big or (1_000_000 if args.quick else 1_000_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    results_dir = args.results_dir or (
        args.data_dir / "quick-results" if args.quick else HERE / "results")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = set(datasets) - set(generate.DATASETS)
    if unknown or not datasets or repeat < 1:
        _parser().error(f"bad --datasets or --repeat: {', '.join(sorted(unknown)) or repeat}")

    # Byte-compile ftdata as `pip install` does: the venv's editable install leaves that to the
    # first import, which PYTHONDONTWRITEBYTECODE (set on some machines) forbids, and then every
    # run would compile the validator from source (~20 ms) while the SDKs run from bytecode.
    compileall.compile_dir(str(ROOT / "validator"), quiet=1)
    cpus = os.cpu_count() or 1
    load_before = os.getloadavg()
    parallel = workers_supported()
    tools = [
        Tool("floor", "floor (orjson loop)", lambda p: [sys.executable, "-c", FLOOR, str(p)],
             _floor_check),
        Tool("floor-all", f"floor, {cpus} processes",
             lambda p: [sys.executable, "-c", FLOOR_PARALLEL, str(p), str(cpus)], _floor_check),
        Tool("ftdata-1", "ftdata, 1 worker", _ftdata(1 if parallel else None), _ftdata_check),
        Tool("ftdata-all", f"ftdata, {cpus} workers", _ftdata(cpus) if parallel else None,
             _ftdata_check, None if parallel else "ftdata does not accept --workers yet"),
        Tool("ftdata-full", "ftdata, 1 worker, no fast path",
             _ftdata(1, full_checks=True) if parallel else None, _ftdata_check,
             None if parallel else "ftdata does not accept --workers yet"),
    ]
    one_worker = next(t for t in tools if t.key == "ftdata-1")
    plain = [t for t in tools if t.key in ("ftdata-1", "ftdata-all")]  # what --model is held to
    sdk_tools, sdk_notes = _sdk_tools(not args.no_sdk)
    tools += sdk_tools
    model_datasets = tokens.chosen(args.model_datasets, datasets, _parser())
    model_tools = [
        Tool("model-1", "ftdata --model, 1 worker", _ftdata(1, args.model), tokens.check),
        Tool("model-all", f"ftdata --model, {cpus} workers", _ftdata(cpus, args.model),
             tokens.check),
    ] if parallel else []

    sizes = [size, big]
    files = {(d, n): _dataset_file(args.data_dir, d, n, args.seed) for n in sizes
             for d in datasets}
    results = [Result(d, tool, files[d, n][0].stat().st_size, n)
               for n in sizes for d in datasets for tool in tools]
    model_size = tokens.file_size(args.model_size, size, quick=args.quick)
    for d in model_datasets:  # timed against plain validation of the same files
        if (d, model_size) not in files:
            files[d, model_size] = _dataset_file(args.data_dir, d, model_size, args.seed)
            results += [Result(d, tool, files[d, model_size][0].stat().st_size, model_size)
                        for tool in plain]
    results += [Result(d, tool, files[d, model_size][0].stat().st_size, model_size)
                for d in model_datasets for tool in model_tools]
    all_sizes = list(dict.fromkeys([*sizes, model_size]))
    for rep in range(repeat):
        for n in all_sizes:
            _log(f"run {rep + 1} of {repeat} at {n / 1e6:g} MB")
            for d in datasets:
                if (d, n) not in files:
                    continue
                _warm(files[d, n][0])
                for result in results:
                    if result.dataset == d and result.nominal == n:
                        _measure(result, files[d, n][0])

    rows = []
    for n in all_sizes:
        for d in datasets:
            mine = {r.tool.key: r for r in results if r.dataset == d and r.nominal == n}
            if not mine:
                continue
            speed = {k: _mbps(r.size, r.best) for k, r in mine.items()}
            for key, r in mine.items():
                rows.append({
                    "dataset": d, "size": n, "tool": key, "label": r.tool.label,
                    "bytes": r.size, "lines": files[d, n][1], "seconds": r.best,
                    "runs": r.seconds,
                    "cpu_seconds": min(r.cpu_seconds) if r.best is not None else None,
                    "mb_per_s": speed[key],
                    "x_floor": _ratio(speed[key], speed.get("floor")),
                    # all cores against one: ftdata's workers, and the floor's processes
                    "x_one_worker": (_ratio(speed[key], speed["ftdata-1"]) if key == "ftdata-all"
                                     else _ratio(speed[key], speed.get("floor"))
                                     if key == "floor-all" else None),
                    # --model against plain validation with as many workers, same file and run
                    "x_plain": (_ratio(speed[key], speed[key.replace("model", "ftdata")])
                                if key.startswith("model-") else None),
                    "x_sdk_3": _ratio(speed[key], speed.get("sdk-3.x")),
                    "x_sdk_1": _ratio(speed[key], speed.get("sdk-1.x")),
                    "peak_rss_mib": r.peak,
                    "processes": r.processes, "na": r.na,
                })

    memory = []
    for d in datasets:
        base, large = (next(r for r in results if r.dataset == d and r.nominal == n
                            and r.tool is one_worker) for n in sizes)
        memory.append({
            "dataset": d, "base_bytes": base.size, "base_peak_rss_mib": base.peak,
            "big_bytes": large.size, "big_peak_rss_mib": large.peak,
            "big_mb_per_s": _mbps(large.size, large.best), "na": large.na or base.na,
            "change": _ratio(large.peak, base.peak),
        })

    when = datetime.now(UTC)
    out: dict[str, Any] = {
        "date": when.isoformat(timespec="seconds"),
        "settings": {"size": size, "big": big, "repeat": repeat, "seed": args.seed,
                     "model": args.model, "model_datasets": model_datasets,
                     "model_size": model_size,
                     "quick": args.quick, "workers_supported": parallel, "all_cores": cpus,
                     "generator_version": generate.GENERATOR_VERSION,
                     "wall_time": "whole subprocess, interpreter start-up included",
                     "bytecode": "validator byte-compiled before the runs, as pip install does",
                     "cpu_seconds": "user + system time of the process tree, least over the "
                                    "repeats (less sensitive to other load than wall time)",
                     "peak_rss": "max over 20 ms samples of the sum of VmRSS over the process "
                                 "tree, largest over the repeats; MiB"},
        # other work on the machine slows every tool: the 1-minute load before and after
        "machine": {**environment.machine(), "load_before": load_before[0],
                    "load_after": os.getloadavg()[0]},
        "git": environment.git_state(ROOT), "sdks": sdk_notes,
        "rows": rows, "memory": memory,
    }
    out["table"] = markdown_tables(out)
    print(out["table"])
    results_dir.mkdir(parents=True, exist_ok=True)
    blob = orjson.dumps(out, option=orjson.OPT_INDENT_2) + b"\n"
    stamped = results_dir / f"{when.strftime('%Y-%m-%dT%H%M%SZ')}.json"
    stamped.write_bytes(blob)
    (results_dir / "latest.json").write_bytes(blob)
    _log(f"wrote {stamped} and latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
