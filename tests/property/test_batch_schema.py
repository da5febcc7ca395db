"""batch.json and the batch checks agree on the shapes only batch lines have: chat requests
with hosted images and request parameters, audio ``"method": "FILE"`` bodies, prompt bodies
(see test_schemas.py for the differential test itself)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.test_schemas import _REPLACEMENTS, _agree, _locations, compare, schema_errors

_text = st.text(max_size=6)
_url = st.sampled_from(["https://example.com/a.png", "data:image/png;base64,iVBORw0KGgo=",
                        "http://example.com/a.png", "https://", "data:image/gif;base64,R0lG"])
_part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": _text}),
    st.fixed_dictionaries({"type": st.just("image_url"),
                           "image_url": st.fixed_dictionaries({"url": _url})}))
_content = st.one_of(_text, st.lists(_part, max_size=3))
_call = st.fixed_dictionaries(
    {"id": _text, "type": st.just("function"),
     "function": st.fixed_dictionaries({"name": st.just("f"), "arguments": st.just("{}")})})
_message = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user", "assistant", "tool", "developer"]),
         "content": _content},
        optional={"weight": st.sampled_from([0, 1, 2, "x"]), "name": _text,
                  "reasoning": st.sampled_from(["r", 5]), "tool_call_id": _text}),
    st.fixed_dictionaries({"role": st.just("assistant"),
                           "tool_calls": st.lists(_call, max_size=2)},
                          optional={"content": st.one_of(st.none(), _content)}))
_params = {"max_tokens": st.integers(1, 9), "temperature": st.floats(0, 2),
           "response_format": st.just({"type": "json_object"}), "stop": st.just(["\n"])}
_chat = st.fixed_dictionaries(
    {"custom_id": st.text(min_size=1, max_size=8),
     "body": st.fixed_dictionaries({"model": st.just("m"),
                                    "messages": st.lists(_message, min_size=1, max_size=4)},
                                   optional=_params)},
    optional={"method": st.just("POST")})
_audio = st.fixed_dictionaries(
    {"custom_id": st.text(min_size=1, max_size=8), "method": st.just("FILE"),
     "body": st.fixed_dictionaries(
         {"model": st.just("openai/whisper-large-v3"),
          "file": st.sampled_from(["https://example.com/a.mp3", "http://x/a.wav", "a.mp3"])},
         optional={"language": st.just("en")})},
    optional={"url": st.just("/v1/audio/transcriptions")})
_prompt = st.fixed_dictionaries(
    {"custom_id": st.text(min_size=1, max_size=8),
     "body": st.fixed_dictionaries({"prompt": st.one_of(_text, st.lists(_text, max_size=2))},
                                   optional={"model": st.just("m")})})
RECORDS = st.one_of(_chat, _audio, _prompt)
_EXTRA = st.sampled_from(["FILE", "POST", "https://example.com/a.png", "developer",
                          {"model": "m", "file": "https://x/a.mp3"}, {"model": "m"}])


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    rec: dict[str, Any] = copy.deepcopy(draw(RECORDS))
    for _ in range(draw(st.integers(1, 2))):
        places = _locations(rec)
        *parent_path, last = draw(st.sampled_from(places))
        parent: Any = rec
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[last]
        else:
            parent[last] = copy.deepcopy(draw(st.one_of(_REPLACEMENTS, _EXTRA)))
    return rec


def test_documented_shapes_are_valid() -> None:
    for rec in [
        {"custom_id": "1", "body": {"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [{"type": "image_url",
                                          "image_url": {"url": "https://example.com/a.png"}}]}]}},
        {"custom_id": "2", "method": "FILE",
         "body": {"model": "openai/whisper-large-v3", "file": "https://example.com/a.mp3"}},
        {"custom_id": "3", "body": {"model": "m", "prompt": ["a", "b"]}},
    ]:
        assert schema_errors(rec, "batch") == []
        assert _agrees(rec)


@pytest.mark.parametrize("rec", [
    {"custom_id": "1", "method": "FILE", "body": {"model": "m"}},
    {"custom_id": "1", "body": {"model": "m", "file": "https://example.com/a.mp3"}},
    {"custom_id": "1", "body": {"model": "m", "messages": [
        {"role": "user", "content": [{"type": "image_url",
                                      "image_url": {"url": "http://example.com/a.png"}}]}]}},
])
def test_invalid_shapes_are_invalid(rec: dict[str, Any]) -> None:
    assert schema_errors(rec, "batch")
    assert _agrees(rec)


def _agrees(rec: dict[str, Any]) -> bool:
    result = compare(orjson.dumps(rec), "batch-api")
    assert result is not None
    return result[0]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_generated_batch_lines_agree(rec: dict[str, Any]) -> None:
    _agree(rec, "batch-api")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_batch_lines_agree(rec: dict[str, Any]) -> None:
    _agree(rec, "batch-api")
