"""``GET /fine-tunes/models/limits?model_name=M`` (SPEC §5), answered from the validator's
bundled model table: Together's field names (``max_seq_length_sft``, ``max_seq_length_dpo``,
``min_max_seq_length``, ``supports_tools``, ``supports_reasoning``, ``supports_vision``,
``supports_full_training``, ``lora_training``, ``full_training``), only what the table knows
(see :meth:`validator.ModelLimits.to_api`).

The name is found as ``ftdata models`` finds it (the exact id, or one that matches it in case
only); the answer's ``model_name`` is always the exact id. ``min_max_seq_length`` is the
table's assumption (1,024), not a number from Together. An unknown model is a 404 whose
message lists close names; a missing, empty or repeated ``model_name`` is a 400.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qs

from validator import UsageError, find_model

__all__ = ["Refusal", "model_limits"]

_QUERY_FIELDS_MAX = 16


class Refusal(NamedTuple):
    """An error answer in the API's shape: status, message, error type, the parameter."""

    status: int
    message: str
    type: str
    param: str = "model_name"


def model_limits(query: str) -> dict[str, Any] | Refusal:
    """The limits document for the ``model_name`` of ``query`` (the raw query string), or
    the :class:`Refusal` to answer instead."""
    try:
        names = parse_qs(query, keep_blank_values=True,
                         max_num_fields=_QUERY_FIELDS_MAX).get("model_name", [])
    except ValueError:  # more fields than max_num_fields
        return Refusal(400, "too many query parameters", "invalid_request_error", "")
    if len(names) > 1:
        return Refusal(400, "give model_name once", "invalid_request_error")
    if not names or not names[0].strip():
        return Refusal(400, "missing query parameter model_name (a model's API id, such as "
                       "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference)",
                       "invalid_request_error")
    try:
        return find_model(names[0]).to_api()
    except UsageError as exc:
        return Refusal(404, str(exc), "not_found")
