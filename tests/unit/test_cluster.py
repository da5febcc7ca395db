"""Validation on a Dask LocalCluster gives exactly the single-machine reports."""

from __future__ import annotations

import gzip
import io
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

distributed = pytest.importorskip("distributed")

from validator.cli.main import main  # noqa: E402
from validator.config import Config  # noqa: E402
from validator.errors import UsageError  # noqa: E402
from validator.run import cluster, parallel  # noqa: E402
from validator.run.parallel import Job, scan_range  # noqa: E402
from validator.run.pipeline import validate_file  # noqa: E402

CHAT = orjson.dumps({"messages": [{"role": "user", "content": "hi ✓"},
                                  {"role": "assistant", "content": "hello"}]})
BAD = [b"nope", b'{"text": "mixed"}', b'{"messages": []}', b"", b"[1]",
       b'{"messages": [{"role": "bot", "content": "x"}, {"role": "assistant", "content": "y"}]}']


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local, \
            distributed.Client(local) as connected:
        yield connected


def make_corpus(folder: Path) -> list[str]:
    """20 files: clean and broken JSONL of several sizes, compressed, batch-like, Parquet,
    CSV, an empty file and a wrong extension."""
    rng = random.Random(7)
    paths = []
    for i in range(14):
        lines = [CHAT] + [rng.choice(BAD) if rng.random() < 0.1 * (i % 3) else CHAT
                          for _ in range(rng.choice([5, 200, 4000]))]
        path = folder / f"shard-{i:02d}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        paths.append(str(path))
    big = folder / "shard-big.jsonl"
    big.write_bytes(b"\n".join([CHAT] + [rng.choice([CHAT, *BAD]) for _ in range(30_000)]))
    gz = folder / "shard-gz.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n".join([CHAT, BAD[1], CHAT]) + b"\n"))
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "notes.txt").write_text("hello")
    (folder / "eval.csv").write_text("q,a\n1,2\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"input_ids": [[1, 2], [3]], "labels": [[1, -100], [-5]]}),
                   folder / "tokens.parquet")
    return [*paths, str(big), str(gz), str(folder / "empty.jsonl"), str(folder / "notes.txt"),
            str(folder / "eval.csv"), str(folder / "tokens.parquet")]


@pytest.fixture
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CLUSTER_CHUNK_BYTES", 1 << 14)
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)


def test_corpus_reports_equal_single_machine(tmp_path: Path, client: Any,
                                             small_tasks: None) -> None:
    paths = make_corpus(tmp_path)
    assert len(paths) == 20
    config = Config(max_errors=30)
    corpus = cluster.validate_corpus(paths, config=config, client=client)
    single = [validate_file(p, config=config, workers=1) for p in paths]
    assert corpus.reports == single
    summary = corpus.summary()
    assert summary["files"] == 20
    assert summary["samples"] == sum(r.nlines for r in single)
    assert summary["invalid"] == sum(not r.valid for r in single) > 3


def test_globs_urls_and_unreadable_files(tmp_path: Path, client: Any, small_tasks: None) -> None:
    paths = make_corpus(tmp_path)
    urls = [f"file://{p}" for p in paths[:3]]
    missing = str(tmp_path / "gone.jsonl")
    corpus = cluster.validate_corpus([str(tmp_path / "shard-0*.jsonl"), *urls, missing],
                                     client=client)
    names = [r.path for r in corpus.reports]
    assert names[:10] == sorted(str(p) for p in tmp_path.glob("shard-0*.jsonl"))
    assert names[10:13] == urls
    for url, report in zip(urls, corpus.reports[10:13], strict=True):
        local = validate_file(url.removeprefix("file://"), workers=1)
        assert (report.valid, report.nlines, report.issues) == (local.valid, local.nlines,
                                                                 local.issues)
    assert not corpus.reports[-1].readable
    assert corpus.reports[-1].issues[0].message == "no such file"
    with pytest.raises(UsageError, match="no file matches"):
        cluster.validate_corpus([str(tmp_path / "nothing-*.jsonl")], client=client)


