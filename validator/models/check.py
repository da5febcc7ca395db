"""The model-aware checks of SPEC §6 (``--model``): tokens as the model sees them, what a
truncation cuts, and whether the model can learn what the data teaches.

Together truncates a sample longer than the model's maximum sequence length rather than
rejecting it, so every rule here is a warning. Per sample, in batches (one tokenizer call per
:data:`BATCH` samples): ``sample-truncated`` (how many tokens and trained tokens the cut
loses), ``sample-truncated-untrained`` (the cut removes every trained token),
``reasoning-multi-turn`` (a reasoning model trains only the last assistant message) and
``sample-tokens-uncounted`` (the chat template refused the sample). Per file, from the
report's flags: ``model-no-tools``, ``model-no-vision``, ``model-no-reasoning`` and
``reasoning-data-missing``.

Samples are counted after the line's other checks, a batch at a time, so their issues are
collected apart (:class:`TokenTally`, carried in the file's :class:`~validator.collect.Tally`
and merged piece by piece like it) and join the report's after the other line issues: the
report is the same for any number of workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator.collect import Collector
from validator.config import Config
from validator.models import ModelLimits, context_length, find_model
from validator.models.settings import ModelSettings
from validator.stats.sketch import Sketch

if TYPE_CHECKING:
    from validator.collect import Tally
    from validator.tokens import ChatTokenizer, TokenCount

__all__ = ["BATCH", "ModelCheck", "TokenTally", "file_checks", "model_limits", "prepare",
           "tokenizer_for", "unsupported"]

BATCH = 256  # samples per tokenizer call: enough to keep its threads busy, little memory
_TOKENIZERS: dict[tuple[str | None, str | None, str], ChatTokenizer] = {}  # per process
_SIDES = (("preferred_output", "the preferred side"),
          ("non_preferred_output", "the non-preferred side"))


class TokenTally:
    """Token statistics and the token issues of one file (or a piece of it)."""

    __slots__ = ("approximate", "config", "limit", "model", "out", "samples", "source",
                 "tokens", "total", "trained", "trained_total", "truncated", "uncounted")

    def __init__(self, config: Config, model: str, limit: int | None, source: str = "") -> None:
        self.config = config
        self.model = model
        self.source = source  # where the model's limits were read
        self.limit = limit  # of the file's samples (SFT, or each DPO side), for the report
        self.out = Collector(config)
        self.tokens = Sketch()  # tokens per sample (per side for preference data)
        self.trained = Sketch()
        self.samples = self.truncated = self.total = self.trained_total = 0
        self.approximate = self.uncounted = 0

    def empty(self) -> TokenTally:
        """A tally of the same model and settings with nothing counted yet."""
        return TokenTally(self.config, self.model, self.limit, self.source)

    def merge(self, other: TokenTally, shift: int) -> None:
        self.out.merge(other.out, shift)
        if self.limit is None:
            self.limit = other.limit
        self.source = self.source or other.source
        self.tokens.merge(other.tokens)
        self.trained.merge(other.trained)
        self.samples += other.samples
        self.truncated += other.truncated
        self.total += other.total
        self.trained_total += other.trained_total
        self.approximate += other.approximate
        self.uncounted += other.uncounted

    def summary(self) -> dict[str, Any]:
        return {"model": self.model, "max_seq_length": self.limit,
                "limits_source": self.source,
                "samples_counted": self.samples,
                "tokens": self.total, "trained_tokens": self.trained_total,
                "tokens_per_sample": self.tokens.distribution(),
                "trained_tokens_per_sample": self.trained.distribution(),
                "tokens_histogram": [list(b) for b in self.tokens.histogram()],
                "samples_truncated": self.truncated, "samples_uncounted": self.uncounted,
                "samples_approximate": self.approximate}


def prepare(settings: ModelSettings) -> tuple[ModelLimits, ChatTokenizer]:
    """The model's limits and its tokenizer, loaded once per process (workers forked after
    this share it): a wrong name, a missing package or an unreachable tokenizer is a usage
    error before any file is read."""
    limits = model_limits(settings)
    if settings.full_training and limits.supports_full_training is False:
        from validator.errors import UsageError  # noqa: PLC0415

        raise UsageError(f"{limits.id} is fine-tuned with LoRA only: drop full-training")
    return limits, tokenizer_for(settings, limits)


def tokenizer_for(settings: ModelSettings, limits: ModelLimits) -> ChatTokenizer:
    """The tokenizer that counts for ``limits``' model: ``settings.tokenizer`` when given,
    else the model's own (mistral-common's shipped one, or its Hugging Face repository's);
    loaded once per process."""
    key = (settings.tokenizer, settings.chat_template, limits.id)
    tokenizer = _TOKENIZERS.get(key)
    if tokenizer is None:
        from validator.tokens import load_tokenizer  # noqa: PLC0415 - the tokens extra

        if settings.tokenizer is not None:
            tokenizer = load_tokenizer(settings.tokenizer, chat_template=settings.chat_template)
        elif limits.mistral_tokenizer is not None:
            tokenizer = load_tokenizer(f"mistral:{limits.mistral_tokenizer}")
        else:
            tokenizer = load_tokenizer(limits.tokenizer, chat_template=settings.chat_template)
        _TOKENIZERS[key] = tokenizer
    return tokenizer


def limit_for(settings: ModelSettings, limits: ModelLimits, fmt: str) -> int:
    """The tokens one sequence of ``fmt`` may hold: ``max-seq-length`` when given, else the
    model's for the training method (``auto``: DPO for preference data)."""
    if settings.max_seq_length is not None:
        return settings.max_seq_length
    method = settings.training_method
    if method == "auto":
        method = "dpo" if fmt == "preference_openai" else "sft"
    return context_length(limits, method, lora=not settings.full_training)


