"""The limits endpoint for the validator's ``--model`` (the ``ftdata.model_limits`` entry
point, see :mod:`validator.models.remote`): ``GET /fine-tunes/models/limits?model_name=M``
with the key of ``TOGETHER_API_KEY`` at ``TOGETHER_BASE_URL``, as every uploader request is
sent (the key checked first, never sent over plain http to another host, no redirect
followed, the answer bounded in size and time).

A model the API does not know (404) is None; any other failure raises an
:class:`~uploader.errors.UploadError` whose message never holds the key.
"""

from __future__ import annotations

from typing import Any

from uploader.api import FilesClient
from uploader.errors import ApiError
from uploader.session import retry_policy

__all__ = ["ANSWER_TIMEOUT", "fetch"]

ANSWER_TIMEOUT = 30.0  # seconds for the whole answer: a check before upload must not hang
_RETRY = retry_policy(retries=2, backoff=0.5, backoff_max=2.0, retry_after_max=5)


def fetch(model_id: str) -> dict[str, Any] | None:
    """The endpoint's answer for ``model_id``; None when the API does not know the model."""
    with FilesClient.from_env(retry=_RETRY, timeout=(5.0, ANSWER_TIMEOUT),
                              answer_timeout=ANSWER_TIMEOUT) as client:
        try:
            return client.json("GET", "/fine-tunes/models/limits", what="model limits",
                               params={"model_name": model_id})
        except ApiError as exc:
            if exc.status == 404:  # not found
                return None
            raise
