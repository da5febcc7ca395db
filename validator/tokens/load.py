"""Find and load a model's tokenizer and chat template.

``spec`` is one of:

- ``mistral:<name>`` (or ``mistral=True``): mistral-common's shipped tokenizers, no network;
  ``<name>`` is a version (v1, v2, v3, v3-tekken, v7) or a model such as
  ``mistralai/Mixtral-8x7B-Instruct-v0.1``;
- a local folder with ``tokenizer.json`` and ``tokenizer_config.json`` (its ``chat_template``:
  a string, or transformers' list of named templates, of which "default" is taken; else a
  ``chat_template.jinja`` or ``chat_template.json`` beside it; ``bos_token``/``eos_token`` as
  strings or AddedToken dicts with ``content``);
- a ``tokenizer.json`` file, with ``chat_template=FILE`` (a Jinja file) for conversations
  (a ``tokenizer_config.json`` beside it is read too);
- a Hugging Face hub id (``org/name``): fetched once with ``huggingface_hub`` and cached
  (``HF_HUB_CACHE``, ``HF_HUB_OFFLINE=1`` reads the cache only).

``chat_template=FILE`` overrides the template found with the tokenizer in every case but
Mistral's. Every failure is a UsageError that says what failed and what to give instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from validator.errors import UsageError
from validator.tokens.count import ChatTokenizer
from validator.tokens.hf import HFBackend
from validator.tokens.mistral import load_mistral
from validator.tokens.render import CountError, Template, missing

__all__ = ["load_tokenizer"]

_CONNECT_TIMEOUT = 5.0  # seconds to reach the hub before saying it cannot be reached
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_LOCAL = ("give a local folder instead: put the model's tokenizer.json and "
          "tokenizer_config.json in a folder and pass its path (--tokenizer FOLDER)")


def load_tokenizer(spec: str, *, chat_template: str | os.PathLike[str] | None = None,
                   mistral: bool = False,
                   template_vars: dict[str, Any] | None = None) -> ChatTokenizer:
    """The :class:`ChatTokenizer` of ``spec`` (see the module docstring for what it can be).

    ``template_vars`` are extra variables for the chat template (e.g. ``date_string``).
    """
    if mistral or spec.startswith("mistral:"):
        return ChatTokenizer(load_mistral(spec.removeprefix("mistral:")))
    template_file = _read_template_file(chat_template) if chat_template is not None else None
    path = Path(spec).expanduser()
    if path.is_dir():
        return _from_folder(path, spec, template_file, template_vars)
    if path.is_file():
        config = _read_config(path.parent / "tokenizer_config.json", required=False)
        return _build(path, config, spec, template_file, None, template_vars=template_vars)
    if _HUB_ID.match(spec) and not spec.startswith((".", "/", "~")):
        return _from_folder(_hub_download(spec), spec, template_file, template_vars)
    raise UsageError(f"tokenizer {spec}: no such file or folder, and not a Hugging Face "
                     "model id (org/name)")


def _read_template_file(source: str | os.PathLike[str]) -> str:
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read chat template {os.fspath(source)}: {exc}") from None


def _read_config(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise UsageError(f"{path} is missing: a tokenizer folder needs tokenizer.json and "
                             "tokenizer_config.json")
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(config, dict):
        raise UsageError(f"{path} is not a JSON object")
    return config


def _from_folder(folder: Path, spec: str, template_file: str | None,
                 template_vars: dict[str, Any] | None) -> ChatTokenizer:
    tokenizer_json = folder / "tokenizer.json"
    if not tokenizer_json.is_file():
        raise UsageError(f"{tokenizer_json} is missing: a tokenizer folder needs tokenizer.json "
                         "and tokenizer_config.json")
    config = _read_config(folder / "tokenizer_config.json", required=True)
    return _build(tokenizer_json, config, spec, template_file, folder,
                  template_vars=template_vars)


def _template_of(config: dict[str, Any], folder: Path | None, where: str) -> str | None:
    found = config.get("chat_template")
    if isinstance(found, list):  # transformers' named templates: [{"name", "template"}]
        named = {t.get("name"): t.get("template") for t in found if isinstance(t, dict)}
        if not isinstance(named.get("default"), str):
            raise UsageError(f"{where}: the chat templates ({', '.join(map(str, named))}) "
                             "have no 'default': give one with chat_template=FILE")
        return str(named["default"])
    if isinstance(found, str):
        return found
    if folder is not None and (folder / "chat_template.jinja").is_file():
        return _read_template_file(folder / "chat_template.jinja")
    if folder is not None and (folder / "chat_template.json").is_file():
        inner = _read_config(folder / "chat_template.json", required=True).get("chat_template")
        return inner if isinstance(inner, str) else None
    return None


def _token(value: Any) -> str:
    if isinstance(value, dict):  # AddedToken serialized: {"content": "<s>", ...}
        value = value.get("content")
    return value if isinstance(value, str) else ""


def _build(tokenizer_json: Path, config: dict[str, Any], spec: str, template_file: str | None,
           folder: Path | None, *, template_vars: dict[str, Any] | None) -> ChatTokenizer:
    try:
        from tokenizers import Tokenizer  # noqa: PLC0415 - optional extra
    except ImportError:
        raise missing("tokenizers") from None
    try:
        encoder = Tokenizer.from_file(str(tokenizer_json))
    except Exception as exc:  # the Rust side raises its own exception type
        raise UsageError(f"cannot load tokenizer {tokenizer_json}: {exc}") from None
    source = template_file if template_file is not None else _template_of(config, folder, spec)
    bos, eos = _token(config.get("bos_token")), _token(config.get("eos_token"))
    template = None
    if source is not None:
        try:
            template = Template(source, bos_token=bos, eos_token=eos, extras=template_vars)
        except CountError as exc:
            raise UsageError(f"{spec}: {exc}") from None
    return ChatTokenizer(HFBackend(encoder, template, name=spec, eos_token=eos))


@contextlib.contextmanager
def _quiet_hub() -> Iterator[None]:
    """huggingface_hub logs each retry as a warning on standard error: ftdata says what failed
    once, in its own error."""
    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _reachable(hub: Any, repo_id: str) -> None:
    """A UsageError at once when the hub cannot be reached at all (no network: the download
    would retry for half a minute first). Behind a proxy, the download finds out itself."""
    if hub.constants.HF_HUB_OFFLINE:
        raise UsageError(f"the tokenizer of {repo_id} is not in the Hugging Face cache and "
                         f"HF_HUB_OFFLINE is set; {_LOCAL}")
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                                             "all_proxy")):
        return
    parts = urlsplit(hub.constants.ENDPOINT)
    host, port = parts.hostname or "huggingface.co", parts.port or (
        443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise UsageError(f"cannot reach the Hugging Face hub at {host} "
                         f"({exc.strerror or exc}) to fetch the tokenizer of {repo_id}; "
                         f"{_LOCAL}") from None


def _hub_download(repo_id: str) -> Path:
    try:
        import huggingface_hub  # noqa: PLC0415 - optional extra
    except ImportError:
        raise missing("huggingface_hub", "Hugging Face model ids") from None
    hub: Any = huggingface_hub
    try:
        with _quiet_hub():
            try:  # the cache first: no network at all once fetched
                tokenizer_json = hub.hf_hub_download(repo_id, "tokenizer.json",
                                                     local_files_only=True)
                hub.hf_hub_download(repo_id, "tokenizer_config.json", local_files_only=True)
            except Exception:
                _reachable(hub, repo_id)
                tokenizer_json = hub.hf_hub_download(repo_id, "tokenizer.json")
                hub.hf_hub_download(repo_id, "tokenizer_config.json")
    except UsageError:
        raise
    except Exception as exc:  # offline, gated, missing repo or file: all say the same
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot fetch the tokenizer of {repo_id} from the Hugging Face hub "
                         f"({type(exc).__name__}: {reason}); {_LOCAL}") from None
    folder = Path(tokenizer_json).parent
    if "chat_template" not in _read_config(folder / "tokenizer_config.json", required=True):
        # newer repos keep the template in its own file; none at all is allowed (plain text)
        with contextlib.suppress(Exception):
            hub.hf_hub_download(repo_id, "chat_template.jinja")
    return folder
