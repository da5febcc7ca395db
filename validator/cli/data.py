"""``ftdata stats`` and ``ftdata report``: describe a dataset, as text, JSON or one HTML page.

Kept apart from the validate command so its start-up stays lean; they share its options.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

import orjson

from validator.cli.options import add_config_options, config_from_args
from validator.config import Config
from validator.errors import FileAccessError, UsageError
from validator.purposes import PURPOSES

__all__ = ["REPORT_MAX_ERRORS", "register"]

REPORT_MAX_ERRORS = 500  # a page can list more than a terminal: the default unless configured


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("stats", help="describe datasets: lengths, turns, shares, duplicates",
                       description="Statistics of dataset files (JSONL, compressed JSONL, "
                                   "Parquet); exit 2 if a file cannot be read.")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--output", "-o", choices=("text", "json"), default="text")
    add_config_options(s, severities=False)
    _token_options(s)
    s.set_defaults(run=_stats)

    r = sub.add_parser("report", help="write a self-contained HTML report of one dataset",
                       description="Validate a dataset and write one HTML page with the "
                                   "report, the issues and histograms; exit as validate.")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-o", "--out", required=True, metavar="HTML", help="the page to write")
    r.add_argument("--purpose", choices=PURPOSES, default="fine-tune")
    add_config_options(r, max_errors_default=REPORT_MAX_ERRORS)
    _token_options(r)
    r.set_defaults(run=_report)


def _token_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokenizer", metavar="TOKENIZER_JSON",
                        help="count tokens with this tokenizers file (needs ftdata[tokens])")
    parser.add_argument("--context-length", type=int, metavar="N",
                        help="with --tokenizer: count samples longer than N tokens")


def _tokenizer(args: argparse.Namespace) -> Any:
    from validator.stats.dataset import load_tokenizer  # noqa: PLC0415

    if args.context_length is not None and not args.tokenizer:
        raise UsageError("--context-length needs --tokenizer")
    return load_tokenizer(args.tokenizer)


def _stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.stats.dataset import profile_file  # noqa: PLC0415

    config = config_from_args(args)
    tokenizer = _tokenizer(args)
    docs = []
    code = 0
    for path in args.files:
        try:
            profile = profile_file(path, tokenizer=tokenizer, context_length=args.context_length,
                                   config=config)
        except FileAccessError as exc:
            err.write(f"ftdata: error: {exc}\n")
            code = 2
            continue
        docs.append(profile.to_dict())
    if args.output == "json":
        out.write(orjson.dumps({"files": docs}, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write("".join(_stats_text(doc) for doc in docs))
    return code


def _stats_text(doc: dict[str, Any]) -> str:
    lines = [f"{doc['path']}: {doc['samples']:,} samples in {doc['lines']:,} lines "
             f"({doc['blank_lines']:,} blank, {doc['unreadable_lines']:,} unreadable)"]
    formats = ", ".join(f"{k} {v:,}" for k, v in doc["samples_per_format"].items()) or "none"
    lines.append(f"  formats: {formats}")
    for key in ("messages_per_sample", "turns_per_sample", "chars_per_sample",
                "tokens_per_sample"):
        if key in doc and doc[key]["min"] is not None:
            d = doc[key]
            lines.append(f"  {key.replace('_', ' ')}: min {d['min']:,}  p50 {d['p50']:,}  "
                         f"p90 {d['p90']:,}  p99 {d['p99']:,}  max {d['max']:,}")
    shares = ", ".join(f"{k.replace('_', ' ')} {doc['samples_with'][k]:,} ({v:.1%})"
                       for k, v in doc["share_of_samples"].items())
    lines.append(f"  samples with: {shares}")
    dup = doc["exact_duplicates"]
    lines.append(f"  exact duplicates: {dup['samples']:,} samples repeat an earlier one "
                 f"({dup['groups']:,} distinct samples occur more than once)")
    if "samples_over_context" in doc and doc["context_length"] is not None:
        lines.append(f"  over {doc['context_length']:,} tokens: {doc['samples_over_context']:,}")
    return "\n".join(lines) + "\n"


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.report import Report  # noqa: PLC0415
    from validator.report.html import render_html  # noqa: PLC0415
    from validator.report.text import summary  # noqa: PLC0415
    from validator.run.pipeline import validate_file  # noqa: PLC0415
    from validator.stats.dataset import profile_file  # noqa: PLC0415

    if os.path.exists(args.out) and os.path.samefile(args.out, args.file):
        raise UsageError(f"refusing to overwrite the input {args.file}")
    config = config_from_args(args, base=Config(max_errors=REPORT_MAX_ERRORS))
    tokenizer = _tokenizer(args)
    try:
        report = validate_file(args.file, args.purpose, config=config)
        profile = profile_file(args.file, tokenizer=tokenizer,
                               context_length=args.context_length, config=config)
    except FileAccessError as exc:
        report, profile = Report.unreadable(args.file, args.purpose, exc.reason), None
    page = render_html(report, profile)
    temp = f"{args.out}.partial"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(page)
    os.replace(temp, args.out)
    out.write(f"wrote {args.out}\n{summary(report)}\n")
    if not report.readable:
        return 2
    return 0 if report.valid else 1
