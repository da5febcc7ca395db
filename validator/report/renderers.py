"""Renderers: a list of reports in, text out. Chosen by name; none of them validates.

:func:`render` adds the options of ``ftdata validate`` (colour and ``--quiet`` for text), and
:func:`write_output` writes a rendering to a file atomically (``--output-file``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

from validator.errors import FtdataError, UsageError
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
    """Write ``content`` to ``path`` whole or not at all: through a temporary file beside it,
    renamed over ``path`` only once complete."""
    import tempfile  # noqa: PLC0415 - only with --output-file

    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {target}: no folder {folder}")
    if os.path.isdir(target):
        raise UsageError(f"cannot write {target}: it is a folder")
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.",
                                    suffix=".partial")
    except OSError as exc:
        raise FtdataError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise FtdataError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