def kill_worker_once(job: Job) -> Any:
    """A range task that kills its worker process the first time any later range runs."""
    if job.start > 0:
        try:
            os.close(os.open(f"{job.path}.killed", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pass
        else:
            os._exit(1)
    return scan_range(job)


def test_lost_workers_tasks_are_retried(tmp_path: Path, client: Any, small_tasks: None,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join([CHAT, *BAD] * 3000) + b"\n")
    monkeypatch.setattr(cluster, "scan_range", kill_worker_once)
    corpus = cluster.validate_corpus([str(path)], client=client)
    assert list(tmp_path.glob("*.killed"))
    assert corpus.reports == [validate_file(path, workers=1)]


def test_cli_scheduler_local(tmp_path: Path) -> None:
    paths = make_corpus(tmp_path)[:4]
    out = io.StringIO()
    code = main(["validate", "--scheduler", "local", "--cluster-workers", "2", "--output",
                 "json", *paths], stdout=out)
    doc = orjson.loads(out.getvalue())
    assert [f["path"] for f in doc["files"]] == paths
    assert doc["corpus"]["files"] == 4
    assert code == (0 if doc["corpus"]["invalid"] == 0 else 1)


def test_without_dask_the_option_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    (tmp_path / "a.jsonl").write_bytes(CHAT + b"\n")
    err = io.StringIO()
    assert main(["validate", "--scheduler", "local", str(tmp_path / "a.jsonl")],
                stdout=io.StringIO(), stderr=err) == 2
    assert "pip install 'ftdata[dask]'" in err.getvalue()


def test_purpose_auto_is_decided_per_file(tmp_path: Path, client: Any) -> None:
    (tmp_path / "eval.csv").write_text("q,a\n1,2\n")
    (tmp_path / "train.jsonl").write_bytes(CHAT + b"\n")
    corpus = cluster.validate_corpus([str(tmp_path / "eval.csv"), str(tmp_path / "train.jsonl")],
                                     "auto", client=client)
    assert [(r.purpose, r.valid) for r in corpus.reports] == [("eval", True), ("fine-tune", True)]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "127.0.0.1:{port}"])
def test_an_unreachable_scheduler_fails_fast_in_one_line(tmp_path: Path, address: str) -> None:
    import time

    (tmp_path / "a.jsonl").write_bytes(CHAT + b"\n")
    scheduler = address.format(port=_free_port())
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = main(["validate", "--scheduler", scheduler, str(tmp_path / "a.jsonl")],
                stdout=out, stderr=err)
    assert time.monotonic() - start < 5
    assert code == 2
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(f"ftdata: error: cannot connect to the Dask scheduler "
                                     f"{scheduler}: ")


def test_a_listener_that_is_no_scheduler_times_out_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    (tmp_path / "a.jsonl").write_bytes(CHAT + b"\n")
    with socket.socket() as listener:  # accepts the connection, never speaks Dask
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        scheduler = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        err = io.StringIO()
        code = main(["validate", "--scheduler", scheduler, str(tmp_path / "a.jsonl")],
                    stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1, err.getvalue()
    assert f"cannot connect to the Dask scheduler {scheduler}: " in err.getvalue()


def test_a_malformed_scheduler_address_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(CHAT + b"\n")
    err = io.StringIO()
    assert main(["validate", "--scheduler", "tcp://[::1", str(tmp_path / "a.jsonl")],
                stdout=io.StringIO(), stderr=err) == 2
    assert "is not an address such as tcp://host:8786" in err.getvalue()


def test_model_checks_on_the_cluster_equal_single_machine(tmp_path: Path, client: Any,
                                                         small_tasks: None) -> None:
    """--model with --scheduler: each cluster task counts its own range's tokens (the
    tokenizer goes to the workers as the settings that load it), and the report is the one
    a single machine writes, truncation and token statistics included."""
    from tests.wordtok import word_tokenizer
    from validator.models.settings import ModelSettings

    tok = word_tokenizer(tmp_path / "tok")
    path = tmp_path / "chat.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"messages": [
        {"role": "user", "content": " ".join(["q"] * (3 + i % 5))},
        {"role": "assistant", "content": " ".join(["a"] * (2 + i % 9))}]}) + b"\n"
        for i in range(3000)))
    config = Config(max_errors=30, model=ModelSettings(
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", tokenizer=str(tok),
        max_seq_length=16))
    (report,) = cluster.validate_corpus([str(path)], config=config, client=client).reports
    assert report == validate_file(path, config=config, workers=1)
    assert report.warnings > 100 and report.stats["tokens"]["samples_counted"] == 3000
