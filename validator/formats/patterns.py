"""Regular expressions from the data: the ``pattern`` and ``patternProperties`` of tool schemas.

A tool's ``parameters`` come from an untrusted file, and Python's ``re`` backtracks: a pattern
such as ``^(a+)+$`` or ``^(a|aa)+$`` against forty ``a`` and a ``!`` takes hours. So every
pattern of the data is run by the ``regex`` package, whose searches take a ``timeout``, with
:data:`BUDGET` seconds per search. A pattern that runs out of time once is remembered and
never run again in this process (a million lines would otherwise each wait the budget): a
value checked against it passes that keyword, and the check notes the pattern (see
:func:`noting`) so that the caller can warn that the arguments were not checked against it.
The timeout has a cost of its own (regex reads a CPU clock): a pattern whose shape bounds its
backtracking is searched without it on texts short enough (see ``_plain_limit``), which is
what dates, codes and names in tool arguments are.

Which patterns are valid stays ``re``'s decision, as it was (and as jsonschema's ``regex``
format check decides for the metaschema): a pattern ``re`` rejects raises :class:`re.error`
here too, and one ``regex`` alone rejects raises :class:`re.error` as well (the schema then
counts as one that cannot be used, never as valid).

schemakeywords.py gives jsonschema keywords that search this way.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["BUDGET", "Compiled", "compile_pattern", "fast_search", "locations", "noting", "search"]

# Seconds one search of one value may take. An ordinary pattern answers in microseconds even on
# long values; only exponential backtracking comes near this, and it costs this much once per
# pattern and process (then the pattern is skipped), so a tenth of a second is generous and cheap.
BUDGET = 0.1

# regex's timeout reads the process CPU clock (a system call on some VMs) a few times a search:
# a few microseconds, several times the search itself. A pattern whose shape bounds its work
# (see _plain_limit) runs without it on texts short enough to stay under this many steps.
_SAFE_STEPS = 1_000_000
_SHORT = 1000  # patterns up to this many characters share a large compile cache, longer a small
_TIMED_OUT_LIMIT = 4096  # remembered patterns; each cost a BUDGET, so this fills only slowly

_timed_out: set[str] = set()  # patterns that ran out of time: never run again
_noted: ContextVar[list[str] | None] = ContextVar("ftdata_unchecked_patterns", default=None)


class Compiled(NamedTuple):
    search: Any  # the regex pattern's search method
    plain: int  # texts up to this length are searched without a timeout (-1: none)


def compile_pattern(source: str) -> Compiled:
    """``source`` compiled by ``regex`` (cached); :class:`re.error` if it is not valid."""
    return _compile_short(source) if len(source) <= _SHORT else _compile_long(source)


def _compile(source: str) -> Compiled:
    # regex costs about 40 ms to import: only files with patterns pay it
    import regex  # noqa: PLC0415

    with warnings.catch_warnings():  # re's FutureWarning on "[[" is about re's own future
        warnings.simplefilter("ignore")
        re.compile(source)  # the validity it always had (raises re.error)
        try:
            compiled = regex.compile(source, regex.V0)
        except regex.error as exc:
            raise re.error(f"pattern {source!r} cannot be used: {exc}") from None
    return Compiled(compiled.search, _plain_limit(source))


class _Unbounded(Exception):
    """The pattern has a shape whose backtracking _plain_limit does not bound."""


def _plain_limit(source: str) -> int:
    """The longest text ``source`` searches in under _SAFE_STEPS steps whatever the text, or -1.

    Only patterns made of single characters, classes, anchors, groups, alternatives without
    repeats inside, and repeats of one character or class qualify (no nested quantifier, no
    quantified group, no backreference or lookaround). Their backtracking tries at most each
    combination of repeat counts and alternatives, each in linear time, from each start: at most
    (n + 1) * (m + n + 1) * product(choices) steps for a text of n characters and a pattern of m
    nodes. Anything else (or a parser that changed: re._parser is private) gets -1.
    """
    try:
        import importlib  # noqa: PLC0415 - only when compiling a pattern

        _parser: Any = importlib.import_module("re._parser")  # private: untyped
        _constants: Any = importlib.import_module("re._constants")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _parser.parse(source)
        nodes, repeats, branches = _shape(list(tree), _constants)
    except Exception:  # _Unbounded, or anything unexpected: the timed path, always safe
        return -1

    def steps(n: int) -> int:
        total = (n + 1) * (nodes + n + 1) * branches
        for low, high in repeats:
            total *= min(high, n) - low + 1
        return total

    low, high = -1, 1 << 20
    while low < high:  # the largest n with steps(n) <= _SAFE_STEPS (steps grows with n)
        mid = (low + high + 1) // 2
        low, high = (mid, high) if steps(mid) <= _SAFE_STEPS else (low, mid - 1)
    return low


def _shape(items: list[Any], c: Any, in_branch: bool = False) -> tuple[int, list[tuple[int, int]],
                                                                        int]:
    """Nodes, variable repeats (min, max) and the product of alternatives of a parsed pattern;
    raises _Unbounded outside the shapes _plain_limit bounds."""
    single = (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN)
    nodes, repeats, branches = 0, [], 1
    for op, av in items:
        nodes += 1
        if op in single or op is c.AT:
            continue
        if op is c.SUBPATTERN:
            n, r, b = _shape(list(av[3]), c, in_branch)
        elif op is c.BRANCH:
            n, r, b = 0, [], 0
            for alt in av[1]:
                n2, _, b2 = _shape(list(alt), c, True)  # no repeats in an alternative
                n, b = n + n2, b + b2
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, body = av
            body = list(body)
            if in_branch or len(body) != 1 or body[0][0] not in single:
                raise _Unbounded
            n, r, b = 1, ([(low, high)] if high != low else []), 1
        else:
            raise _Unbounded
        nodes, branches = nodes + n, branches * b
        repeats += r
    return nodes, repeats, branches


_compile_short = lru_cache(maxsize=512)(_compile)
_compile_long = lru_cache(maxsize=8)(_compile)  # bounded in bytes: 8 patterns of one line each


def search(source: str, text: str) -> bool | None:
    """Whether ``source`` matches somewhere in ``text``; None when that is unknown because the
    pattern ran out of its budget (now or earlier in this process), which is noted."""
    if source in _timed_out:
        _note(source)
        return None
    compiled = compile_pattern(source)
    if len(text) <= compiled.plain:
        return compiled.search(text) is not None
    try:
        return compiled.search(text, timeout=BUDGET) is not None
    except TimeoutError:
        _remember(source)
        _note(source)
        return None


def _remember(source: str) -> None:
    if len(_timed_out) >= _TIMED_OUT_LIMIT:
        _timed_out.clear()  # bounded; a forgotten pattern only costs its budget again
    _timed_out.add(source)


# The verdicts of fast_search's tests on short texts, by (pattern, text): the values tool
# schemas constrain with a pattern (currency and country codes, dates, ids) repeat from call to
# call, and a dict lookup costs a quarter of a search. Only searches with no clock (whose
# verdict is the pattern's alone) are kept; bounded: emptied when full.
_SEEN_TEXT = 32
_SEEN_LIMIT = 4096
_seen: dict[tuple[str, str], bool] = {}


def fast_search(source: str) -> Callable[[str], bool]:
    """For fastschema: a test that is True only when ``source`` matched in time (its False then
    sends the value to jsonschema, which judges and notes). Raises re.error if invalid."""
    search, plain = compile_pattern(source)
    seen = _seen

    def test(text: str) -> bool:
        if len(text) <= plain:  # work bounded by the pattern's shape: no clock needed
            if len(text) > _SEEN_TEXT:
                return search(text) is not None
            key = (source, text)
            found = seen.get(key)
            if found is None:
                found = search(text) is not None
                if len(seen) >= _SEEN_LIMIT:
                    seen.clear()
                seen[key] = found
            return found
        if source in _timed_out:
            return False
        try:
            return search(text, timeout=BUDGET) is not None
        except TimeoutError:
            _remember(source)
            return False

    return test


def _note(source: str) -> None:
    noted = _noted.get()
    if noted is not None and source not in noted:
        noted.append(source)


@contextmanager
def noting() -> Iterator[list[str]]:
    """Within the block, the patterns that could not be checked in time are added to the list
    given (each once)."""
    noted: list[str] = []
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)


def locations(schema: Any, source: str) -> list[tuple[str | int, ...]]:
    """Where ``source`` is a ``pattern`` or a ``patternProperties`` key within ``schema``."""
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if node.get("pattern") == source:
                found.append((*path, "pattern"))
            props = node.get("patternProperties")
            if isinstance(props, dict) and source in props:
                found.append((*path, "patternProperties", source))
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, i)) for i, value in enumerate(node))
    return sorted(found, key=lambda p: (len(p), [str(s) for s in p]))
