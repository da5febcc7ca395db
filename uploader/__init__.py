"""ftdata's uploader: send a dataset to the Together Files API only once the validator passes it.

    >>> from uploader import upload
    >>> result = upload("train.jsonl")           # TOGETHER_API_KEY, TOGETHER_BASE_URL
    >>> result.file_id, result.status, result.validation_report

The validator never imports this package; the ``ftdata upload``, ``serve`` and ``files``
commands reach the CLI through the ``ftdata.commands`` entry-point group.
"""

from uploader.api import FilesClient
from uploader.errors import (
    ApiError,
    AuthenticationError,
    FileChangedError,
    MissingApiKey,
    ProcessingTimeout,
    SlowAnswer,
    TransportError,
    UnexpectedResponse,
    UploadError,
    ValidationFailed,
)
from uploader.gate import UploadResult, upload
from uploader.poll import PollPolicy
from uploader.session import retry_policy

__all__ = [
    "ApiError",
    "AuthenticationError",
    "FileChangedError",
    "FilesClient",
    "MissingApiKey",
    "PollPolicy",
    "ProcessingTimeout",
    "SlowAnswer",
    "TransportError",
    "UnexpectedResponse",
    "UploadError",
    "UploadResult",
    "ValidationFailed",
    "retry_policy",
    "upload",
]
