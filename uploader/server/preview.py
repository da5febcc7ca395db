"""``POST /fine-tunes/preview`` (SPEC §5): the first rows of an uploaded training file as the
model's tokenizer and chat template see them, from :func:`validator.preview`.

The body is Together's: ``model`` and ``training_file`` (a file id) are required;
``training_method`` may only be ``"sft"``, ``train_on_inputs`` is a boolean (default false),
``top_k`` a whole number from 1 to 50 (default 5). The answer is ``{model, dataset_format,
max_seq_length, train_on_inputs, rows}``, each row ``{input_ids, labels, tokens, num_tokens,
num_trained_tokens, trained_spans, truncated}``.

Only a ``fine-tune`` file whose processing COMPLETED previews: one still processing, one that
failed validation, or one of another purpose is a 400 saying so. An unknown model or file is a
404. A sample the model cannot render, or a server without the ``tokens`` extra, is a 400 with
the validator's message (it carries the install line).
"""

from __future__ import annotations

from typing import Any

from uploader.server.models import Refusal
from uploader.server.store import Store
from validator import UsageError, find_model, preview

__all__ = ["preview_rows"]

_BAD = "invalid_request_error"


def _field(doc: dict[str, Any]) -> Refusal | None:
    """The first field of ``doc`` that is missing or of the wrong kind, as a 400."""
    for name in ("model", "training_file"):
        if not isinstance(doc.get(name), str) or not doc[name].strip():
            return Refusal(400, f"missing or invalid field {name!r}", _BAD, name)
    if doc.get("training_method", "sft") != "sft":
        return Refusal(400, "training_method must be 'sft': only supervised fine-tuning "
                       "previews", _BAD, "training_method")
    if not isinstance(doc.get("train_on_inputs", False), bool):
        return Refusal(400, "train_on_inputs must be true or false", _BAD, "train_on_inputs")
    top_k = doc.get("top_k", 5)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 50:
        return Refusal(400, "top_k must be a whole number from 1 to 50", _BAD, "top_k")
    return None


def preview_rows(doc: dict[str, Any], store: Store) -> dict[str, Any] | Refusal:
    """The answer to the preview request ``doc`` (the parsed body) over ``store``'s files, or
    the :class:`Refusal` to send instead."""
    refusal = _field(doc)
    if refusal is not None:
        return refusal
    try:
        model = find_model(doc["model"]).id
    except UsageError as exc:
        return Refusal(404, str(exc), "not_found", "model")
    file_id = doc["training_file"]
    record = store.files.get(file_id)
    if record is None:
        return Refusal(404, f"no file {file_id}", "not_found", "training_file")
    if record.purpose != "fine-tune" or record.file_type != "jsonl":
        return Refusal(400, f"{file_id} is a {record.purpose} {record.file_type} file: only "
                       "fine-tune JSONL files preview", _BAD, "training_file")
    if record.status != "COMPLETED":
        why = ("it did not pass validation" if record.status in ("FAILED", "INVALID_FORMAT")
               else "preprocess it and wait until it is COMPLETED")
        return Refusal(400, f"{file_id} is {record.status}: {why}", _BAD, "training_file")
    try:
        return preview(record.path, model, top_k=doc.get("top_k", 5),
                       train_on_inputs=doc.get("train_on_inputs", False)).to_api()
    except UsageError as exc:
        return Refusal(400, str(exc).replace(str(record.path), file_id), _BAD, "training_file")
