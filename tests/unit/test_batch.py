"""Batch request lines by endpoint (chat completions, audio FILE, prompt), the batch line limit,
eval rows (keys, image_data_urls) and the calibration purpose (SPEC §1, §3)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from validator import check_records, validate_bytes
from validator.cli.main import main
from validator.config import Config
from validator.limits import LIMITS
from validator.purposes import PURPOSES
from validator.run import parallel
from validator.run.pipeline import validate_file

MODEL = "deepseek-ai/DeepSeek-V3"
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMB"
       "AQDJ/pLvAAAAAElFTkSuQmCC")


def issues(records: list[Any], purpose: str = "batch-api") -> list[tuple[int | None, str | None,
                                                                          str, str]]:
    """Every issue of ``records`` in order, ungrouped; batch custom_ids are made unique."""
    if purpose == "batch-api":
        records = [{**r, "custom_id": f"{r['custom_id']}-{n}"} if "custom_id" in r else r
                   for n, r in enumerate(records)]
    return [(i.line, i.path, i.code, i.message)
            for verdict in check_records(records, purpose) for i in verdict.issues]


def codes(lines: list[Any], purpose: str = "batch-api") -> list[str]:
    return [code for _, _, code, _ in issues(lines, purpose)]


def chat(messages: Any, **params: Any) -> dict[str, Any]:
    return {"custom_id": "r", "body": {"model": MODEL, "messages": messages, **params}}


# --- chat completions --------------------------------------------------------------------------


def test_chat_requests_are_not_fine_tuning_samples() -> None:
    """No assistant needed, no turn order, no tool pairing, images anywhere, weights and other
    message keys unread, request parameters unwarned."""
    messages = [
        {"role": "assistant", "content": "Hello!"},
        {"role": "system", "content": [{"type": "image_url", "image_url": {"url": PNG}}]},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function",
                         "function": {"name": "undeclared", "arguments": "{}"}}]},
        {"role": "tool", "content": "42"},
        {"role": "tool", "content": "43", "tool_call_id": "nowhere"},
        {"role": "user", "content": [{"type": "text", "text": "and?"},
                                     {"type": "image_url",
                                      "image_url": {"url": "https://example.com/a.png"}}],
         "weight": 7, "thinking": "x"},
        {"role": "user", "content": "again"},
    ]
    assert issues([chat(messages, max_tokens=9, temperature=0.1, top_k=5, stream=False,
                        response_format={"type": "json_object"}, tools=[])]) == []


@pytest.mark.parametrize(("role", "hint"), [("developer", "use 'system'"),
                                            ("function", "use 'tool'")])
def test_roles_of_other_apis_get_a_hint(role: str, hint: str) -> None:
    ((_, path, code, message),) = issues([chat([{"role": role, "content": "x"}])])
    assert (path, code) == ("$.body.messages[0].role", "role-invalid")
    assert hint in message


@pytest.mark.parametrize("message", [{"role": "bot", "content": "x"}, {"content": "x"},
                                     {"role": 5, "content": "x"}, {"role": "developer"}])
def test_role_wording_matches_the_fine_tuning_rule(message: dict[str, Any]) -> None:
    batch = issues([chat([message])])
    tune = issues([{"messages": [message, {"role": "assistant", "content": "y"}]}], "fine-tune")
    assert next(i for i in batch if i[2] == "role-invalid")[2:] == next(
        i for i in tune if i[2] == "role-invalid")[2:]


def test_chat_content_and_tool_call_shapes_are_errors() -> None:
    assert codes([chat([{"role": "user"}]), chat([{"role": "user", "content": None}]),
                  chat([{"role": "assistant", "tool_calls": []}]),
                  chat([{"role": "user", "content": {"text": "x"}}]),
                  chat([{"role": "assistant", "tool_calls": "x"}]),
                  chat([{"role": "user", "content": [{"type": "input_text", "text": "x"}]}])]) == [
        "content-missing", "content-missing", "tool-calls-empty", "content-missing",
        "content-invalid", "tool-call-invalid", "part-invalid"]


def test_hosted_images_must_be_https() -> None:
    part = {"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}
    assert codes([chat([{"role": "user", "content": [part]}])]) == ["image-url-invalid"]


def test_chat_data_urls_are_still_checked() -> None:
    def url(u: str) -> dict[str, Any]:
        return chat([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": u}}]}])

    broken = PNG[:60] + "\n" + PNG[60:]
    assert codes([url("data:image/png;base64,"), url("data:image/png;base64,cat.png"),
                  url(broken), url("data:image/jpeg;base64," + PNG[22:]),
                  url("data:image/png;base64," + "A" * LIMITS.max_image_url_chars)]) == [
        "image-base64", "image-base64", "image-base64-breaks", "image-type-mismatch",
        "batch-line-too-long", "image-too-large"]


# --- audio, prompt, body -----------------------------------------------------------------------


def audio(body: Any, **extra: Any) -> dict[str, Any]:
    return {"custom_id": "a", "method": "FILE", "body": body, **extra}


def test_audio_file_requests() -> None:
    model = "openai/whisper-large-v3"
    assert issues([audio({"model": model, "file": "https://example.com/a.mp3", "language": "en"},
                         url="/v1/audio/transcriptions")]) == []
    found = issues([audio({"model": model}), audio({"model": model, "file": "a.mp3"}),
                    audio({"file": "https://example.com/a.mp3"}), audio([])])
    assert [(p, c) for _, p, c, _ in found] == [
        ("$.body.file", "batch-body"), ("$.body.file", "batch-body"),
        ("$.body.model", "batch-body"), ("$.body", "batch-body")]
    assert '"method": "FILE"' in found[0][3] and "URL" in found[0][3]


def test_a_file_body_without_method_file_is_not_a_chat() -> None:
    ((_, path, code, message),) = issues([{"custom_id": "a", "body": {
        "model": "m", "file": "https://example.com/a.mp3"}}])
    assert (path, code) == ("$.body", "batch-body")
    assert '"method": "FILE"' in message


def test_prompt_bodies_warn() -> None:
    found = issues([{"custom_id": "p", "body": {"model": MODEL, "prompt": "Once"}},
                    {"custom_id": "q", "body": {"model": MODEL, "prompt": ["a", "b"]}},
                    {"custom_id": "s", "body": {"prompt": "Once"}}])
    assert [(line, code) for line, _, code, _ in found] == [
        (1, "batch-prompt"), (2, "batch-prompt"), (3, "batch-body"), (3, "batch-prompt")]
    report = validate_bytes(orjson.dumps({"custom_id": "p", "body": {"model": "m", "prompt": 1}}),
                            purpose="batch-api")
    assert report.valid and report.warnings == 1


# --- the 10 MB line limit ----------------------------------------------------------------------


def _line_of(size: int) -> bytes:
    head = orjson.dumps(chat([{"role": "user", "content": ""}]))
    line = head.replace(b'"content":""', b'"content":"' + b"a" * (size - len(head)) + b'"')
    assert len(line) == size
    return line


@pytest.mark.parametrize(("extra", "expected"), [(0, []), (1, ["batch-line-too-long"])])
def test_line_limit_is_ten_megabytes(extra: int, expected: list[str]) -> None:
    size = LIMITS.batch_max_line_bytes + extra
    assert LIMITS.batch_max_line_bytes == 10 * 10**6
    report = validate_bytes(_line_of(size) + b"\n", purpose="batch-api")
    assert [i.code for i in report.issues] == expected
    if expected:
        (issue,) = report.issues
        assert (issue.line, issue.path) == (1, None)
        assert f"{size:,} bytes" in issue.message


def test_line_limit_is_for_batch_files_only() -> None:
    line = orjson.dumps({"text": "a" * LIMITS.batch_max_line_bytes})
    assert validate_bytes(line, purpose="fine-tune").issues == []


# --- eval and calibration ----------------------------------------------------------------------


def test_eval_rows_are_compared_with_the_first_row() -> None:
    rows: list[Any] = [{"q": 1, "a": 2}, {"a": 1, "q": 2}, {"q": 1}, {"q": 1, "a": 2, "b": 3},
                       {"x": 1, "y": 2, "z": 3, "w": 4, "v": 5, "u": 6, "t": 7}]
    found = issues(rows, "eval")
    assert [(line, path, code) for line, path, code, _ in found] == [
        (3, None, "eval-keys"), (4, None, "eval-keys"), (5, None, "eval-keys")]
    assert "(line 1): missing 'a'; give" in found[0][3]
    assert "(line 1): extra 'b'; give" in found[1][3]
    assert "missing 'q', 'a'; extra 'x', 'y', 'z', 'w', 'v' and 2 more" in found[2][3]


def test_an_empty_first_row_sets_no_keys() -> None:
    assert codes([{}, {"q": 1}, {"q": 2}, {}], "eval") == ["eval-keys"]


def test_eval_first_row_spans_record_batches() -> None:
    rows = [{"q": 1}, {"q": 2}, {"p": 3}, {"p": 4}, {"q": 5}]
    verdicts = list(check_records(rows, "eval", batch=2))
    assert [[i.code for i in v.issues] for v in verdicts] == [
        [], [], ["eval-keys"], ["eval-keys"], []]


def test_eval_first_row_spans_parallel_ranges(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)
    rows = [b"[1]", b"{}"] + [orjson.dumps({"q": i} if i % 3 else {"p": i}) for i in range(3000)]
    path = tmp_path / "eval.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    with path.open("rb") as handle:
        jobs = parallel.plan_jobs(str(path), handle, path.stat().st_size, purpose="eval",
                                  config=Config(), chunks=4)
    assert jobs is not None and len(jobs) == 4
    assert [job.first_row for job in jobs] == [None] + [(3, ("p",))] * 3
    config = Config(max_errors=10_000)
    one = validate_file(path, "eval", config=config, workers=1)
    assert one.by_code["eval-keys"] == 2000
    assert validate_file(path, "eval", config=config, workers=2) == one


@pytest.mark.parametrize("row", [{"image_data_urls": PNG}, {"image_data_urls": [PNG, PNG]},
                                 {"image_data_urls": []},
                                 {"image_data_urls": "data:image/gif;base64,R0lGOD=="}])
def test_eval_image_data_urls_accepted(row: dict[str, Any]) -> None:
    assert issues([row], "eval") == []


@pytest.mark.parametrize(("value", "path"), [
    ("cat.png", "$.image_data_urls"), ("https://example.com/a.png", "$.image_data_urls"),
    ("data:image/png,abc", "$.image_data_urls"), (None, "$.image_data_urls"),
    ({"url": PNG}, "$.image_data_urls"), ([PNG, 3], "$.image_data_urls[1]"),
    (["data:text/plain;base64,aGk="], "$.image_data_urls[0]"),
])
def test_eval_image_data_urls_rejected(value: Any, path: str) -> None:
    ((_, where, code, _),) = issues([{"image_data_urls": value}], "eval")
    assert (where, code) == (path, "eval-image-url")


def test_calibration_is_one_object_per_line() -> None:
    assert "calibration" in PURPOSES
    rows: list[Any] = [{"text": "a"}, {"other": 1, "image_data_urls": "cat.png"}, [1]]
    assert codes(rows, "calibration") == ["not-object"]


def test_cli_accepts_purpose_calibration(tmp_path: Path) -> None:
    path = tmp_path / "calib.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"messages": []}\n')
    out, err = io.StringIO(), io.StringIO()
    status = main(["validate", "--purpose", "calibration", "--output", "json", str(path)],
                  stdout=out, stderr=err)
    assert (status, err.getvalue()) == (0, "")
    (report,) = orjson.loads(out.getvalue())["files"]
    assert report["validation_report"]["valid"] is True
    assert report["validation_report"]["nlines"] == 2
