"""``ftdata stats`` and ``ftdata report``: describe a dataset, as text, JSON or one HTML page.

Kept apart from the validate command so its start-up stays lean; they share its options.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

import orjson

from validator.cli.options import (
    FileSettings,
    add_config_options,
    config_from_args,
    purpose_from_args,
)
from validator.config import Config
from validator.errors import FileAccessError, FtdataError, UsageError
from validator.purposes import PURPOSES, resolve_purpose

__all__ = ["REPORT_MAX_ERRORS", "register"]

REPORT_MAX_ERRORS = 500  # a page can list more than a terminal: the default unless configured


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("stats", help="describe datasets: lengths, turns, shares, duplicates",
                       description="Statistics of dataset files (JSONL, compressed JSONL, "
                                   "Parquet, CSV) read for their purpose, as validate reads "
                                   "them; a statistic that does not apply is said to; exit 2 "
                                   "if a file cannot be read or described.")
    s.add_argument("files", nargs="+", metavar="FILE", help="- reads standard input")
    s.add_argument("--name", metavar="NAME",
                   help="file name for standard input, to pick the file type (default "
                        "stdin.jsonl)")
    s.add_argument("--purpose", choices=(*PURPOSES, "auto"),
                   help="what the files are for (default: the configured purpose, else auto: "
                        "CSV is eval, the rest fine-tune)")
    s.add_argument("--output", "-o", choices=("text", "json"), default="text")
    add_config_options(s, severities=False)
    _token_options(s)
    s.set_defaults(run=_stats)

    r = sub.add_parser("report", help="write a self-contained HTML report of one dataset",
                       description="Validate a dataset and write one HTML page with the "
                                   "report, the issues and histograms; exit as validate.")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-o", "--out", required=True, metavar="HTML", help="the page to write")
    r.add_argument("--purpose", choices=(*PURPOSES, "auto"),
                   help="as for validate (default: the configured purpose, else fine-tune)")
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
    from validator.stats.dataset import profile_file, profile_stream  # noqa: PLC0415

    if args.files.count("-") > 1:
        raise UsageError("- (standard input) can be given only once")
    if args.name and "-" not in args.files:
        raise UsageError("--name names standard input: pass - among the files")
    settings = FileSettings(args)  # each file's [tool.ftdata], from its folder upwards
    tokenizer = _tokenizer(args)
    docs = []
    code = 0
    for path in args.files:
        name = (args.name or "stdin.jsonl") if path == "-" else path
        try:
            config = settings.config(path, name if path == "-" else None)
            purpose = resolve_purpose(args.purpose or config.purpose or "auto", name)
            if path == "-":
                profile = profile_stream(args.stdin, name, purpose, tokenizer=tokenizer,
                                         context_length=args.context_length, config=config)
            else:
                profile = profile_file(path, purpose, tokenizer=tokenizer,
                                       context_length=args.context_length, config=config)
        except FtdataError as exc:  # this file cannot be described: say so, go on
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
    unit = doc["unit"]
    lines = [f"{doc['path']}: {_count(doc['samples'], 'sample')} in "
             f"{_count(doc['lines'], unit.removesuffix('s'))} "
             f"({doc['blank_lines']:,} blank, {doc['unreadable_lines']:,} unreadable); "
             f"purpose {doc['purpose']}, read as {doc['read_as']}"]
    if "samples_per_format" in doc:
        formats = ", ".join(f"{k} {v:,}" for k, v in doc["samples_per_format"].items())
        lines.append(f"  formats: {formats or 'none'}")
    for key in ("messages_per_sample", "turns_per_sample", "chars_per_sample",
                "tokens_per_sample"):
        if key in doc and doc[key]["min"] is not None:
            d = doc[key]
            lines.append(f"  {key.replace('_', ' ')}: min {d['min']:,}  p50 {d['p50']:,}  "
                         f"p90 {d['p90']:,}  p99 {d['p99']:,}  max {d['max']:,}")
    if "samples_with" in doc:
        shares = ", ".join(f"{k.replace('_', ' ')} {doc['samples_with'][k]:,} ({v:.1%})"
                           for k, v in doc["share_of_samples"].items())
        lines.append(f"  samples with: {shares}")
    if "exact_duplicates" in doc:
        dup = doc["exact_duplicates"]
        lines.append(f"  exact duplicates: {_count(dup['samples'], 'sample')} repeat an "
                     f"earlier one ({_count(dup['groups'], 'distinct sample')} occur more "
                     "than once)")
    if doc["not_applicable"]:
        names = ", ".join(key.replace("_", " ") for key in doc["not_applicable"])
        lines.append(f"  not applicable to {doc['read_as']}: {names}")
    if "samples_over_context" in doc and doc["context_length"] is not None:
        lines.append(f"  over {doc['context_length']:,} tokens: {doc['samples_over_context']:,}")
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.atomic import check_target, write_file  # noqa: PLC0415
    from validator.report import Report  # noqa: PLC0415
    from validator.report.html import render_html  # noqa: PLC0415
    from validator.report.text import summary  # noqa: PLC0415
    from validator.run.pipeline import validate_file  # noqa: PLC0415
    from validator.stats.dataset import profile_file  # noqa: PLC0415

    if os.path.exists(args.out) and os.path.samefile(args.out, args.file):
        raise UsageError(f"refusing to overwrite the input {args.file}")
    check_target(args.out)  # before the work: no folder for it, or a folder
    config = config_from_args(args, base=Config(max_errors=REPORT_MAX_ERRORS), file=args.file)
    purpose = purpose_from_args(args, config, args.file)
    tokenizer = _tokenizer(args)
    note = None
    try:
        report = validate_file(args.file, purpose, config=config)
        try:
            profile = profile_file(args.file, purpose, tokenizer=tokenizer,
                                   context_length=args.context_length, config=config)
        except FileAccessError:
            raise
        except FtdataError as exc:  # nothing to describe for this purpose: the page says so
            profile, note = None, str(exc)
    except FileAccessError as exc:
        report, profile = Report.unreadable(args.file, purpose, exc.reason), None
    write_file(args.out, render_html(report, profile, note=note))  # whole or not at all
    out.write(f"wrote {args.out}\n{summary(report)}\n")
    if not report.readable:
        return 2
    return 0 if report.valid else 1