class ModelCheck:
    """Counts the samples of one scan against the model; issues go to ``tally.out``."""

    def __init__(self, settings: ModelSettings, config: Config) -> None:
        self.settings = settings
        self.limits, self.tokenizer = prepare(settings)
        self.tally = TokenTally(config, self.limits.id, None, self.limits.source)
        self.pending: list[tuple[int, dict[str, Any], str]] = []
        # each counted sample's (tokens, trained tokens) by line, when a feature table wants
        # them (validator.stats.rows); a preference sample's two sides together
        self.counts: dict[int, tuple[int, int]] | None = None

    def sample(self, lineno: int, record: dict[str, Any], fmt: str) -> None:
        """Count ``record`` (a valid sample of ``fmt``) with the next batch."""
        if fmt == "conversation" and self.limits.reasoning_model:
            self._turns(lineno, record)
        self.pending.append((lineno, record, fmt))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        by_format: dict[str, list[int]] = {}
        for index, (_, _, fmt) in enumerate(pending):
            by_format.setdefault(fmt, []).append(index)
        results: list[Any] = [None] * len(pending)
        for fmt, indexes in by_format.items():
            counted = self.tokenizer.count_many(
                [pending[i][1] for i in indexes], fmt,
                train_on_inputs=self.settings.train_on_inputs,
                reasoning_model=self.limits.reasoning_model)
            for i, result in zip(indexes, counted, strict=True):
                results[i] = result
        for (lineno, record, fmt), result in zip(pending, results, strict=True):
            self._judge(lineno, record, fmt, result)

    def _lacks(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` uses what the model does not support (then the file-level
        ``model-no-*`` warning says so, and a template refusing it is no news)."""
        return unsupported(self.limits, record) is not None

    def _judge(self, lineno: int, record: dict[str, Any], fmt: str, result: Any) -> None:
        from validator.tokens import CountError, PreferenceCount  # noqa: PLC0415

        tally = self.tally
        if isinstance(result, CountError):
            tally.uncounted += 1
            if not self._lacks(record):
                tally.out.add_at(lineno, "sample-tokens-uncounted", None,
                                 f"tokens not counted: {result}; the model may not read this "
                                 "sample as intended")
            return
        tally.samples += 1
        limit = limit_for(self.settings, self.limits, fmt)
        if tally.limit is None:
            tally.limit = limit
        if isinstance(result, PreferenceCount):
            cut = False
            for (key, side), count in zip(_SIDES, result.sides, strict=True):
                cut |= self._count(lineno, count, limit, (key,), f"{side} (input and output)")
            tally.truncated += cut
            sides: tuple[TokenCount, ...] = result.sides
        else:
            tally.truncated += self._count(lineno, result, limit, None, "sample")
            sides = (result,)
        if self.counts is not None:
            self.counts[lineno] = (sum(c.total for c in sides), sum(c.trained for c in sides))

    def _count(self, lineno: int, count: TokenCount, limit: int, where: tuple[str, ...] | None,
               what: str) -> bool:
        tally = self.tally
        tally.tokens.add(count.total)
        tally.trained.add(count.trained)
        tally.total += count.total
        tally.trained_total += count.trained
        tally.approximate += count.approximate
        if count.total <= limit:
            return False
        lost, trained = count.trained_after(limit), count.trained
        about = "about " if count.approximate else ""
        head = (f"{what} is {about}{count.total:,} tokens, over the {limit:,} of "
                f"{self.limits.id if self.settings.max_seq_length is None else 'max-seq-length'}")
        if trained and lost >= trained:
            tally.out.add_at(lineno, "sample-truncated-untrained", where,
                             f"{head}: the cut removes all {trained:,} of its trained tokens, "
                             "so it trains nothing; shorten what comes before the answer or "
                             "split the sample")
        else:
            tally.out.add_at(lineno, "sample-truncated", where,
                             f"{head}: the last {count.total - limit:,} tokens are cut, "
                             f"{lost:,} of its {trained:,} trained tokens with them; shorten "
                             "or split it")
        return True

    def _turns(self, lineno: int, record: dict[str, Any]) -> None:
        """A reasoning model trains only the last assistant message (SPEC §6)."""
        messages = record.get("messages")
        if not isinstance(messages, list):
            return
        replies = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"
                   and "weight" not in m]
        if len(replies) > 1:
            self.tally.out.add_at(
                lineno, "reasoning-multi-turn", ("messages",),
                f"{self.limits.id} is a reasoning model, which trains only the last assistant "
                "message: the assistant messages before it do not train; split the sample "
                "into one per reply")


def unsupported(limits: ModelLimits, record: dict[str, Any]) -> str | None:
    """What ``record`` uses that the model of ``limits`` does not support (tools, reasoning
    or images), or None."""
    if not limits.supports_tools and "tools" in record:
        return "tools"
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None
    for message in messages:
        if not isinstance(message, dict):
            continue
        if not limits.supports_tools and (message.get("role") == "tool"
                                          or "tool_calls" in message):
            return "tools"
        if not limits.supports_reasoning and ("reasoning" in message
                                              or "reasoning_content" in message):
            return "reasoning"
        if not limits.supports_vision and isinstance(message.get("content"), list):
            return "images"
    return None


def model_limits(settings: ModelSettings) -> ModelLimits:
    """The model's limits: the bundled table's, or the limits endpoint's when a key is set
    (:mod:`validator.models.remote`)."""
    from validator.models.remote import from_api  # noqa: PLC0415

    return from_api(find_model(settings.model))


def file_checks(settings: ModelSettings, tally: Tally, out: Collector) -> None:
    """The rules on the whole file: what the data teaches against what the model supports."""
    limits = model_limits(settings)
    model = limits.id
    if tally.has_tools and not limits.supports_tools:
        out.add_at(None, "model-no-tools", None,
                   f"the file has tool calls or tool definitions, but {model} is not "
                   "fine-tuned for tool calling: pick a model that supports tools or drop them")
    if tally.is_multimodal and not limits.supports_vision:
        out.add_at(None, "model-no-vision", None,
                   f"the file has images, but {model} is not fine-tuned on images: pick a "
                   "vision model or drop the images")
    if tally.has_reasoning and not limits.supports_reasoning:
        out.add_at(None, "model-no-reasoning", None,
                   f"the file has reasoning, but {model} is not fine-tuned on reasoning: pick a "
                   "reasoning model or drop the reasoning fields")
    if limits.reasoning_model and not tally.has_reasoning and tally.formats.get("conversation"):
        out.add_at(None, "reasoning-data-missing", None,
                   f"{model} is a reasoning model, but no sample has reasoning: training it "
                   "without any can degrade its reasoning; add reasoning to the assistant "
                   "messages")
