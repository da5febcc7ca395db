"""Render a chat template the way transformers' ``apply_chat_template`` does.

The environment matches transformers' ``_compile_jinja_template``: a jinja2
``ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`` with the
``loopcontrols`` extension, a ``tojson`` filter that does not escape HTML and takes
``indent``/``separators``/``sort_keys``, and the globals ``raise_exception`` and
``strftime_now``. ``{% generation %}...{% endgeneration %}`` blocks (transformers'
assistant-mask markers) compile and render their body, so templates that carry them work.

Variables: ``messages``, ``tools`` (the sample's list or None), ``documents`` (None),
``add_generation_prompt`` (False: training data ends with the answer), ``bos_token``,
``eos_token``, ``enable_thinking`` (Qwen3-style hybrid templates) and any extras the
caller passes. Messages are copied, never changed: a ``reasoning`` field is also exposed as
``reasoning_content`` (what most templates read) and ``thinking`` (gpt-oss) when those
are absent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from validator.errors import FtdataError, UsageError

__all__ = ["INSTALL_HINT", "CountError", "Template", "TemplateError", "missing",
           "prepare_messages"]

INSTALL_HINT = "pip install 'ftdata[tokens]'"


class CountError(FtdataError):
    """One sample cannot be counted (a template failure, a shape the tokenizer rejects).

    Raised per sample by ``count`` and returned in place by ``count_many``: the caller reports
    the sample, it never stops a validation run. ``str(exc)`` says what failed.
    """


class TemplateError(CountError):
    """A chat template raised (``raise_exception``) or failed to compile or render.

    ``str(exc)`` holds the template's own message.
    """


def missing(package: str, purpose: str = "token counts") -> UsageError:
    """The error for an optional package that is not installed, with the install line."""
    return UsageError(f"{purpose} need the {package} package: {INSTALL_HINT}")


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    # transformers' override: jinja's own tojson escapes <, >, & and ' for HTML
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)  # local time, as transformers


def _environment() -> Any:
    try:
        import jinja2  # noqa: PLC0415 - optional extra, imported when a template is loaded
        from jinja2 import ext, nodes, sandbox  # noqa: PLC0415
    except ImportError:
        raise missing("jinja2", "chat templates") from None

    def parse(self: Any, parser: Any) -> Any:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body).set_lineno(lineno)

    generation = type("GenerationTag", (ext.Extension,), {"tags": {"generation"},
                                                           "parse": parse})

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env: Any = sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[ext.loopcontrols, generation])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


def prepare_messages(messages: list[Any]) -> list[Any]:
    """Copies of the messages with ``reasoning`` also under the names templates read."""
    out: list[Any] = []
    for message in messages:
        if isinstance(message, dict) and isinstance(message.get("reasoning"), str):
            copy = dict(message)
            copy.setdefault("reasoning_content", message["reasoning"])
            copy.setdefault("thinking", message["reasoning"])
            out.append(copy)
        elif isinstance(message, dict) and isinstance(message.get("reasoning_content"), str):
            copy = dict(message)
            copy.setdefault("thinking", message["reasoning_content"])
            out.append(copy)
        else:
            out.append(message)
    return out


class Template:
    """One compiled chat template plus the special tokens it is rendered with."""

    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "",
                 extras: dict[str, Any] | None = None) -> None:
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.extras = dict(extras or {})
        self._compiled = self._compile()

    def _compile(self) -> Any:
        try:
            return _environment().from_string(self.source)
        except Exception as exc:  # jinja2.TemplateSyntaxError and friends
            raise TemplateError(f"the chat template does not compile: {exc}") from None

    def __getstate__(self) -> dict[str, Any]:
        # pickled to worker processes as its source: a compiled template does not pickle
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compiled = self._compile()

    def render(self, messages: list[Any], tools: list[Any] | None = None, *,
               reasoning_model: bool = False) -> str:
        """The template over ``messages`` (already prepared), as the model sees it."""
        variables: dict[str, Any] = {
            "enable_thinking": reasoning_model,
            **self.extras,
            "messages": messages,
            "tools": tools or None,
            "documents": None,
            "add_generation_prompt": False,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        try:
            return str(self._compiled.render(**variables))
        except Exception as exc:  # raise_exception, undefined attributes, type errors
            raise TemplateError(f"the chat template failed: {exc}") from None
