"""``ftdata stats`` and ``ftdata report``: describe a dataset, as text, JSON or one HTML page.

Kept apart from the validate command so its start-up stays lean; they share its options.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from validator.cli.options import (
    FileSettings,
    add_config_options,
    add_model_options,
    config_from_args,
    purpose_from_args,
)
from validator.config import Config
from validator.errors import FileAccessError, FtdataError, UsageError
from validator.purposes import PURPOSES, resolve_purpose

if TYPE_CHECKING:
    from validator.report import Report

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
    s.add_argument("--against", nargs="+", action="extend", metavar="FILE",
                   help="validation files: count their samples (and prompts) that also occur "
                        "in each FILE")
    s.add_argument("--output", "-o", choices=("text", "json"), default="text")
    s.add_argument("--workers", type=int, metavar="N",
                   help="processes per file (default: all cores for JSONL files of 64 MiB "
                        "or more, else 1); the statistics are the same for any N")
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
    r.add_argument("--against", nargs="+", action="extend", metavar="FILE",
                   help="validation files: show their samples that also occur in FILE")
    add_config_options(r, max_errors_default=REPORT_MAX_ERRORS)
    _token_options(r)
    r.set_defaults(run=_report)


def _token_options(parser: argparse.ArgumentParser) -> None:
    add_model_options(parser)
    parser.add_argument("--context-length", type=int, metavar="N",
                        help="with --tokenizer and no model: count samples longer than N tokens")


_PLAIN_ONLY = ("--context-length counts plain text, without a model: with {model} the limit "
               "is --max-seq-length")


class _Tokens:
    """How ``stats`` and ``report`` count tokens. With a model (``--model``, or ``model`` in
    ``[tool.ftdata]``): as ``validate --model`` does, the validation's counts. Without one,
    ``--tokenizer TOKENIZER_JSON`` counts each sample's plain text (``--context-length``: how
    many are longer)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.context_length: int | None = args.context_length
        self.path: str | None = None
        if args.model is None and args.chat_template is None and args.tokenizer is not None:
            self.path, args.tokenizer = args.tokenizer, None  # a model from the config takes it
        if self.context_length is not None and self.path is None:
            raise UsageError(_PLAIN_ONLY.format(model=args.model) if args.model is not None
                             else "--context-length needs --tokenizer")

    def config(self, config: Config) -> Config:
        """``config`` with the tokenizer given for its model, if it has one."""
        if config.model is None:
            return config
        if self.context_length is not None:
            raise UsageError(_PLAIN_ONLY.format(model=config.model.model))
        if self.path is not None:
            config = replace(config, model=config.model.merged(tokenizer=self.path))
        return config

    def plain(self, config: Config) -> str | None:
        """The plain tokenizer file for a file of ``config`` (None with a model, or none
        given), loaded once here so a bad one is refused before any file is read."""
        if config.model is not None or self.path is None:
            return None
        from validator.stats.dataset import load_tokenizer  # noqa: PLC0415

        load_tokenizer(self.path)
        return self.path


