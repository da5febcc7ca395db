"""The together SDK's own ``check_file``, each major version in its own venv.

The SDK is never installed into the project's ``.venv``: each version gets a venv under
``benchmarks/.venvs/`` (git-ignored), built on first use with pip and reused while it holds the
wanted major version. Where ``check_file`` lives is found in the installed package, not assumed:
1.x exports it from ``together.utils``; 3.x moved it to ``together.lib.utils``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SDKS", "Installed", "Sdk", "SdkUnavailable", "check_argv", "ensure"]

VENVS = Path(__file__).resolve().parent / ".venvs"


class SdkUnavailable(RuntimeError):
    """The SDK venv could not be built or check_file could not be found (message: why)."""


@dataclass(frozen=True)
class Sdk:
    key: str  # "3.x"
    requirement: str  # what pip installs
    major: int
    rules: tuple[str, ...]  # what its check_file checks on JSONL, read from its source


# What each version's check_file checks, read from the installed source (together 3.1.1:
# together/lib/utils/files.py; together 1.5.35: together/utils/files.py). Both stop at the
# first problem and return a dict with is_check_passed and one message.
_COMMON = (
    "path is a regular file; size <= 50.1 GiB; not empty; extension .jsonl, .parquet or .csv",
    "the whole file decodes as UTF-8 (a separate full pass before the JSON pass)",
    "at least 1 sample",
    "CSV only for purpose eval (header, equal column counts); Parquet not for eval (loads, "
    "has input_ids, no column beyond input_ids/attention_mask/labels)",
)
SDKS: dict[str, Sdk] = {
    "3.x": Sdk("3.x", "together>=3,<4", 3, (
        *_COMMON,
        "each non-blank line parses with json.loads and is a JSON object; blank lines skipped",
        "nothing else: no format detection, no message, weight, image, tool or reasoning rule "
        "(the same for every purpose; the server checks the rest after upload)",
    )),
    "1.x": Sdk("1.x", "together>=1,<2", 1, (
        *_COMMON,
        "every line parses with json.loads and is a JSON object (a blank line fails)",
        "format from the keys (text; messages; prompt+completion; input+preferred_output+"
        "non_preferred_output); keys of two formats, or any other top-level key, is an error "
        "(so `tools` and a sample `weight` are rejected); every line has the first line's format",
        "messages: a non-empty list of objects, each with role and content (an assistant "
        "message with tool_calls and no content fails); role in system/user/assistant (no "
        "tool role); the same role twice in a row fails; at least one assistant",
        "message weight: an int 0 or 1 (true/false pass as ints); an image with a non-zero "
        "weight fails",
        "content: a string or a list of text/image_url parts; images only in user messages and "
        "instruction prompts; the URL starts data:image/jpeg|png|webp;base64, and is at most "
        "~10 MiB; at most 10 images per message and per sample; a sample mixing string and "
        "part-list content fails",
        "instruction prompt/completion and general text: the same content rules",
        "preference: input is an object with messages (checked as above, no assistant needed), "
        "not ending with an assistant message; each output a list of exactly one assistant "
        "message with content",
        "not checked: base64 decoding or image type, tools, tool calls and their arguments, "
        "tool answers, reasoning, sample weights, turn order beyond no repeated role",
    )),
}

# Run inside an SDK venv: print where check_file is defined, as JSON.
_LOCATE = r"""
import importlib, inspect, json, os, sys
from importlib import metadata
import together
found = None
for name in ("together.utils", "together.lib.utils"):  # public re-exports first
    try:
        module = importlib.import_module(name)
    except Exception:
        continue
    if callable(getattr(module, "check_file", None)):
        found = name
        break
if found is None:  # search the installed package for its definition
    root = os.path.dirname(together.__file__)
    for folder, _dirs, files in sorted(os.walk(root)):
        for file in sorted(files):
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                with open(path, encoding="utf-8") as handle:
                    if "\ndef check_file(" in handle.read():
                        rel = os.path.relpath(path, os.path.dirname(root))[:-3]
                        found = rel.replace(os.sep, ".").removesuffix(".__init__")
                        break
        if found:
            break
if found is None:
    sys.exit("no check_file in together " + metadata.version("together"))
fn = importlib.import_module(found).check_file
print(json.dumps({"version": metadata.version("together"), "module": found,
                  "defined_in": fn.__module__,
                  "source": os.path.relpath(inspect.getsourcefile(fn),
                                            os.path.dirname(os.path.dirname(together.__file__)))}))
"""

# Run inside an SDK venv: check_file on one file, the report as JSON on stdout.
_CHECK = r"""
import importlib, json, sys
check_file = importlib.import_module(sys.argv[1]).check_file
report = check_file(sys.argv[2])
print(json.dumps({k: report.get(k) for k in ("is_check_passed", "message", "line_number",
                                              "num_samples")}))
"""


@dataclass(frozen=True)
class Installed:
    sdk: Sdk
    python: Path
    version: str
    module: str  # where check_file is imported from
    defined_in: str
    source: str


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _locate(python: Path) -> dict[str, str] | None:
    done = subprocess.run([str(python), "-c", _LOCATE], capture_output=True, text=True,
                          check=False, timeout=300)
    if done.returncode != 0:
        return None
    return dict(json.loads(done.stdout))


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if "is ignored" not in line]
    return " | ".join(kept[-lines:]) or "no output"


def ensure(sdk: Sdk, log: bool = True) -> Installed:
    """The venv for ``sdk``, built if missing or holding another version."""
    venv = VENVS / f"together{sdk.major}"
    python = _python(venv)
    info = _locate(python) if python.exists() else None
    if info is None or int(info["version"].split(".")[0]) != sdk.major:
        if log:
            print(f"building {venv} with {sdk.requirement} ...", file=sys.stderr, flush=True)
        made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)],
                              capture_output=True, text=True, check=False)
        if made.returncode != 0:
            raise SdkUnavailable(f"python -m venv failed: {_tail(made.stderr)}")
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             sdk.requirement], capture_output=True, text=True, check=False, timeout=900)
        if pip.returncode != 0:
            raise SdkUnavailable(f"pip install {sdk.requirement!r} failed: {_tail(pip.stderr)}")
        info = _locate(python)
        if info is None:
            raise SdkUnavailable(f"installed {sdk.requirement!r} but found no check_file in it")
    return Installed(sdk, python, info["version"], info["module"], info["defined_in"],
                     info["source"])


def check_argv(installed: Installed, path: str | Path) -> list[str]:
    """The command that runs this SDK's check_file on ``path`` and prints its verdict."""
    return [str(installed.python), "-c", _CHECK, installed.module, str(path)]
