"""Opt-in benchmark: throughput of ``validate_corpus`` on a Dask LocalCluster with 1 and 2
worker processes, over a generated corpus of conversational shards.

    python -m benchmarks.cluster [--files 8] [--size 50MB]

Cluster start-up is timed apart from the validation itself; each run is repeated and the best
kept, since the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster

from benchmarks.generate import generate, parse_size
from validator.run.cluster import validate_corpus

# distributed's constructors carry no annotations
make_cluster: Any = LocalCluster
make_client: Any = Client

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--size", type=parse_size, default=parse_size("50MB"),
                        help="size of each shard")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    folder = HERE / "data" / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(args.files):
        path = folder / f"shard-{i:03d}.jsonl"
        if not path.exists() or path.stat().st_size < args.size * 0.9:
            generate("conversational", args.size, path, seed=i)
        paths.append(str(path))
    total = sum(Path(p).stat().st_size for p in paths) / 1e6
    print(f"corpus: {len(paths)} files, {total:,.0f} MB")
    rates = {}
    for workers in (1, 2):
        started = time.perf_counter()
        with make_cluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, make_client(cluster) as client:
            ready = time.perf_counter() - started
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                corpus = validate_corpus(paths, client=client)
                best = min(best, time.perf_counter() - t)
            assert corpus.summary()["invalid"] == 0
        rates[workers] = total / best
        print(f"{workers} worker(s): {rates[workers]:,.0f} MB/s "
              f"(best of {args.repeat}; cluster start {ready:.1f} s)")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
