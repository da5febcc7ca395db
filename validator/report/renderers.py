"""Renderers: a list of reports in, text out. Chosen by name; none of them validates.

:func:`render` adds the options of ``ftdata validate`` (colour and ``--quiet`` for text), and
:func:`write_output` writes a rendering to a file atomically (``--output-file``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from validator.report import Report, github, json, sarif, text

__all__ = ["RENDERERS", "Renderer", "render", "write_output"]

Renderer = Callable[[Sequence[Report]], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "github": github.render,
    "sarif": sarif.render,
}


def render(name: str, reports: Sequence[Report], *, color: bool = False,
           quiet: bool = False) -> str:
    """``reports`` through renderer ``name``. ``color`` and ``quiet`` concern the text
    renderer (see :func:`validator.report.text.render`); the documents (json, sarif) and
    GitHub's annotations are always whole."""
    if name == "text":
        return text.render(reports, color=color, quiet=quiet)
    return RENDERERS[name](reports)


def write_output(path: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` to ``path`` whole or not at all: staged beside it, renamed over
    ``path`` only once complete (:func:`validator.atomic.write_file`)."""
    from validator.atomic import write_file  # noqa: PLC0415 - only with --output-file

    write_file(path, content)
