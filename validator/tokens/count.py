"""Token counts as the model sees them, and which of those tokens train.

A backend (``hf.HFBackend`` for ``tokenizer.json`` + chat template, ``mistral.MistralBackend``
for mistral-common) cuts each sample into *segments*: the token range of every message (of a
conversation) or of every piece (instruction prompt / completion, general text). This module
decides which segments train and turns them into :class:`TokenCount` spans.

Which tokens train (SPEC §2.2, §6), per message of a conversation:

- an explicit message ``weight`` decides: 1 (or true) trains, 0 (or false) does not;
- otherwise ``train_on_inputs`` "true" trains every message; "false" and "auto" train only
  assistant messages;
- with ``reasoning_model=True`` an assistant message without a weight trains only when it is
  the last assistant message (the platform trains reasoning models on the last turn).

Instruction data trains the completion (and the prompt when ``train_on_inputs`` is "true");
general text trains everything; a preference sample trains its output message on each side
(DPO ignores ``train_on_inputs`` and message weights). A root-level sample ``weight`` scales
the loss and is not applied here. Tokens a template adds outside any message (a BOS, a
trailing suffix) belong to the first or last message's range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from validator.errors import UsageError
from validator.tokens.render import CountError

__all__ = ["Backend", "ChatTokenizer", "Conversation", "Counted", "PreferenceCount", "Segments",
           "TokenCount", "train_on_inputs_mode"]

FORMATS = ("conversation", "instruction", "general", "preference_openai")


@dataclass(frozen=True)
class TokenCount:
    """Tokens of one sequence and the ``[start, end)`` token ranges that train.

    ``approximate`` is True when the ranges are estimates (the template changed earlier text
    when a message was appended, or a token straddles two messages): ``total`` stays exact.
    ``ids`` and ``pieces`` (the token ids and their strings) are filled only when asked for
    (``ids=True``): counting alone never builds them.
    """

    total: int
    spans: tuple[tuple[int, int], ...]
    approximate: bool = False
    ids: tuple[int, ...] = ()
    pieces: tuple[str, ...] = ()

    @property
    def trained(self) -> int:
        """How many tokens train."""
        return sum(end - start for start, end in self.spans)

    def trained_after(self, n: int) -> int:
        """Trained tokens at index >= ``n``: what a cut to ``n`` tokens loses."""
        return sum(end - max(start, n) for start, end in self.spans if end > n)


@dataclass(frozen=True)
class PreferenceCount:
    """A preference sample: input + preferred output, and input + non-preferred output."""

    preferred: TokenCount
    non_preferred: TokenCount

    @property
    def sides(self) -> tuple[TokenCount, TokenCount]:
        return (self.preferred, self.non_preferred)


Counted = TokenCount | PreferenceCount


@dataclass(frozen=True)
class Segments:
    """Token ranges per message or piece: item ``i`` is tokens ``[bounds[i], bounds[i + 1])``."""

    bounds: tuple[int, ...]
    approximate: bool = False
    ids: tuple[int, ...] = ()  # the tokens and their strings, when the caller asked for them
    pieces: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.bounds[-1]


Conversation = tuple[list[Any], list[Any] | None]  # (messages, tools)


class Backend(Protocol):
    """What a tokenizer backend does: cut conversations and text pieces into segments."""

    name: str

    def conversations(self, items: Sequence[Conversation], *, reasoning_model: bool,
                      ids: bool = False) -> list[Segments | CountError]:
        """``ids``: fill each segments' ``ids`` and ``pieces`` too."""
        ...

    def texts(self, items: Sequence[list[str]], *, ids: bool = False) -> list[Segments]:
        """Pieces tokenized in order: the first gets the tokenizer's BOS, the last its EOS."""
        ...


def train_on_inputs_mode(value: bool | str) -> bool | None:
    """``True``/"true", ``False``/"false", or None for "auto"; else UsageError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "auto"):
        return {"true": True, "false": False}.get(value.lower())
    raise UsageError(f"train_on_inputs must be true, false or auto, not {value!r}")


def _spans(segments: Segments, trains: Sequence[bool]) -> TokenCount:
    spans: list[tuple[int, int]] = []
    for i, train in enumerate(trains):
        start, end = segments.bounds[i], segments.bounds[i + 1]
        if not train or end <= start:
            continue
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return TokenCount(segments.total, tuple(spans), segments.approximate, segments.ids,
                      segments.pieces)


def _message_trains(messages: list[Any], inputs: bool | None, reasoning_model: bool) -> list[bool]:
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    last_assistant = max((i for i, r in enumerate(roles) if r == "assistant"), default=-1)
    out: list[bool] = []
    for i, message in enumerate(messages):
        weight = message.get("weight") if isinstance(message, dict) else None
        if isinstance(weight, bool | int | float) and weight in (0, 1):
            out.append(bool(weight))
        elif inputs is True:
            out.append(True)
        elif roles[i] == "assistant":
            out.append(not reasoning_model or i == last_assistant)
        else:
            out.append(False)
    return out


def _text(value: Any) -> str:
    """A prompt, completion or text: a string, or the text parts of a part list joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p["text"] for p in value
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    raise CountError(f"expected a string or a part list, found {type(value).__name__}")


