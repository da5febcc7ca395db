"""Weights: per message (train on this turn or not) and per sample (SPEC §2.2)."""

from __future__ import annotations

from typing import Any

from validator.collect import Collector, Tally
from validator.formats.describe import describe
from validator.issues import Location

__all__ = ["SAMPLE_WEIGHT_KEY", "check_message_weight", "check_sample_weight"]

# SPEC §2.2: the sample weight is a top-level "weight", a number >= 0, valid on every JSONL
# format (documented since the December 2026 revision of Together's data-preparation docs).
SAMPLE_WEIGHT_KEY = "weight"


def check_message_weight(value: Any, path: Location, out: Collector) -> int | None:
    """The weight as 0 or 1, or None when it is not one."""
    kind = type(value)
    if kind is int:
        if value in (0, 1):
            return int(value)
        out.add("weight-invalid", path, f"message weight must be 0 or 1, not {value}")
    elif kind is bool:
        out.add("weight-bool", path,
                f"message weight is the boolean {str(value).lower()}: write {int(value)} "
                "(some SDKs reject booleans)")
        return int(value)
    elif kind is float and value in (0.0, 1.0):
        out.add("weight-invalid", path,
                f"message weight must be the integer 0 or 1, not {value}: write {int(value)}")
    else:
        out.add("weight-invalid", path,
                f"message weight must be the integer 0 or 1, not {describe(value)}")
    return None


def check_sample_weight(value: Any, out: Collector, tally: Tally) -> None:
    kind = type(value)
    if (kind is int or kind is float) and value >= 0:
        tally.has_sample_weights = True
        if value == 0:
            out.add("sample-weight-zero", (SAMPLE_WEIGHT_KEY,),
                    "sample weight is 0: the sample is uploaded but trains on nothing; drop it "
                    "or give it a weight above 0")
    else:
        out.add("sample-weight-invalid", (SAMPLE_WEIGHT_KEY,),
                f"sample weight must be a number >= 0, not {describe(value)}")

