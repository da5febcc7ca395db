"""``ftdata models``: the fine-tuning models ftdata knows, their context lengths and
capabilities, from the bundled table (:mod:`validator.models`), which is read only when the
command runs, so ``ftdata validate`` starts without it.

Without MODEL, a table of every model with the sources and date in a footer; with MODEL, that
model's every field. An unknown MODEL is a usage error (exit 2) listing close names.

``ftdata preview FILE --model MODEL``: the file's first rows as the model sees them
(:func:`validator.preview`, what Together's ``POST /fine-tunes/preview`` answers): per row its
tokens, with the trained ones between ``[[`` and ``]]``, and the counts; ``--output json`` is
the endpoint's answer.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from validator.models import BatchLimits, ModelLimits, ModelTable

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    m = sub.add_parser(
        "models", help="list Together's fine-tuning models and their limits, or show one",
        description="Without MODEL, list every model ftdata knows: its API id, SFT and DPO "
                    "context lengths and capabilities, from a bundled table whose sources and "
                    "date close the list. With MODEL (an id, in any case, or the part after "
                    "the slash), show all of that model's limits; exit 2 if it is unknown.")
    m.add_argument("model", nargs="?", metavar="MODEL",
                   help="a model, such as meta-llama/Meta-Llama-3.1-8B-Instruct-Reference")
    m.add_argument("--output", "-o", choices=("text", "json"), default="text")
    m.set_defaults(run=_run)
    p = sub.add_parser(
        "preview", help="show a file's first rows tokenized as the model sees them",
        description="Tokenize the first rows of FILE (conversation, instruction or general "
                    "data) with MODEL's chat template and tokenizer, cut to its SFT limit, "
                    "as Together's fine-tuning preview does: each row's tokens, which of them "
                    "train (between [[ and ]]), and whether the cut removed any. Needs "
                    "ftdata[tokens].")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--model", required=True, metavar="MODEL", help="an id of `ftdata models`")
    p.add_argument("--top-k", type=int, default=5, metavar="N",
                   help="rows to show, from the start of the file (1-50, default 5)")
    p.add_argument("--train-on-inputs", action="store_true",
                   help="train the prompt too (default: only the answers train)")
    p.add_argument("--max-seq-length", type=int, metavar="N",
                   help="the job's max_seq_length (default: the model's SFT context)")
    p.add_argument("--tokenizer", metavar="PATH|HUB_ID",
                   help="the tokenizer to use instead of the model's own (as for validate)")
    p.add_argument("--chat-template", metavar="FILE", help="a Jinja chat template")
    p.add_argument("--tokens", type=int, default=64, metavar="N",
                   help="tokens to print per row (default 64; 0: all)")
    p.add_argument("--output", "-o", choices=("text", "json"), default="text")
    p.set_defaults(run=_preview)


def _preview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.models.preview import preview  # noqa: PLC0415 - see the docstring

    found = preview(args.file, args.model, top_k=args.top_k,
                    train_on_inputs=args.train_on_inputs, tokenizer=args.tokenizer,
                    chat_template=args.chat_template, max_seq_length=args.max_seq_length,
                    remote=True)
    if args.output == "json":
        out.write(json.dumps(found.to_api(), ensure_ascii=False) + "\n")
        return 0
    out.write(f"{found.model}: {found.dataset_format} data, max_seq_length "
              f"{found.max_seq_length:,}, train_on_inputs {str(found.train_on_inputs).lower()}; "
              "trained tokens are between [[ and ]]\n")
    for row in found.rows:
        spans = ", ".join(f"{start}-{end}" for start, end in row.trained_spans) or "none"
        cut = f", cut to {found.max_seq_length:,}" if row.truncated else ""
        about = " (token ranges approximate)" if row.approximate else ""
        out.write(f"\nline {row.line}: {row.num_tokens:,} tokens{cut}, "
                  f"{row.num_trained_tokens:,} trained (tokens {spans}){about}\n")
        out.write("  " + _tokens(row.tokens, row.trained_spans, args.tokens) + "\n")
    return 0


def _tokens(tokens: tuple[str, ...], spans: tuple[tuple[int, int], ...], limit: int) -> str:
    """The tokens, control characters escaped, the trained spans between [[ and ]]."""
    shown = tokens if limit <= 0 else tokens[:limit]
    starts = {start for start, _ in spans}
    ends = {end for _, end in spans}
    words: list[str] = []
    for i, token in enumerate(shown):
        word = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                       for c in token)
        words.append(("[[" if i in starts else "") + word)
        if i + 1 in ends:
            words[-1] += "]]"
    if len(shown) < len(tokens):  # a span going on past what is shown stays open
        words.append(f"... ({len(tokens) - len(shown):,} more)")
    return " ".join(words)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from validator.models import find_model, model_table  # noqa: PLC0415 - see the docstring

    table = model_table()
    if args.model is not None:
        from validator.models.remote import from_api  # noqa: PLC0415

        model = from_api(find_model(args.model))  # UsageError: main() reports it and exits 2
        if args.output == "json":
            out.write(json.dumps(model.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(_one(model) + _footer(table))
        return 0
    if args.output == "json":
        doc = {"taken": table.taken, "sources": dict(table.sources),
               "models": [m.to_dict() for m in table.models.values()]}
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return 0
    out.write(_table(table) + _footer(table))
    return 0


def _capabilities(model: ModelLimits) -> str:
    # a reasoning model reasons by default: only the last assistant turn trains
    reasoning = "reasoning (reasoning model)" if model.reasoning_model else "reasoning"
    words = [word for word, has in (("tools", model.supports_tools),
                                    ("vision", model.supports_vision),
                                    (reasoning, model.supports_reasoning)) if has]
    if model.supports_full_training:
        words.append("full training")
    elif model.supports_full_training is None:
        words.append("full training unknown")
    else:
        words.append("LoRA only")
    return ", ".join(words)


def _table(table: ModelTable) -> str:
    rows = [("MODEL", "SFT CTX", "DPO CTX", "CAPABILITIES")]
    rows += [(m.id, f"{m.max_seq_length_sft:,}", f"{m.max_seq_length_dpo:,}", _capabilities(m))
             for m in table.models.values()]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(f"{r[0]:<{width[0]}}  {r[1]:>{width[1]}}  {r[2]:>{width[2]}}  {r[3]}\n"
                   for r in rows)


def _one(model: ModelLimits) -> str:
    full = {True: "yes", False: "no (LoRA only)", None: "unknown"}[model.supports_full_training]
    lines = [
        ("max_seq_length_sft", f"{model.max_seq_length_sft:,}"),
        ("max_seq_length_dpo", f"{model.max_seq_length_dpo:,} (with LoRA, "
                               f"{model.max_seq_length_dpo // 2:,} for each output)"),
        ("min_max_seq_length", f"{model.min_max_seq_length:,}"),
        ("supports_tools", _yes(model.supports_tools)),
        ("supports_vision", _yes(model.supports_vision)),
        ("supports_reasoning", _yes(model.supports_reasoning)),
        ("reasoning model", _yes(model.reasoning_model)
         + (" (only the last assistant message trains)" if model.reasoning_model else "")),
        ("supports_full_training", full),
        ("LoRA batch sizes", _batch(model.lora_batch)),
        ("full batch sizes", _batch(model.full_batch)),
        ("tokenizer", model.tokenizer + (f" (mistral-common tokenizer {model.mistral_tokenizer})"
                                         if model.mistral_tokenizer else "")),
        ("source", model.source),
    ]
    width = max(len(name) for name, _ in lines)
    return model.id + "\n" + "".join(f"  {name:<{width}}  {value}\n" for name, value in lines)


def _batch(limits: BatchLimits | None) -> str:
    if limits is None:
        return "unknown"
    return (f"{limits.max_batch_size} SFT, {limits.max_batch_size_dpo} DPO, "
            f"{limits.min_batch_size} min")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _footer(table: ModelTable) -> str:
    count = len(table.models)
    return (f"\n{count} model{'' if count == 1 else 's'} in ftdata's table, taken "
            f"{table.taken} from:\n" + "".join(f"  {url}\n" for url in table.sources.values()))
