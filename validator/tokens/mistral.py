"""The Mistral backend: mistral-common's tokenizers, shipped with the package (no network).

Conversations are encoded with ``MistralTokenizer.encode_chat_completion`` in *finetuning*
mode (the mode that accepts a conversation ending with an assistant message). To find each
message's tokens, the instruct tokenizer's per-message encoders are wrapped on the instance:
``encode_instruct`` calls them once per (normalized) message in order and concatenates their
output after ``start()``, so the recorded lengths are the message ranges. mistral-common
normalizes a request first: system messages become a system prompt (versions before v7) and
consecutive messages of one role are merged; the ranges are mapped back to the sample's
messages by that rule. When the recorded lengths do not add up, or the mapping does not fit,
the whole sequence counts as the last message's and the count is marked approximate.
One backend serves one thread at a time (the recording is per instance).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from validator.errors import UsageError
from validator.tokens.count import Conversation, Segments
from validator.tokens.render import CountError, missing

__all__ = ["MISTRAL_MODELS", "MistralBackend", "load_mistral"]

# tokenizer version per model (mistral-common's versions: v1, v2, v3, v3-tekken, v7)
MISTRAL_MODELS = {
    "mistralai/Mixtral-8x7B-Instruct-v0.1": "v1",
    "mistralai/Mistral-7B-Instruct-v0.1": "v1",
    "mistralai/Mistral-7B-Instruct-v0.3": "v3",
    "mistralai/Mixtral-8x22B-Instruct-v0.1": "v3",
    "mistralai/Mistral-Nemo-Instruct-2407": "v3-tekken",
}
_KINDS = {"encode_user_message": "user", "encode_assistant_message": "assistant",
          "encode_tool_message": "tool", "encode_system_message": "system"}
_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "reasoning",
         "reasoning_content")


def load_mistral(name: str) -> MistralBackend:
    """``name``: a version (v1, v2, v3, v3-tekken, v7) or a model of :data:`MISTRAL_MODELS`."""
    versions = ("v1", "v2", "v3", "v3-tekken", "v7")
    key = name.strip()
    version = MISTRAL_MODELS.get(key) or next(
        (v for m, v in MISTRAL_MODELS.items() if m.split("/")[-1].lower() == key.lower()), key)
    if version not in versions:
        raise UsageError(f"unknown Mistral tokenizer {name!r}: give a version "
                         f"({', '.join(versions)}) or one of {', '.join(MISTRAL_MODELS)}")
    try:
        from mistral_common.protocol.instruct.validator import (  # noqa: PLC0415 - optional
            ValidationMode,
        )
        from mistral_common.tokens.tokenizers.mistral import (  # noqa: PLC0415
            MistralTokenizer,
        )
    except ImportError:
        raise missing("mistral_common", "Mistral tokenizers") from None
    cls: Any = MistralTokenizer
    shipped = cls.v3(is_tekken=True) if version == "v3-tekken" else getattr(cls, version)()
    path = shipped.instruct_tokenizer.tokenizer.file_path
    tokenizer = cls.from_file(str(path), mode=ValidationMode.finetuning)
    return MistralBackend(tokenizer, name=f"mistral:{version}", version=version)


def _no_text(*_args: Any, **_kwargs: Any) -> str:
    return ""


class MistralBackend:
    """Counts with a ``MistralTokenizer`` (``tokenizer``) loaded in finetuning mode."""

    def __init__(self, tokenizer: Any, *, name: str, version: str) -> None:
        self.tokenizer = tokenizer
        self.name = name
        self.version = version
        from mistral_common.protocol.instruct.request import (  # noqa: PLC0415 - optional
            ChatCompletionRequest,
        )

        self._request: Any = ChatCompletionRequest
        self._record: list[tuple[str, int]] = []
        self._depth = 0
        instruct = tokenizer.instruct_tokenizer
        self._start = len(instruct.start())
        for method, kind in _KINDS.items():
            setattr(instruct, method, self._recording(getattr(instruct, method), kind))
        self._text = instruct.tokenizer
        # encode_instruct decodes each encoded conversation back to text (Tokenized.text): 80%
        # of its time on long samples. Counting never reads that text, and this tokenizer
        # instance is ftdata's own.
        instruct.decode = _no_text

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # pickled to worker processes as its version: the recording wrappers do not pickle
        return (load_mistral, (self.version,))

    def _recording(self, encode: Callable[..., Any], kind: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            try:
                result = encode(*args, **kwargs)
            finally:
                self._depth -= 1
            if self._depth == 0:
                tokens = result[0] if isinstance(result, tuple) else result
                self._record.append((kind, len(tokens) if tokens is not None else 0))
            return result
        return wrapper

    def conversations(self, items: Sequence[Conversation], *, reasoning_model: bool,
                      ids: bool = False) -> list[Segments | CountError]:
        out: list[Segments | CountError] = []
        for messages, tools in items:
            try:
                segments = self._conversation(messages, tools)
            except CountError as exc:
                out.append(exc)
                continue
            out.append(self._with_ids(segments) if ids else segments[0])
        return out

    def _with_ids(self, segments: tuple[Segments, list[int]]) -> Segments:
        found, tokens = segments
        return Segments(found.bounds, found.approximate, tuple(tokens),
                        tuple(self._text.id_to_piece(i) for i in tokens))

    def _conversation(self, messages: list[Any],
                      tools: list[Any] | None) -> tuple[Segments, list[int]]:
        if not all(isinstance(m, dict) for m in messages):
            raise CountError("every message must be an object")
        clean = [{k: v for k, v in m.items() if k in _KEYS and v is not None} for m in messages]
        self._record = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecation notes of mistral-common
                request = self._request.from_openai(clean, tools=tools or None)
                tokens = self.tokenizer.encode_chat_completion(request).tokens
                total = len(tokens)
        except Exception as exc:  # mistral-common's validation and tokenizer exceptions
            raise CountError(f"{self.name} cannot encode this conversation: {exc}") from None
        record, self._record = self._record, []
        lengths = [n for _, n in record]
        roles = [m.get("role") for m in clean]
        owners = _align(roles, [kind for kind, _ in record])
        if owners is None or self._start + sum(lengths) != total:
            return Segments(tuple([0] * len(messages) + [total]), approximate=True), tokens
        bounds, at = [0], self._start
        for i in range(len(messages)):
            at += sum(n for n, owner in zip(lengths, owners, strict=True) if owner == i)
            bounds.append(at)
        bounds[-1] = total
        # two assistant messages merged into one: their weights cannot be told apart
        merged = any(r == "assistant" and i not in owners for i, r in enumerate(roles))
        return Segments(tuple(bounds), approximate=merged), tokens

    def texts(self, items: Sequence[list[str]], *, ids: bool = False) -> list[Segments]:
        out: list[Segments] = []
        for pieces in items:
            bounds, tokens = [0], []
            for j, piece in enumerate(pieces):
                encoded = self._text.encode(piece, bos=j == 0, eos=j == len(pieces) - 1)
                bounds.append(bounds[-1] + len(encoded))
                tokens += encoded
            found = Segments(tuple(bounds))
            out.append(self._with_ids((found, tokens)) if ids else found)
        return out


def _align(roles: list[Any], kinds: list[str]) -> list[int] | None:
    """The sample message that owns each encoded message, or None when they do not map.

    Consecutive user or assistant messages are merged into one encoded message (owned by the
    first of the run); system messages either stay (merged likewise) or leave the sequence.
    """
    for keep_system in (True, False):
        owners: list[int] = []
        previous: Any = None
        for i, role in enumerate(roles):
            if role == "system" and not keep_system:
                continue
            if role == previous and role in ("user", "assistant", "system"):
                continue
            owners.append(i)
            previous = role
        if [roles[i] for i in owners] == kinds:
            return owners
    return None
