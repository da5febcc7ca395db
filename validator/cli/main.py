"""The ``ftdata`` command: a thin shell over the library.

Exit codes: 0 every file valid, 1 some file invalid, 2 usage error or a file that cannot be
read. ``main(argv)`` returns the code and never raises for bad input.

Other packages add commands (the uploader adds ``upload``, ``serve`` and ``files``) through the
``ftdata.commands`` entry-point group: each entry point is a function ``register(subparsers)``
that adds its parsers with ``set_defaults(run=...)``, where ``run(args, stdout, stderr) -> int``.
The validator never imports them; they are loaded only when the command is not a built-in one,
so ``ftdata validate`` (the pre-commit hook) starts without them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import BinaryIO, TextIO

from validator import __version__
from validator.cli import data as cli_data
from validator.cli import models as cli_models
from validator.cli import rules as cli_rules
from validator.cli.options import (
    FileSettings,
    add_config_options,
    add_model_options,
    config_from_args,
    purpose_from_args,
)
from validator.cli.progress import Progress
from validator.cli.signals import Terminated, stop_on_signals
from validator.config import Config
from validator.errors import FileAccessError, FtdataError, UsageError
from validator.purposes import PURPOSES, resolve_purpose
from validator.report import Report
from validator.report.renderers import RENDERERS
from validator.run import allocator
from validator.run.pipeline import validate_file, validate_stream

__all__ = ["main"]

PROGRESS_MIN_BYTES = 32 * 2**20


Run = Callable[[argparse.Namespace, TextIO, TextIO], int]
BUILTIN = ("validate", "rules", "stats", "report", "schema", "models", "preview")


def _load_plugins(sub: argparse._SubParsersAction[argparse.ArgumentParser], err: TextIO) -> None:
    from importlib.metadata import entry_points  # noqa: PLC0415 - only for plugin commands

    for entry in entry_points(group="ftdata.commands"):
        try:
            entry.load()(sub)
        except Exception as exc:  # a broken plugin must not take the validator down
            err.write(f"ftdata: warning: command plugin {entry.name!r} failed to load: {exc}\n")


def _parser(argv: Sequence[str], err: TextIO) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftdata",
        description="Check LLM fine-tuning datasets against Together AI's rules.",
    )
    parser.add_argument("--version", "-V", action="version", version=f"ftdata {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser("validate", help="validate dataset files",
                       description="Validate dataset files; exit 0 valid, 1 invalid, 2 unreadable.")
    v.set_defaults(run=_validate)
    v.add_argument("files", nargs="+", metavar="FILE",
                   help="dataset files (*.jsonl, *.jsonl.gz, *.jsonl.zst, *.parquet, *.csv), or "
                        "folders of them (walked, hidden folders skipped, purpose by each "
                        "file's extension); - reads standard input")
    v.add_argument("--name", metavar="NAME",
                   help="file name for standard input, used in messages and to pick the file "
                        "type (default stdin.jsonl)")
    v.add_argument("--purpose", choices=(*PURPOSES, "auto"),
                   help="what the files are for (auto: CSV is eval, the rest fine-tune; "
                        "default: the configured purpose, else fine-tune)")
    v.add_argument("--output", "-o", choices=sorted(RENDERERS), default="text",
                   help="text (coloured on a terminal unless NO_COLOR is set), json, github "
                        "(Actions annotations) or sarif (SARIF 2.1.0, for code scanning)")
    v.add_argument("--output-file", metavar="PATH",
                   help="write the output to PATH instead of standard output, whole or not "
                        "at all")
    v.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing for valid files and only the issues of the others, no "
                        "summaries or progress (json, sarif and github output stay whole)")
    add_config_options(v)
    v.add_argument("--no-progress", action="store_true", help="never draw a progress line")
    v.add_argument("--split", nargs=2, metavar=("CLEAN", "REJECTED"),
                   help="also write every sample without error to CLEAN and every other line "
                        "to REJECTED, reasons in REJECTED's .issues.jsonl sidecar (one JSONL "
                        "input; outputs named *.gz or *.zst are compressed so)")
    v.add_argument("--scheduler", metavar="ADDRESS",
                   help="validate on a Dask cluster (tcp://host:8786), or 'local' for a "
                        "LocalCluster; FILEs may then be globs and fsspec URLs "
                        "(needs ftdata[dask])")
    v.add_argument("--cluster-workers", type=int, metavar="N",
                   help="with --scheduler local: worker processes (default: all cores)")
    v.add_argument("--workers", type=int, metavar="N",
                   help="processes per file (default: all cores for JSONL files of 64 MiB "
                        "or more, else 1); the report is the same for any N")
    add_model_options(v)

    cli_rules.register(sub)
    sc = sub.add_parser("schema", help="list the JSON Schemas of the formats, or print one",
                        description="Without NAME, list the schema names; with NAME, print that "
                                    "JSON Schema (Draft 2020-12) as one self-contained document.")
    sc.add_argument("name", nargs="?", metavar="NAME")
    sc.set_defaults(run=_schema)
    cli_data.register(sub)
    cli_models.register(sub)
    if not argv or argv[0] not in BUILTIN:
        _load_plugins(sub, err)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None, stdin: BinaryIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if argv is None:  # the command line's own process (not main() called by a program)
        allocator.own()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv, err)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own message; keep main() returning codes
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(err)
        return 2
    args.stdin = stdin if stdin is not None else sys.stdin.buffer
    run: Run = args.run
    try:
        with stop_on_signals():  # SIGTERM, SIGHUP: as Ctrl-C, then 128 + the signal
            code = run(args, out, err)
            out.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:  # `ftdata rules | head -1`: the reader has gone; exit quietly
        _stdout_to_devnull(out)
        return 141  # what a shell reports for a tool that SIGPIPE ended (128 + 13)
    except FtdataError as exc:
        err.write(f"ftdata: error: {exc}\n")
        return 2
    except Terminated as exc:  # workers stopped, outputs removed on the way out, as for Ctrl-C
        err.write(f"\nftdata: stopped by {exc.name}\n")
        return 128 + exc.signum
    except KeyboardInterrupt:  # Ctrl-C: workers are stopped on the way out; no traceback
        err.write("\nftdata: interrupted\n")
        return 130


def _stdout_to_devnull(out: TextIO) -> None:
    """Point the process's standard output at /dev/null, so that the interpreter's flush on
    exit does not fail on the closed pipe again (a ``BrokenPipeError`` message)."""
    if out is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.cli.walk import expand  # noqa: PLC0415 - only the validate command walks

    args.files, walked = expand(args.files)  # a folder stands for its dataset files
    settings = FileSettings(args)  # each file's [tool.ftdata], from its folder upwards
    show_progress = not args.no_progress and not args.quiet and err.isatty()
    if args.files.count("-") > 1:
        raise UsageError("- (standard input) can be given only once")
    if args.name and "-" not in args.files:
        raise UsageError("--name names standard input: pass - among the files")
    if args.output_file and any(os.path.realpath(args.output_file) == os.path.realpath(path)
                                for path in args.files if path != "-"):
        raise UsageError(f"refusing to overwrite the input {args.output_file} with the output")
    if args.cluster_workers is not None and not args.scheduler:
        raise UsageError("--cluster-workers sets the workers of --scheduler local: pass "
                         "--scheduler local too")
    if args.split:
        return _split(args, settings.config(args.files[0], _name(args, args.files[0])), out,
                      err)
    if args.scheduler:  # files may be URLs: the working directory's settings for all
        return _cluster(args, config_from_args(args), out)
    reports: list[Report] = []
    for path in args.files:
        name = _name(args, path)
        config = settings.config(path, name)
        purpose = settings.purpose(config, name)
        if path in walked and not args.purpose and not config.purpose:
            purpose = resolve_purpose("auto", name)  # found in a folder: by its extension
        if path == "-":
            reports.append(validate_stream(args.stdin, name, purpose, config=config))
            continue
        progress = None
        if show_progress:
            try:
                size = os.path.getsize(path)
            except OSError:
                size = 0
            if size >= PROGRESS_MIN_BYTES:
                progress = Progress(err, path, size)
        try:
            reports.append(validate_file(path, purpose, config=config, progress=progress,
                                         workers=args.workers))
        except FileAccessError as exc:
            reports.append(Report.unreadable(path, purpose, exc.reason))
        finally:
            if progress is not None:
                progress.close()
    _emit(args, out, _rendered(args, out, reports))
    return _exit_code(reports)


def _rendered(args: argparse.Namespace, out: TextIO, reports: Sequence[Report]) -> str:
    from validator.report.renderers import render  # noqa: PLC0415
    from validator.report.text import use_color  # noqa: PLC0415

    color = args.output == "text" and args.output_file is None and use_color(out)
    return render(args.output, reports, color=color, quiet=args.quiet)


def _emit(args: argparse.Namespace, out: TextIO, text: str) -> None:
    """``text`` to --output-file (atomically) or to ``out``."""
    if args.output_file is None:
        out.write(text)
        return
    from validator.report.renderers import write_output  # noqa: PLC0415

    write_output(args.output_file, text)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _name(args: argparse.Namespace, path: str) -> str:
    """The name a file goes by: its path, or --name for standard input."""
    return (args.name or "stdin.jsonl") if path == "-" else path


def _exit_code(reports: Sequence[Report]) -> int:
    if any(not r.readable for r in reports):
        return 2
    return 0 if all(r.valid for r in reports) else 1


def _split(args: argparse.Namespace, config: Config, out: TextIO, err: TextIO) -> int:
    from validator.run.split import split_file, split_stream  # noqa: PLC0415 - only for --split

    if len(args.files) != 1:
        raise UsageError("--split takes exactly one input file")
    (path,) = args.files
    clean, rejected = args.split
    name = _name(args, path)
    purpose = purpose_from_args(args, config, name)
    try:
        if path == "-":
            report, result = split_stream(args.stdin, clean, rejected, name, purpose,
                                          config=config)
        else:
            report, result = split_file(path, clean, rejected, purpose, config=config,
                                        workers=args.workers)
    except FileAccessError as exc:
        report = Report.unreadable(path, purpose, exc.reason)
        _emit(args, out, _rendered(args, out, [report]))
        return 2
    _emit(args, out, _rendered(args, out, [report]))
    c = result.counts
    if not args.quiet:
        err.write(f"ftdata: split {c.lines:,} lines of {name}: {c.clean:,} clean -> "
                  f"{result.clean}, {c.rejected:,} rejected -> {result.rejected} "
                  f"(reasons: {result.sidecar})\n")
    return 0 if report.valid else 1


def _cluster(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    from validator.run.cluster import validate_corpus  # noqa: PLC0415 - only with --scheduler

    if "-" in args.files:
        raise UsageError("--scheduler reads files and URLs, not standard input")
    purpose = args.purpose or config.purpose or "fine-tune"
    corpus = validate_corpus(args.files, purpose, config=config, scheduler=args.scheduler,
                             local_workers=args.cluster_workers)
    reports = corpus.reports
    if args.output == "json":
        import orjson  # noqa: PLC0415

        doc = {"files": [r.to_dict() for r in reports], "corpus": corpus.summary()}
        _emit(args, out, orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return _exit_code(reports)
    text = _rendered(args, out, reports)
    if args.output in ("text", "github") and not args.quiet:  # never after a SARIF document
        s = corpus.summary()
        text += (f"corpus: {_count(s['files'], 'file')}, {_count(s['samples'], 'sample')}, "
                 f"{_count(s['bytes'], 'byte')}: {s['valid']:,} valid, {s['invalid']:,} invalid "
                 f"({s['unreadable']:,} unreadable); {_count(s['errors'], 'error')}, "
                 f"{_count(s['warnings'], 'warning')}\n")
    _emit(args, out, text)
    return _exit_code(reports)


def _schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator import schemas  # noqa: PLC0415 - only for this command

    if args.name is None:
        out.write("".join(f"{name}\n" for name in schemas.names()))
        return 0
    if args.name not in schemas.names():  # UsageError: main() reports it and exits 2
        raise UsageError(f"unknown schema {args.name!r}: use one of {', '.join(schemas.names())}")
    out.write(json.dumps(schemas.bundle(args.name), indent=2, ensure_ascii=False) + "\n")
    return 0