def _stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.files.count("-") > 1:
        raise UsageError("- (standard input) can be given only once")
    if args.name and "-" not in args.files:
        raise UsageError("--name names standard input: pass - among the files")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, not {args.workers}")
    if args.against and "-" in args.files + args.against:
        raise UsageError("--against compares files: pass files, not - (standard input)")
    import tempfile  # noqa: PLC0415 - not at start-up: the hook's validate never needs it

    with tempfile.TemporaryDirectory(prefix="ftdata-stats-") as folder:
        stats = _Stats(args, err, folder)
        against = [(path, table) for path in args.against or ()
                   if (table := stats.table(path)) is not None]
        if len(against) < len(args.against or ()):  # said on err: no leakage counted short
            return stats.code
        docs = []
        for path in args.files:
            doc = stats.describe(path, keep=bool(args.against))
            if doc is None:
                continue
            if args.against:
                from validator.stats.analysis import leakage  # noqa: PLC0415

                doc["leakage"] = leakage(stats.tables.pop(path), against)
            docs.append(doc)
    if args.output == "json":
        out.write(orjson.dumps({"files": docs}, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write("".join(_stats_text(doc) for doc in docs))
    return stats.code


class _Stats:
    """Describes the files of one ``ftdata stats`` run; a file that cannot be described is
    reported on ``err`` and sets :attr:`code` to 2."""

    def __init__(self, args: argparse.Namespace, err: TextIO, folder: str) -> None:
        self.args, self.err, self.folder = args, err, folder
        self.tokens = _Tokens(args)
        self.settings = FileSettings(args)  # each file's [tool.ftdata], from its folder upwards
        self.tables: dict[str, str] = {}  # feature tables kept for --against
        self.code = 0

    def table(self, path: str) -> str | None:
        """The feature table of a validation file (--against)."""
        return self.tables[path] if self.describe(path, keep=True) is not None else None

    def describe(self, path: str, *, keep: bool) -> dict[str, Any] | None:
        from validator.stats.dataset import examine  # noqa: PLC0415

        args, tokens = self.args, self.tokens
        name = (args.name or "stdin.jsonl") if path == "-" else path
        table = os.path.join(self.folder, f"{len(self.tables)}.arrow") if keep else None
        try:
            config = tokens.config(self.settings.config(path, name if path == "-" else None))
            purpose = resolve_purpose(args.purpose or config.purpose or "auto", name)
            report, profile = examine(
                name, purpose, tokenizer=tokens.plain(config), features=table,
                context_length=tokens.context_length, config=replace(config, max_errors=0),
                workers=args.workers, stream=args.stdin if path == "-" else None)
            doc = profile.to_dict()
            if report is not None:  # read in the validation scan: what it found
                doc["issues"] = {"errors": report.errors, "warnings": report.warnings}
                model_tokens(doc, report)
        except UsageError:
            raise  # the same for every file: exit 2 at once
        except FtdataError as exc:  # this file cannot be described: say so, go on
            self.err.write(f"ftdata: error: {exc}\n")
            self.code = 2
            return None
        if table is not None:
            if profile.analysis is None:
                raise UsageError(f"{path}: --against compares JSONL or CSV samples, not "
                                 f"{profile.reading} rows")
            self.tables[path] = table
        return doc


def model_tokens(doc: dict[str, Any], report: Report) -> None:
    """``doc["tokens"]``: the tokens as the model sees them (``report.stats.tokens``, from the
    validation the statistics were read in), its distributions the feature table's exact ones
    (``doc``'s) rather than the validation's estimates."""
    tokens = report.stats.get("tokens")
    if not isinstance(tokens, dict):
        return
    for key in ("tokens_per_sample", "trained_tokens_per_sample"):
        if key in doc:
            tokens[key] = doc[key]
    doc["tokens"] = tokens


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
                "tokens_per_sample", "trained_tokens_per_sample"):
        if key in doc and doc[key]["min"] is not None:
            d = doc[key]
            lines.append(f"  {key.replace('_', ' ')}: min {d['min']:,}  p50 {d['p50']:,}  "
                         f"p90 {d['p90']:,}  p99 {d['p99']:,}  max {d['max']:,}")
    if "samples_with" in doc:
        shares = ", ".join(f"{k.replace('_', ' ')} {doc['samples_with'][k]:,} ({v:.1%})"
                           for k, v in doc["share_of_samples"].items())
        lines.append(f"  samples with: {shares}")
    if "duplicates" in doc and "exact_duplicates" in doc:
        lines += _duplicates_text(doc["duplicates"])
    elif "exact_duplicates" in doc:
        dup = doc["exact_duplicates"]
        lines.append(f"  exact duplicates: {_count(dup['samples'], 'sample')} repeat an "
                     f"earlier one ({_count(dup['groups'], 'distinct sample')} occur more "
                     "than once)")
    if "issues" in doc:
        found = doc["issues"]
        lines.append(f"  issues: {_count(found['errors'], 'error')}, "
                     f"{_count(found['warnings'], 'warning')}"
                     + (" (ftdata validate lists them)" if found["errors"] or found["warnings"]
                        else ""))
    if doc.get("longest"):
        top = ", ".join(f"line {s['line']:,} ({s['chars']:,} chars)" for s in doc["longest"][:3])
        lines.append(f"  longest: {top}")
    if "leakage" in doc:
        lines += _leakage_text(doc["leakage"])
    if doc["not_applicable"]:
        names = ", ".join(key.replace("_", " ") for key in doc["not_applicable"])
        lines.append(f"  not applicable to {doc['read_as']}: {names}")
    if "samples_over_context" in doc and doc["context_length"] is not None:
        lines.append(f"  over {doc['context_length']:,} tokens: {doc['samples_over_context']:,}")
    if doc.get("tokens"):
        lines += _tokens_text(doc["tokens"])
    return "\n".join(lines) + "\n"


def _against(paths: list[str], purpose: str, config: Config, folder: str,
             table: str) -> dict[str, Any]:
    """``report --against``: the leakage of the validation files into the report's file."""
    from validator.stats.analysis import leakage  # noqa: PLC0415
    from validator.stats.dataset import profile_file  # noqa: PLC0415

    tables = []
    for i, path in enumerate(paths):
        other = os.path.join(folder, f"against-{i}.arrow")
        profile_file(path, purpose, config=replace(config, model=None, max_errors=0),
                     features=other)
        tables.append((path, other))
    return leakage(table, tables)


def _duplicates_text(dup: dict[str, Any]) -> list[str]:
    if not dup["exact"] and not dup["near"]:
        return ["  duplicates: none, exact or after case and whitespace folding"]
    verb = "repeats" if dup["exact"] == 1 else "repeat"
    lines = [f"  duplicates: {_count(dup['exact'], 'sample')} {verb} an earlier one exactly "
             f"({_count(dup['exact_groups'], 'group')}), {dup['near']:,} more only after case "
             f"and whitespace folding ({_count(dup['near_groups'], 'group')})"]
    for group in dup["groups"][:3]:
        more = "..." if group["samples"] > len(group["lines"]) else ""
        lines.append(f"    {group['samples']:,} {group['kind']} on lines "
                     f"{', '.join(f'{n:,}' for n in group['lines'])}{more}")
    return lines


def _leakage_text(leak: dict[str, Any]) -> list[str]:
    lines = [f"  in {other['path']}, also in this file: {_count(other['samples'], 'sample')}, "
             f"{_count(other['prompts'], 'prompt')}" for other in leak["against"]]
    lines += [f"    {pair['against']}:{pair['line']:,} = line {pair['train_line']:,}"
              for pair in leak["pairs"][:5]]
    return lines


def _tokens_text(tokens: dict[str, Any]) -> list[str]:
    limit = tokens["max_seq_length"]
    lines = [f"  tokens as {tokens['model']} sees them: {tokens['tokens']:,}, "
             f"{tokens['trained_tokens']:,} trained, in "
             f"{_count(tokens['samples_counted'], 'sample')} counted (those without errors)"]
    source = tokens.get("limits_source")
    if source:
        where = source if source.startswith("GET ") else f"the bundled table ({source})"
        lines.append(f"  limits from: {where}")
    if limit is not None:
        lines.append(f"  over max_seq_length {limit:,} (truncated): "
                     f"{_count(tokens['samples_truncated'], 'sample')}")
    if tokens["samples_uncounted"]:
        lines.append(f"  not counted (the chat template refused them; validate --model "
                     f"says why): "
                     f"{_count(tokens['samples_uncounted'], 'sample')}")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.atomic import check_target, write_file  # noqa: PLC0415
    from validator.report import Report  # noqa: PLC0415
    from validator.report.html import render_html  # noqa: PLC0415
    from validator.report.text import summary  # noqa: PLC0415
    from validator.run.pipeline import validate_file  # noqa: PLC0415
    from validator.stats.dataset import examine  # noqa: PLC0415

    if os.path.exists(args.out) and os.path.samefile(args.out, args.file):
        raise UsageError(f"refusing to overwrite the input {args.file}")
    check_target(args.out)  # before the work: no folder for it, or a folder
    config = config_from_args(args, base=Config(max_errors=REPORT_MAX_ERRORS), file=args.file)
    purpose = purpose_from_args(args, config, args.file)
    tokens = _Tokens(args)
    config = tokens.config(config)
    tokenizer = tokens.plain(config)
    import tempfile  # noqa: PLC0415

    note = leak = None
    with tempfile.TemporaryDirectory(prefix="ftdata-report-") as folder:
        table = os.path.join(folder, "file.arrow") if args.against else None
        try:
            try:  # read once: the statistics come from the validation scan
                found, profile = examine(args.file, purpose, tokenizer=tokenizer,
                                         features=table, context_length=tokens.context_length,
                                         config=config)
            except FileAccessError:
                raise
            except FtdataError as exc:  # nothing to describe for this purpose: say so
                found, profile, note = None, None, str(exc)
            # CSV and Parquet files are described apart from their validation
            report = found if found is not None else validate_file(args.file, purpose,
                                                                    config=config)
            if found is not None and profile is not None:
                model_tokens(profile.to_dict(), report)
        except FileAccessError as exc:
            report, profile = Report.unreadable(args.file, purpose, exc.reason), None
        if table is not None and profile is not None and profile.analysis is not None:
            leak = _against(args.against, purpose, config, folder, table)
        write_file(args.out, render_html(report, profile, note=note, leakage=leak))
    out.write(f"wrote {args.out}\n{summary(report)}\n")
    if not report.readable:
        return 2
    return 0 if report.valid else 1
