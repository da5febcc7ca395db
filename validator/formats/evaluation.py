"""Eval JSONL rows (SPEC §3): one JSON object per line, every row with the first row's keys,
and images (``image_data_urls``) as base64 data URLs.

Not a dataset format: an eval file has no ``dataset_format``, and the row's fields are the
evaluation's own (its templates name them), so only their key set and the image field are
checked. A calibration file is only parsed (no rules are documented for it).
"""

from __future__ import annotations

import re
from typing import Any

from validator.collect import Collector
from validator.formats.describe import describe
from validator.issues import Location

__all__ = ["IMAGES_KEY", "check"]

IMAGES_KEY = "image_data_urls"
_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,")
_SHOWN = 5  # key names listed in a message


def check(rec: dict[str, Any], out: Collector, first: dict[str, int]) -> None:
    """One row. ``first`` maps the first row's keys to its line: empty until a row with keys
    is met (this one then fills it), carried from piece to piece like batch custom_ids."""
    if not first:
        line = out.line or 0
        for key in rec:
            first[key] = line
    elif rec.keys() != first.keys():
        missing = [k for k in first if k not in rec]
        extra = [k for k in rec if k not in first]
        parts = []
        if missing:
            parts.append(f"missing {_names(missing)}")
        if extra:
            parts.append(f"extra {_names(extra)}")
        out.add("eval-keys", None,
                f"row's keys differ from those of the first row (line "
                f"{next(iter(first.values()))}): {'; '.join(parts)}; give every row the same keys")
    if IMAGES_KEY in rec:
        _check_images(rec[IMAGES_KEY], out)


def _names(keys: list[str]) -> str:
    shown = ", ".join(repr(k) for k in keys[:_SHOWN])
    return shown + (f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else "")


def _check_images(value: Any, out: Collector) -> None:
    if type(value) is str:
        if not _DATA_URL.match(value):
            _bad(value, (IMAGES_KEY,), out)
    elif type(value) is list:
        for k, url in enumerate(value):
            if type(url) is not str or not _DATA_URL.match(url):
                _bad(url, (IMAGES_KEY, k), out)
    else:
        out.add("eval-image-url", (IMAGES_KEY,),
                f"{IMAGES_KEY} must be a data URL string or a list of them, not "
                f"{describe(value)}")


def _bad(url: Any, path: Location, out: Collector) -> None:
    hint = ("remote URLs are not fetched; embed the image" if type(url) is str
            and url.startswith(("http://", "https://")) else "encode the image")
    out.add("eval-image-url", path,
            f"image {describe(url)} is not a base64 image data URL: {hint} as "
            '"data:image/png;base64,..." (or jpeg, webp)')
