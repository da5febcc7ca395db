"""What SPEC §5 fixes about the Together Files API, in one place for the client and the local
server, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from validator import FILE_TYPES, PURPOSES

__all__ = [
    "DEFAULT_BASE_URL",
    "FILE_ID_HEADER",
    "FILE_TYPES",
    "MAX_ANSWER_BYTES",
    "MAX_PARTS",
    "PART_CONCURRENCY",
    "PART_MIN_BYTES",
    "PART_TARGET_BYTES",
    "PURPOSES",
    "REPORT_FIELDS",
    "SINGLE_MAX_BYTES",
    "TERMINAL_STATUSES",
    "VALIDATED_PURPOSES",
    "server_validates",
    "unwrap_file",
]

DEFAULT_BASE_URL = "https://api.together.ai/v1"
FILE_ID_HEADER = "X-Together-File-Id"

SINGLE_MAX_BYTES = 5 * 2**30  # above this only multipart is accepted
PART_TARGET_BYTES = 250 * 2**20
PART_MIN_BYTES = 5 * 2**20
MAX_PARTS = 250
PART_CONCURRENCY = 4

TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "INVALID_FORMAT"})

# Only fine-tune files are validated by the service; the others skip validation, and their
# processing status or report may never come, so nobody waits for one (SPEC §5).
VALIDATED_PURPOSES = frozenset({"fine-tune"})

# The validation_report fields SPEC §4 names, with the JSON type each has when present. The
# schema "may evolve" and a server sometimes sends only a few of them: a missing or null field
# is unknown, a field of another type is a malformed answer, an unknown field is left alone.
REPORT_FIELDS: dict[str, type] = {
    "valid": bool,
    "dataset_format": str,
    "dataset_has_sample_weights": bool,
    "dataset_has_message_weights": bool,
    "dataset_is_multimodal": bool,
    "dataset_has_tools": bool,
    "dataset_has_parallel_tool_calls": bool,
    "dataset_has_reasoning": bool,
    "nlines": int,
    "file_id": str,
    "error_type": str,
    "error": str,
}

# The most of any answer the client reads: a JSON answer over it is an error, an error answer's
# message is cut there. 16 MiB holds a GET /files of tens of thousands of files.
MAX_ANSWER_BYTES = 16 << 20


def server_validates(purpose: object) -> bool:
    """Whether the service validates files of ``purpose`` (and so has a verdict to wait for)."""
    return purpose in VALIDATED_PURPOSES


def unwrap_file(doc: dict[str, Any]) -> dict[str, Any]:
    """The file object of an answer that may wrap it as ``{"file": {...}}`` (multipart complete)."""
    inner = doc.get("file")
    return inner if isinstance(inner, dict) else doc
