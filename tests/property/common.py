"""What the property tests of the validator share: the hypothesis profile they run under,
the report's flags, the purposes, JSON-ish text, and the issues of a report as a list.

The default run is bounded (about 60 examples per test). For a long run:
``HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/property/test_valid_records.py
tests/property/test_robustness.py tests/property/test_mutations.py
tests/property/test_file_types.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from validator.purposes import PURPOSES
from validator.report import SERVER_FIELDS, Report

settings.register_profile(
    "ftdata-default", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Applied per test rather than loaded globally, so other test modules keep their own settings.
PROFILE = settings.get_profile(
    "deep" if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else "ftdata-default"
)

FLAGS = tuple(f for f in SERVER_FIELDS if f.startswith(("dataset_has_", "dataset_is_")))


def _issues(report: Report) -> list[tuple[int | None, str | None, str, str]]:
    return [(i.line, i.path, i.code, i.message) for i in report.issues]


purposes = st.sampled_from(PURPOSES)

# Fragments that steer random text into the parser's and the checks' corners.
TOKENS = (
    "{", "}", "[", "]", ":", ",", '"', "\\", " ", "\t", "\r", "\n", "\n", "\r\n", "\f",
    '"messages"', '"role"', '"content"', '"user"', '"assistant"', '"tool"', '"system"',
    '"text"', '"prompt"', '"completion"', '"weight"', '"tools"', '"tool_calls"', '"input"',
    '"preferred_output"', '"non_preferred_output"', '"type"', '"image_url"', '"url"',
    '"function"', '"arguments"', '"name"', '"id"', '"tool_call_id"', '"reasoning"',
    '"data:image/png;base64,iVBORw0KGgo="', '"data:image/jpg;base64,AAAA"',
    "0", "1", "-1", "1.0", "2", "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
    "true", "false", "null", "NaN", "Infinity", "-Infinity",
    '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\u0000"', '"é"', '"\u2028"',
    "\ufeff", "\x00", "\x7f",
)
jsonish_text = st.lists(
    st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60
).map("".join)