def _conversation(sample: dict[str, Any]) -> Conversation:
    messages = sample.get("messages")
    if not isinstance(messages, list) or not messages:
        raise CountError("no messages to count")
    tools = sample.get("tools")
    return messages, tools if isinstance(tools, list) else None


def _preference(sample: dict[str, Any]) -> tuple[int, Conversation, Conversation]:
    """How many input messages, then the two sides as conversations."""
    source = sample.get("input")
    if not isinstance(source, dict):
        raise CountError("a preference sample needs an input object")
    messages, tools = _conversation(source)
    sides = []
    for key in ("preferred_output", "non_preferred_output"):
        output = sample.get(key)
        if not isinstance(output, list) or not output:
            raise CountError(f"{key} must be a non-empty list of messages")
        # DPO trains the output whatever the weights say: drop them from the copies
        sides.append(([_unweighted(m) for m in messages + output], tools))
    return len(messages), sides[0], sides[1]


def _unweighted(message: Any) -> Any:
    if isinstance(message, dict) and "weight" in message:
        return {k: v for k, v in message.items() if k != "weight"}
    return message


class ChatTokenizer:
    """A model's tokenizer and chat template, counting samples of every fine-tune format."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name

    def count(self, sample: dict[str, Any], fmt: str, *, train_on_inputs: bool | str = "auto",
              reasoning_model: bool = False, ids: bool = False) -> Counted:
        """Count one sample of ``fmt`` (conversation, instruction, general, preference_openai).

        Returns a :class:`TokenCount`, or a :class:`PreferenceCount` for preference data;
        ``ids=True`` fills their ``ids`` and ``pieces``. Raises :class:`CountError` (or its
        subclass TemplateError) when the sample cannot be counted, UsageError for a bad
        ``fmt`` or ``train_on_inputs``.
        """
        (result,) = self.count_many([sample], fmt, train_on_inputs=train_on_inputs,
                                    reasoning_model=reasoning_model, ids=ids)
        if isinstance(result, CountError):
            raise result
        return result

    def count_many(self, samples: Sequence[dict[str, Any]], fmt: str, *,
                   train_on_inputs: bool | str = "auto", reasoning_model: bool = False,
                   ids: bool = False) -> list[Counted | CountError]:
        """Count many samples of one format with one batched tokenizer call.

        A sample that cannot be counted gets its :class:`CountError` in its place.
        """
        inputs = train_on_inputs_mode(train_on_inputs)
        if fmt == "preference":
            fmt = "preference_openai"
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        if fmt in ("instruction", "general"):
            return self._texts(samples, fmt, inputs, ids)
        return self._conversations(samples, fmt, inputs, reasoning_model, ids)

    def _texts(self, samples: Sequence[dict[str, Any]], fmt: str, inputs: bool | None,
               ids: bool) -> list[Counted | CountError]:
        pieces: list[list[str] | CountError] = []
        for sample in samples:
            try:
                keys = ("prompt", "completion") if fmt == "instruction" else ("text",)
                pieces.append([_text(sample.get(key)) for key in keys])
            except CountError as exc:
                pieces.append(exc)
        good = [p for p in pieces if not isinstance(p, CountError)]
        segmented = iter(self.backend.texts(good, ids=ids))
        trains = [inputs is True, True] if fmt == "instruction" else [True]
        return [p if isinstance(p, CountError) else _spans(next(segmented), trains)
                for p in pieces]

    def _conversations(self, samples: Sequence[dict[str, Any]], fmt: str, inputs: bool | None,
                       reasoning_model: bool, ids: bool) -> list[Counted | CountError]:
        items: list[Conversation] = []
        n_inputs: list[int] = []  # a preference side: how many messages are input
        plan: list[int | CountError] = []  # index of the sample's first conversation in items
        for sample in samples:
            try:
                if fmt == "preference_openai":
                    n_input, *convs = _preference(sample)
                    n_inputs += [n_input, n_input]
                else:
                    convs = [_conversation(sample)]
                    n_inputs.append(0)
            except CountError as exc:
                plan.append(exc)
                continue
            plan.append(len(items))
            items.extend(convs)
        segmented = self.backend.conversations(items, reasoning_model=reasoning_model, ids=ids)
        out: list[Counted | CountError] = []
        for entry in plan:
            if isinstance(entry, CountError):
                out.append(entry)
                continue
            if fmt == "preference_openai":
                sides = []
                for j in (entry, entry + 1):
                    seg = segmented[j]
                    if isinstance(seg, CountError):
                        break
                    sides.append(_spans(seg, [i >= n_inputs[j] for i in range(len(items[j][0]))]))
                else:
                    out.append(PreferenceCount(sides[0], sides[1]))
                    continue
                out.append(seg)
                continue
            seg = segmented[entry]
            if isinstance(seg, CountError):
                out.append(seg)
            else:
                out.append(_spans(seg, _message_trains(items[entry][0], inputs,
                                                       reasoning_model)))
        return out
