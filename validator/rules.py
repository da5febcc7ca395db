"""Every rule ftdata checks: its stable code, default severity and one-line summary.

This table is the one place a rule is declared. The checks that raise a rule live in the
module for the part of the data they look at (``formats/``, ``parse.py``, ``source.py``);
they refer to rules by code, and a test makes sure every code here is raised by some example
file. Defaults follow ``SPEC.md``: **error** where the server is known or documented to reject
the data, **warning** where it is documented but not known to be enforced, or is a data-quality
problem. Users change severities in ``[tool.ftdata]`` or with CLI flags.
"""

from __future__ import annotations

from dataclasses import dataclass

from validator.issues import Severity

__all__ = ["LIMITS", "RULES", "Rule"]

E = Severity.ERROR
W = Severity.WARNING


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    summary: str


_TABLE: tuple[tuple[str, Severity, str], ...] = (
    # Files (SPEC §1)
    ("file-unreadable", E, "the file is missing, a directory, not a regular file or unreadable"),
    ("file-type", E, "the file name does not end in a type the server accepts"),
    ("file-empty", E, "the file has 0 bytes"),
    ("file-too-large", E, "the file is larger than the server accepts"),
    ("purpose-file-type", E, "CSV is only for purpose eval, Parquet only for fine-tune"),
    ("no-samples", E, "the file holds no sample"),
    # Lines (SPEC §2)
    ("bom", E, "the file starts with a UTF-8 byte-order mark"),
    ("utf8-invalid", E, "a line is not valid UTF-8"),
    ("line-too-long", E, "a line is longer than the configured maximum"),
    ("json-invalid", E, "a line is not valid JSON"),
    ("not-object", E, "a line is JSON but not an object"),
    ("blank-line", W, "a blank or whitespace-only line (skipped, not a sample)"),
    ("format-unknown", E, "a line's keys match no dataset format"),
    ("format-ambiguous", E, "a line has the keys of two dataset formats"),
    ("format-mixed", E, "a line's format differs from the file's first line"),
    ("key-unknown", W, "a top-level key the server ignores"),
    # Conversation (SPEC §2.1)
    ("messages-invalid", E, "messages is not a non-empty list"),
    ("message-invalid", E, "a message is not an object"),
    ("role-invalid", E, "a message role is missing or not system/user/assistant/tool"),
    ("content-missing", E, "a message has no content"),
    ("content-invalid", E, "a content is neither a string nor a list of parts"),
    ("no-assistant", E, "a conversation has no assistant message"),
    ("turn-order", W, "the documented order of turns is not followed"),
    ("nothing-trained", W, "every assistant message has weight 0"),
    # Weights (SPEC §2.2)
    ("weight-invalid", E, "a message weight is not the integer 0 or 1"),
    ("weight-bool", W, "a message weight is a JSON boolean"),
    ("image-weight", E, "a message holding an image has weight 1"),
    ("sample-weight-invalid", E, "a sample weight is not a number >= 0"),
    # Tools (SPEC §2.3)
    ("tools-invalid", E, "a tool definition is malformed"),
    ("tool-schema-invalid", W, "a tool's parameters are not a valid JSON Schema"),
    ("tool-call-invalid", E, "an assistant tool call is malformed"),
    ("tool-calls-empty", W, "an assistant message has an empty tool_calls list"),
    ("tool-calls-role", W, "tool_calls on a message that is not from the assistant"),
    ("tool-arguments-invalid", E, "tool call arguments are a string that is not JSON"),
    ("tool-arguments-object", W, "tool call arguments are an object instead of a JSON string"),
    ("tool-undeclared", W, "a called tool is not declared in tools"),
    ("tool-arguments-schema", W, "tool call arguments do not match the declared parameters"),
    ("tool-orphan", E, "a tool message comes before any assistant tool call"),
    ("tool-call-id", W, "a tool message's tool_call_id is missing or matches no call"),
    ("tool-unanswered", W, "a tool call is never answered by a tool message"),
    # Reasoning (SPEC §2.3)
    ("reasoning-invalid", E, "reasoning is not a string"),
    ("reasoning-role", W, "reasoning on a message that is not from the assistant"),
    ("reasoning-both", W, "a message has both reasoning and reasoning_content"),
    # Multimodal (SPEC §2.4)
    ("part-invalid", E, "a content part is malformed"),
    ("image-url-invalid", E, "an image URL is not a base64 JPEG, PNG or WebP data URL"),
    ("image-too-large", E, "an image data URL is longer than the server accepts"),
    ("image-base64", E, "an image's base64 data does not decode"),
    ("image-type-mismatch", W, "an image's bytes are not the type its data URL names"),
    ("image-role", E, "an image outside a user message or instruction prompt"),
    ("image-count", E, "more than 10 images in a message or a sample"),
    ("content-mixed", E, "a sample mixes string content and part-list content"),
    # Parquet and CSV (SPEC §3)
    ("parquet-invalid", E, "the file cannot be read as Parquet"),
    ("parquet-columns", E, "no input_ids column, or a column the server does not accept"),
    ("parquet-type", E, "a Parquet column is not a list of integers"),
    ("parquet-null", E, "a Parquet row or token is null"),
    ("parquet-length", E, "a row's lists differ in length from its input_ids"),
    ("parquet-empty", E, "a row's input_ids is empty"),
    ("parquet-attention-mask", E, "an attention_mask value is not 0 or 1"),
    ("parquet-labels", E, "a labels value is neither -100 nor >= 0"),
    ("parquet-nothing-trained", W, "every label of a row is -100, so it trains on nothing"),
    ("csv-invalid", E, "the file cannot be read as CSV or has no header"),
    ("csv-columns", E, "a CSV row's column count differs from the header's"),
    # Batch API requests (SPEC §3)
    ("batch-custom-id", E, "custom_id is missing, not a string, or not 1-64 characters"),
    ("batch-custom-id-duplicate", E, "a custom_id already used on an earlier line"),
    ("batch-body", E, "body is not an object with a model and messages or prompt"),
    ("batch-method", E, "method or url is not a string"),
    ("batch-limits", E, "more than 50,000 requests or 100 MB in one batch file"),
    # Compressed input (SPEC §1)
    ("archive-invalid", E, "the compressed data is truncated or corrupt"),
    # Instruction, general, preference (SPEC §2.5)
    ("field-invalid", E, "prompt, completion or text has the wrong type"),
    ("completion-empty", W, "an instruction completion is empty"),
    ("text-parts", W, "a general text is a part list rather than a string"),
    ("preference-input-invalid", E, "a preference input is not an object with messages"),
    ("preference-last-assistant", E, "a preference input ends with an assistant message"),
    ("preference-output-invalid", E, "a preference output is not one assistant message"),
    ("preference-identical", W, "preferred and non-preferred outputs are identical"),
)

RULES: dict[str, Rule] = {code: Rule(code, sev, summary) for code, sev, summary in _TABLE}


@dataclass(frozen=True, slots=True)
class _Limits:
    max_file_bytes: int = 100 * 10**9  # documented 100 GB
    # 10 images of ~14 MB fit; bounds memory on a file that never ends a line
    max_line_bytes: int = 256 * 2**20
    max_image_url_chars: int = 13_981_036  # about 10 MiB decoded
    max_images_per_message: int = 10
    max_images_per_sample: int = 10
    batch_max_lines: int = 50_000
    batch_max_bytes: int = 100 * 10**6
    custom_id_max_chars: int = 64


LIMITS = _Limits()
