"""What SPEC §5 fixes about the Together Files API, in one place for the client and the local
server, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from validator import FILE_TYPES, PURPOSES

__all__ = [
    "DEFAULT_BASE_URL",
    "FILE_ID_HEADER",
    "FILE_TYPES",
    "MAX_PARTS",
    "PART_CONCURRENCY",
    "PART_MIN_BYTES",
    "PART_TARGET_BYTES",
    "PURPOSES",
    "SINGLE_MAX_BYTES",
    "TERMINAL_STATUSES",
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


def unwrap_file(doc: dict[str, Any]) -> dict[str, Any]:
    """The file object of an answer that may wrap it as ``{"file": {...}}`` (multipart complete)."""
    inner = doc.get("file")
    return inner if isinstance(inner, dict) else doc
