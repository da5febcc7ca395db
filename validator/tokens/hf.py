"""The Hugging Face backend: a ``tokenizers`` tokenizer.json and a Jinja chat template.

Where each message's tokens are. Templates rarely carry ``{% generation %}`` markers, so the
standard approach is used: render growing prefixes of the conversation (``messages[:k]``) and
take what each appended message adds. Here the comparison is made on the rendered *text*:
the character boundary of message ``k`` is ``len(render(messages[:k]))`` when that rendering is
a prefix of the full rendering, and tokens are attributed by their character offsets in one
encoding of the full text (so each sample is tokenized once, in one batch for all samples).

Where it can be off:

- a token that straddles a boundary (the text of two messages merged into one token) is
  counted in the message where it starts: off by one token; the count is marked approximate;
- a template that changes earlier text when a message is appended (e.g. it drops the
  reasoning of earlier assistant turns, or places the tools before the last user message) makes
  a prefix rendering not a prefix of the full one: the boundary is then estimated (the texts
  agree up to a point, then the prefix's last message is looked for in the full text with its
  front dropped, see ``_estimate``), and the count is marked approximate (``total`` stays exact);
- a template that refuses a partial conversation (it raises on ``messages[:k]`` but renders
  the whole) merges message ``k - 1`` into message ``k``; approximate too.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from validator.tokens.count import Conversation, Segments
from validator.tokens.render import CountError, Template, TemplateError, prepare_messages

__all__ = ["HFBackend"]

_start = itemgetter(0)


def _estimate(prefix: str, full: str) -> int:
    """Where ``prefix`` (a rendering of the first messages) ends in ``full``, when the template
    rendered those messages differently once more followed.

    Up to the first difference the texts agree; after it, the prefix's rendering of its last
    message(s) is taken to reappear in ``full`` shortened at its front (the usual change: a
    think block or a tools list dropped from an earlier turn): the boundary is after the
    longest suffix of the prefix's remaining text that ``full`` continues with.
    """
    at = _common_prefix(prefix, full)
    rest = prefix[at:]
    anchor = full[at:at + 32]
    j = rest.find(anchor)
    for _ in range(1000):  # bounded: repetitive text could offer many candidates
        if j < 0:
            break
        if full.startswith(rest[j:], at):
            return at + len(rest) - j
        j = rest.find(anchor, j + 1)
    # a tail shorter than the anchor
    tail = next((k for k in range(max(len(rest) - len(anchor), 0), len(rest))
                 if anchor.startswith(rest[k:])), len(rest))
    return at + len(rest) - tail


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on slices: C-speed comparisons
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class HFBackend:
    """Counts with ``tokenizers.Tokenizer`` (``encoder``) and a :class:`Template` (or None)."""

    def __init__(self, encoder: Any, template: Template | None, *, name: str,
                 eos_token: str = "") -> None:
        self.encoder = encoder
        self.template = template
        self.name = name
        self.eos_id: int | None = encoder.token_to_id(eos_token) if eos_token else None

    def _render(self, conv: Conversation, reasoning_model: bool) -> tuple[str, list[int], bool]:
        """The full text, the character boundary of every message, and whether estimated."""
        if self.template is None:
            raise CountError(f"{self.name} has no chat template: give one with "
                             "chat_template=FILE (a Jinja file)")
        messages, tools = prepare_messages(conv[0]), conv[1]
        full = self.template.render(messages, tools, reasoning_model=reasoning_model)
        bounds, approximate = [0], False
        for k in range(1, len(messages)):
            try:
                prefix = self.template.render(messages[:k], tools,
                                              reasoning_model=reasoning_model)
            except TemplateError:  # the template refuses a partial chat: merge with the next
                bounds.append(bounds[-1])
                approximate = True
                continue
            if full.startswith(prefix):
                at = len(prefix)
            else:
                at, approximate = _estimate(prefix, full), True
            bounds.append(min(max(at, bounds[-1]), len(full)))
        bounds.append(len(full))
        return full, bounds, approximate

    def conversations(self, items: Sequence[Conversation], *, reasoning_model: bool,
                      ids: bool = False) -> list[Segments | CountError]:
        rendered: list[tuple[str, list[int], bool] | CountError] = []
        for conv in items:
            try:
                rendered.append(self._render(conv, reasoning_model))
            except CountError as exc:
                rendered.append(exc)
        texts = [r[0] for r in rendered if not isinstance(r, CountError)]
        encodings = iter(self._encode(texts, add_special_tokens=False))
        out: list[Segments | CountError] = []
        for entry in rendered:
            if isinstance(entry, CountError):
                out.append(entry)
                continue
            _, chars, approximate = entry
            encoding = next(encodings)
            offsets = encoding.offsets  # (start, end) characters, in order
            bounds = [0]
            for at in chars[1:-1]:
                index = bisect_left(offsets, at, key=_start)
                if index > 0 and offsets[index - 1][1] > at:
                    approximate = True  # a token spans the boundary
                bounds.append(max(index, bounds[-1]))
            bounds.append(len(offsets))
            if ids:
                out.append(Segments(tuple(bounds), approximate, tuple(encoding.ids),
                                    tuple(encoding.tokens)))
            else:
                out.append(Segments(tuple(bounds), approximate))
        return out

    def texts(self, items: Sequence[list[str]], *, ids: bool = False) -> list[Segments]:
        firsts = self._encode([pieces[0] for pieces in items], add_special_tokens=True)
        rest = [piece for pieces in items for piece in pieces[1:]]
        others = iter(self._encode(rest, add_special_tokens=False))
        out: list[Segments] = []
        for pieces, first in zip(items, firsts, strict=True):
            encodings = [first] + [next(others) for _ in pieces[1:]]
            bounds = [0]
            for encoding in encodings:
                bounds.append(bounds[-1] + len(encoding.ids))
            eos = () if self.eos_id is None else (self.eos_id,)
            bounds[-1] += len(eos)  # the EOS that ends the sequence
            if ids:
                out.append(Segments(
                    tuple(bounds), False, tuple(i for e in encodings for i in e.ids) + eos,
                    tuple(t for e in encodings for t in e.tokens) + tuple(
                        self.encoder.id_to_token(i) for i in eos)))
            else:
                out.append(Segments(tuple(bounds)))
        return out

    def _encode(self, texts: list[str], *, add_special_tokens: bool) -> list[Any]:
        if not texts:
            return []
        return list(self.encoder.encode_batch(texts, add_special_tokens=add_special_tokens))
