"""Validating many files on a Dask cluster (``ftdata validate --scheduler ADDRESS``).

Each JSONL file large enough to split becomes byte-range tasks (the same jobs the local worker
processes run, ``parallel.scan_range``); any other file (small, compressed, batch, Parquet, CSV)
is one task that validates it whole. Every task of every file is submitted at once, so the
cluster stays busy across files; results are merged per file, in file order, into exactly the
report a single machine gives. Paths may be local files, globs, or fsspec URLs
(``s3://bucket/prefix/*.jsonl``) that every worker can read.

Dask is an optional extra (``pip install 'ftdata[dask]'``); nothing here imports it before it is
needed. A lost worker's tasks are retried by the scheduler; a file that cannot be read becomes
its own unreadable report and the other files are still reported.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from validator.config import Config
from validator.errors import FileAccessError, FtdataError, UsageError
from validator.purposes import resolve_purpose
from validator.read.source import Source, is_url, open_input, open_source
from validator.report import Report
from validator.run.cores import available_cores
from validator.run.parallel import Job, merge_results, plan_jobs, scan_range
from validator.run.pipeline import (
    begin,
    end_jsonl,
    make_report,
    validate_file,
    validate_opened,
)

__all__ = ["CLUSTER_CHUNK_BYTES", "Corpus", "expand_paths", "validate_corpus"]

CLUSTER_CHUNK_BYTES = 64 * 2**20  # one task per this much of a splittable JSONL file
TASK_RETRIES = 2  # on top of the scheduler's own rescheduling of a lost worker's tasks
INSTALL_HINT = "the Dask scheduler needs the dask extra: pip install 'ftdata[dask]'"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler that accepts the TCP connection


@dataclass
class Corpus:
    """Per-file reports, in the order the paths were given, and a summary of them all."""

    reports: list[Report] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_code: dict[str, int] = {}
        formats: dict[str, int] = {}
        for report in self.reports:
            for code, n in report.by_code.items():
                by_code[code] = by_code.get(code, 0) + n
            if report.dataset_format:
                formats[report.dataset_format] = formats.get(report.dataset_format, 0) + 1
        return {
            "files": len(self.reports),
            "valid": sum(r.valid for r in self.reports),
            "invalid": sum(not r.valid for r in self.reports),
            "unreadable": sum(not r.readable for r in self.reports),
            "samples": sum(r.nlines for r in self.reports),
            "bytes": sum(int(r.stats.get("bytes") or 0) for r in self.reports),
            "errors": sum(r.errors for r in self.reports),
            "warnings": sum(r.warnings for r in self.reports),
            "files_per_format": dict(sorted(formats.items())),
            "issues_by_code": dict(sorted(by_code.items())),
        }


def expand_paths(patterns: Sequence[str]) -> list[str]:
    """Paths and URLs from ``patterns``, globs expanded (sorted); a glob matching nothing is a
    usage error, a plain path that does not exist is kept (it is reported as unreadable)."""
    found: list[str] = []
    for pattern in patterns:
        if not glob.has_magic(pattern):
            found.append(pattern)
            continue
        if is_url(pattern):
            import fsspec  # noqa: PLC0415

            fs, _ = fsspec.core.url_to_fs(pattern)
            protocol = pattern.split("://", 1)[0]
            matches = [m if "://" in m else f"{protocol}://{m}" for m in sorted(fs.glob(pattern))]
        else:
            matches = sorted(glob.glob(pattern))
        if not matches:
            raise UsageError(f"no file matches {pattern!r}")
        found.extend(matches)
    return found


@contextmanager
def _client(scheduler: str, workers: int | None) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    # distributed's constructors carry no annotations: called through Any
    local_cluster: Any = LocalCluster
    make_client: Any = Client
    if scheduler == "local":
        with local_cluster(n_workers=workers or available_cores(), threads_per_worker=1,
                           processes=True, dashboard_address=":0") as cluster, \
                make_client(cluster) as client:
            yield client
    else:
        _probe(scheduler)
        with _connect(make_client, scheduler) as client:
            yield client


def _connect(make_client: Any, scheduler: str) -> Any:
    """``Client(scheduler)``, or an FtdataError within about :data:`CONNECT_TIMEOUT`: the
    client is made in a daemon thread, since distributed waits forever on a listener that
    accepts the connection and never answers."""
    import threading  # noqa: PLC0415

    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = make_client(scheduler, timeout=f"{CONNECT_TIMEOUT}s")
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=connect, daemon=True, name="ftdata-dask-connect")
    thread.start()
    thread.join(CONNECT_TIMEOUT + 2)
    error = box.get("error")
    if "client" in box:
        return box["client"]
    if isinstance(error, OSError | ValueError | TypeError):  # TimeoutError is an OSError
        reason = _one_line(error)
    elif error is not None:
        raise error
    else:
        reason = f"no answer after {CONNECT_TIMEOUT:g} s (is it a Dask scheduler?)"
    raise FtdataError(f"cannot connect to the Dask scheduler {scheduler}: {reason}")


def _probe(scheduler: str) -> None:
    """Fail at once when nothing listens at a ``tcp://`` (or bare ``host:port``) address:
    distributed itself retries a refused connection until its timeout."""
    import socket  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    if "://" in scheduler and not scheduler.startswith("tcp://"):
        return  # tls://, ws://, inproc://...: left to distributed
    try:
        parts = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
        host, port = parts.hostname, parts.port or 8786
    except ValueError as exc:
        raise UsageError(f"--scheduler {scheduler!r} is not an address such as "
                         f"tcp://host:8786: {exc}") from None
    if not host:
        raise UsageError(f"--scheduler {scheduler!r} is not an address such as tcp://host:8786")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise FtdataError(f"cannot connect to the Dask scheduler {scheduler}: {reason}") \
            from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def validate_corpus(paths: Sequence[str], purpose: str = "fine-tune", *,
                    config: Config | None = None, scheduler: str = "local",
                    client: Any = None, local_workers: int | None = None) -> Corpus:
    """Validate ``paths`` (files, globs, fsspec URLs) on a Dask cluster: ``scheduler`` is an
    address such as ``tcp://10.0.0.5:8786``, or ``local`` for a LocalCluster of
    ``local_workers`` processes; or pass a connected ``client``."""
    cfg = config or Config()
    files = expand_paths(paths)
    if client is not None:
        return _run(client, files, purpose, cfg)
    with _client(scheduler, local_workers) as connected:
        return _run(connected, files, purpose, cfg)


@dataclass
class _Pending:
    """A file in flight: its range jobs and their futures, or one whole-file future."""

    path: str
    check: Any = None  # engine.FileCheck, for a file split in ranges
    jobs: list[Job] = field(default_factory=list)
    futures: list[Any] = field(default_factory=list)
    report: Report | None = None  # known without the cluster (unreadable, or stopped early)


def _run(client: Any, files: list[str], purpose: str, config: Config) -> Corpus:
    """``purpose`` may be ``auto`` (CSV files eval, the rest fine-tune), decided per file."""
    purposes = [resolve_purpose(purpose, path) for path in files]
    pending = [_submit(client, path, p, config) for path, p in zip(files, purposes, strict=True)]
    corpus = Corpus()
    for item, p in zip(pending, purposes, strict=True):
        corpus.reports.append(_collect(item, p))
    return corpus


def _submit(client: Any, path: str, purpose: str, config: Config) -> _Pending:
    item = _Pending(path)
    try:
        size = _size(path)
        check = begin(Source(path, size), purpose, config)
        if check.kind is None:  # stopped by the file-level rules: nothing to read
            item.report = make_report(check)
            return item
        if check.kind == "jsonl" and not check.packed:
            with open_input(path) as handle:
                jobs = plan_jobs(path, handle, size, purpose=purpose, config=config,
                                 chunks=max(2, size // CLUSTER_CHUNK_BYTES))
            if jobs:
                item.check, item.jobs = check, jobs
                item.futures = [client.submit(scan_range, job, pure=False,
                                              retries=TASK_RETRIES) for job in jobs]
                return item
    except FileAccessError as exc:
        item.report = Report.unreadable(path, purpose, exc.reason)
        return item
    except OSError as exc:
        item.report = Report.unreadable(path, purpose, _reason(exc))
        return item
    item.futures = [client.submit(_validate_whole, path, purpose, config, pure=False,
                                  retries=TASK_RETRIES)]
    return item


def _collect(item: _Pending, purpose: str) -> Report:
    if item.report is not None:
        return item.report
    try:
        results = [future.result() for future in item.futures]
    except FileAccessError as exc:
        return Report.unreadable(item.path, purpose, exc.reason)
    except OSError as exc:
        return Report.unreadable(item.path, purpose, _reason(exc))
    except FtdataError:
        raise
    except Exception as exc:  # a task that failed on every try: that file only
        return Report.unreadable(item.path, purpose, f"validation failed on the cluster: {exc}")
    if not item.jobs:
        report: Report = results[0]
        return report
    merge_results(item.jobs, results, item.check.out, item.check.tally)
    end_jsonl(item.check, item.check.source.size)
    return make_report(item.check)


def _size(path: str) -> int:
    if not is_url(path):
        source, handle = open_source(path)  # the same checks as on one machine
        handle.close()
        return source.size or 0
    import fsspec  # noqa: PLC0415

    fs, inner = fsspec.core.url_to_fs(path)
    try:
        return int(fs.size(inner))
    except FileNotFoundError:
        raise FileAccessError(path, "no such file") from None


def _validate_whole(path: str, purpose: str, config: Config) -> Report:
    """Task: validate one file in the worker, whole."""
    if not is_url(path):
        return validate_file(path, purpose, config=config, workers=1)
    with open_input(path) as handle:
        return validate_opened(handle, path, _size(path), purpose, config=config)


def _reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"
