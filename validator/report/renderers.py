"""Renderers: a list of reports in, text out. Chosen by name; none of them validates."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from validator.report import Report, github, json, text

__all__ = ["RENDERERS", "Renderer"]

Renderer = Callable[[Sequence[Report]], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "github": github.render,
}
