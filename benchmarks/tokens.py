"""The token-counting runs of ``make bench``: ``validate --model`` against plain validation of
the same files in the same run. Counting is some 10-100x slower than validating, so it is timed
on smaller files (10 MB by default, at most ``--size``) of plain chat datasets, where every
sample is counted."""

from __future__ import annotations

import argparse

import orjson

from benchmarks import generate, measure

__all__ = ["MODEL", "MODEL_DATASETS", "add_options", "check", "chosen", "file_size"]

MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"  # its tokenizer ships with mistral-common
MODEL_DATASETS = ("conversational", "conversational-ascii")  # plain chat: every sample counts
DEFAULT_SIZE = 10_000_000


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=MODEL,
                        help=f"the model of the token-counting runs (default {MODEL})")
    parser.add_argument("--model-datasets", default=None,
                        help="datasets (of --datasets) timed with --model, comma-separated; "
                             "empty for none (default: those of " + ",".join(MODEL_DATASETS)
                             + " that --datasets has)")
    parser.add_argument("--model-size", type=generate.parse_size, default=None,
                        help="file size of the --model runs (default 10MB, at most --size)")


def chosen(option: str | None, datasets: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """The datasets to time with ``--model``."""
    if option is None:  # the default ones that are run at all
        return [d for d in MODEL_DATASETS if d in datasets]
    picked = [d.strip() for d in option.split(",") if d.strip()]
    if set(picked) - set(datasets):
        parser.error("--model-datasets must be among --datasets")
    return picked


def file_size(option: int | None, size: int, *, quick: bool) -> int:
    return min(size, option or (size if quick else DEFAULT_SIZE))


def check(run: measure.Run) -> str | None:
    """A --model run counts when it found no error and counted every sample (the model's
    warnings, such as truncation, are part of the work)."""
    try:
        (entry,) = orjson.loads(run.stdout)["files"]
        stats = entry["stats"]
        tokens = stats["tokens"]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return (f"ftdata --model exited {run.returncode} without token counts: "
                f"{measure.last_line(run.stderr)}")
    if stats["errors"] or run.returncode != 0:
        return f"ftdata --model found {stats['errors']} errors (exit {run.returncode})"
    if tokens["samples_counted"] != entry["validation_report"]["nlines"]:
        return (f"ftdata --model counted {tokens['samples_counted']} of "
                f"{entry['validation_report']['nlines']} samples")
    return None
