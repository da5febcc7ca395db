"""instruction samples: ``prompt`` and ``completion`` (SPEC §2.5)."""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.content import check_parts
from validator.formats.describe import describe
from validator.limits import LIMITS

__all__ = ["check"]


def check(rec: dict[str, Any], out: Collector, tally: Tally) -> None:
    chars = 0
    images = 0
    for key, place in (("prompt", None), ("completion", "an instruction completion")):
        value = rec[key]
        if type(value) is str:
            chars += len(value)
            if key == "completion" and not value.strip():
                out.add("completion-empty", ("completion",),
                        "completion is empty: the model learns to answer with nothing")
        elif type(value) is list:
            tally.is_multimodal = True
            n_images, n_chars = check_parts(value, (key,), out, place)
            images += n_images
            chars += n_chars
        else:
            out.add("field-invalid", (key,),
                    f"{key} must be a string or a list of content parts, not {describe(value)}")
    if images > LIMITS.max_images_per_sample:
        out.add("image-count", ("prompt",),
                f"sample has {images} images, over the limit of {LIMITS.max_images_per_sample}")
    tally.chars.add(chars)
