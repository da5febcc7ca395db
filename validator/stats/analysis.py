"""The statistics of ``ftdata stats``: polars lazy queries over a feature table
(:mod:`validator.stats.table`), exact whatever the sample count.

Percentiles are numpy's default definition (linear interpolation between the closest ranks:
``p = v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])`` with
``h = (n - 1) * q`` over the sorted values), rounded to one decimal. Histograms have equal-width
integer bins from min to max (at most :data:`MAX_BINS`; one per value when they span fewer).

Duplicates: a sample is an *exact* duplicate when its line repeats an earlier sample's bytes
(``hash``), a *near* one when it equals an earlier sample after case and whitespace folding
(``norm_hash``) without being an exact duplicate. Groups are the samples equal after folding.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

__all__ = ["DISTRIBUTIONS", "GROUPS_SHOWN", "LONGEST", "MAX_BINS", "PAIRS_SHOWN", "analyse",
           "leakage"]

# key of ``ftdata stats --output json`` -> feature column
DISTRIBUTIONS = {"chars_per_sample": "chars", "messages_per_sample": "messages",
                 "turns_per_sample": "turns", "bytes_per_sample": "bytes",
                 "tokens_per_sample": "tokens", "trained_tokens_per_sample": "trained_tokens"}
_COUNTED = ("tokens_per_sample", "trained_tokens_per_sample")  # left out when none counted
QUANTILES = (0.5, 0.9, 0.99)
MAX_BINS = 24
LONGEST = 10  # samples in ``longest``
GROUPS_SHOWN = 10  # duplicate groups listed, the largest first
LINES_SHOWN = 5  # first lines of each group
PAIRS_SHOWN = 20  # leaked pairs listed


# polars allocates with jemalloc (its symbols prefixed _rjem_), which by default keeps freed
# pages for seconds: each query's columns then add to the peak instead of reusing memory.
# Returning them at once keeps ``ftdata stats`` of 2,000,000 samples near 260 MB, not 360 MB.
# Read when polars is first loaded; a user's own setting wins.
_JEMALLOC = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def _pl() -> Any:
    os.environ.setdefault(*_JEMALLOC)
    import polars as pl  # noqa: PLC0415 - loaded only when statistics are computed

    return pl


def scan(path: str | os.PathLike[str]) -> Any:
    """The feature table at ``path`` as a polars LazyFrame (read by the queries, not here)."""
    return _pl().scan_ipc(os.fspath(path))


def _summary(column: str) -> list[Any]:
    col = _pl().col(column)
    return [col.min().alias("min"),
            *(col.quantile(q, interpolation="linear").alias(f"p{round(q * 100)}")
              for q in QUANTILES),
            col.max().alias("max"), col.count().alias("count")]


def _unpack(row: dict[str, Any]) -> dict[str, Any]:
    if not row.get("count"):
        return {"min": None, "p50": None, "p90": None, "p99": None, "max": None}
    return {"min": int(row["min"]),
            **{f"p{round(q * 100)}": round(float(row[f"p{round(q * 100)}"]), 1)
               for q in QUANTILES},
            "max": int(row["max"])}


def _histogram(frame: Any, column: str, low: int, high: int) -> list[list[int]]:
    """[low, high, count] bins of equal width from ``low`` to ``high`` (see the docstring)."""
    pl = _pl()
    span = high - low + 1
    width = -(-span // MAX_BINS)
    nbins = -(-span // width)
    counts = (frame.select(((pl.col(column).cast(pl.Int64) - low) // width).alias("bin"))
              .drop_nulls().group_by("bin").len().collect())
    found = dict(zip(counts["bin"].to_list(), counts["len"].to_list(), strict=True))
    return [[low + k * width, min(low + (k + 1) * width - 1, high), int(found.get(k, 0))]
            for k in range(nbins)]


def analyse(path: str | os.PathLike[str], *, context_length: int | None = None
            ) -> dict[str, Any]:
    """Every statistic of the feature table at ``path``: its samples, the samples with each
    flag (``flags``), the distributions (whole file and per format), their histograms, the
    longest samples, the duplicates, and with ``context_length`` the samples with more
    tokens (``over_context``).

    Each query reads the columns it needs, one feature at a time, so memory is a column or
    two of the table, not the table."""
    from validator.stats.table import FLAGS  # noqa: PLC0415

    pl = _pl()
    frame = scan(path)
    formats = frame.select(pl.col("format").unique()).collect()["format"].to_list()
    counts = frame.select(pl.len().alias("samples"),
                          *(pl.col(flag).sum().alias(flag) for flag in FLAGS)).collect()
    doc: dict[str, Any] = {"samples": int(counts["samples"][0]),
                           "flags": {flag: int(counts[flag][0]) for flag in FLAGS}}
    if context_length is not None:
        doc["over_context"] = int(frame.filter(pl.col("tokens") > context_length)
                                  .select(pl.len()).collect().item())
    per_format: dict[str, dict[str, Any]] = {str(fmt): {} for fmt in formats}
    histograms = {}
    for key, column in DISTRIBUTIONS.items():
        dist = _unpack(frame.select(_summary(column)).collect().row(0, named=True))
        if key in _COUNTED and dist["min"] is None:
            continue
        doc[key] = dist
        for fmt, values in per_format.items():
            values[key] = dist if len(per_format) == 1 else _unpack(
                frame.filter(pl.col("format") == fmt).select(_summary(column)).collect()
                .row(0, named=True))
        if dist["min"] is not None:
            histograms[key] = _histogram(frame, column, dist["min"], dist["max"])
    doc["per_format"] = dict(sorted(per_format.items()))
    doc["histograms"] = histograms
    top = frame.select("line", "chars").top_k(LONGEST, by=["chars", "line"],
                                               reverse=[False, True]).collect()["line"]
    longest = (frame.filter(pl.col("line").is_in(top.implode()))
               .select("line", "chars", "bytes", "messages", "tokens", "format")
               .sort(["chars", "line"], descending=[True, False]).collect())
    doc["longest"] = [{k: (str(v) if k == "format" else v) for k, v in row.items()
                       if k != "tokens" or v is not None}
                      for row in longest.iter_rows(named=True)]
    doc["duplicates"] = _duplicates(frame)
    return doc


def _repeated(frame: Any, column: str) -> Any:
    """The values of ``column`` that occur more than once, found by sorting the one column
    (lighter than a hash table over it)."""
    pl = _pl()
    col = pl.col(column)
    return frame.select(col.sort()).filter(col == col.shift(1)).unique()


def _duplicates(frame: Any) -> dict[str, Any]:
    pl = _pl()
    samples = frame.select(pl.len()).collect().item()
    if not samples:
        return {"exact": 0, "near": 0, "exact_groups": 0, "near_groups": 0, "groups": []}
    distinct = frame.select(pl.col("hash").n_unique()).collect().item()
    folded = frame.select(pl.col("norm_hash").n_unique()).collect().item()
    exact_groups = _repeated(frame, "hash").select(pl.len()).collect().item()
    # only the samples of groups with more than one sample (usually few) are grouped, into
    # three numbers per group; the lines are gathered for the groups shown alone
    repeated = _repeated(frame, "norm_hash").collect()["norm_hash"]
    groups = (frame.select("line", "hash", "norm_hash")
              .filter(pl.col("norm_hash").is_in(repeated.implode()))
              .group_by("norm_hash")
              .agg(pl.len().alias("samples"), pl.col("hash").n_unique().alias("distinct"),
                   pl.col("line").min().alias("first"))
              .collect(engine="streaming"))
    del repeated
    near_groups = groups.filter(pl.col("distinct") > 1).height
    shown = groups.sort(["samples", "first"], descending=[True, False]).head(GROUPS_SHOWN)
    del groups
    lines = dict(frame.select("line", "norm_hash")
                 .filter(pl.col("norm_hash").is_in(shown["norm_hash"].implode()))
                 .group_by("norm_hash").agg(pl.col("line").sort().head(LINES_SHOWN))
                 .collect().iter_rows())
    return {"exact": samples - distinct, "near": distinct - folded,
            "exact_groups": int(exact_groups), "near_groups": int(near_groups),
            "groups": [{"samples": row["samples"],
                        "kind": "exact" if row["distinct"] == 1 else "near",
                        "lines": lines[row["norm_hash"]]} for row in shown.iter_rows(named=True)]}


def leakage(train: str | os.PathLike[str],
            against: Sequence[tuple[str, str | os.PathLike[str]]]) -> dict[str, Any]:
    """The samples (and prompts) of each ``(name, feature table)`` of ``against`` that also
    occur in the training file's feature table ``train``, with their lines on both sides."""
    pl = _pl()
    base = scan(train)
    samples = base.group_by("hash").agg(pl.col("line").min().alias("train_line"))
    prompts = (base.drop_nulls("prompt_hash").group_by("prompt_hash")
               .agg(pl.col("line").min().alias("train_line")))
    total = prompt_total = 0
    pairs: list[dict[str, Any]] = []
    per_file = []
    for name, path in against:
        other = scan(path)
        hit = other.join(samples, on="hash", how="inner").sort("line")
        asked = (other.drop_nulls("prompt_hash").join(prompts, on="prompt_hash", how="inner")
                 .sort("line"))
        n = hit.select(pl.len()).collect().item()
        n_prompts = asked.select(pl.len()).collect().item()
        total += n
        prompt_total += n_prompts
        per_file.append({"path": name, "samples": int(n), "prompts": int(n_prompts)})
        room = PAIRS_SHOWN - len(pairs)
        if room > 0:
            pairs += [{"against": name, "line": row["line"], "train_line": row["train_line"]}
                      for row in hit.select("line", "train_line").head(room).collect()
                      .iter_rows(named=True)]
    return {"against": per_file, "samples": int(total), "prompts": int(prompt_total),
            "pairs": pairs}
