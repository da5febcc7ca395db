"""Image payloads: the quick recognition of canonical base64 gives binascii's strict verdict;
empty payloads, MIME line breaks, hosted images and text parts holding ``value``."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.collect import Collector
from validator.config import Config
from validator.formats.content import check_image_url, check_parts, decoded_head

# base64's alphabet and padding, with a few characters it rejects, so that near misses abound
NEAR_BASE64 = st.text(alphabet="AQgw+/09=\n -_é", max_size=40)


def _strict(payload: str) -> bytes | None:
    try:
        return binascii.a2b_base64(payload, strict_mode=True)[:12]
    except ValueError:
        return None


def _quick(payload: str) -> bytes | None:
    try:
        return decoded_head(payload)
    except ValueError:
        return None


# whole groups of four, where padding in the wrong place is the only thing wrong
GROUPS = st.lists(st.text(alphabet="AQ/=", min_size=4, max_size=4), max_size=5).map("".join)


@given(NEAR_BASE64 | GROUPS)
def test_same_verdict_and_head_as_strict_decoding(payload: str) -> None:
    assert _quick(payload) == _strict(payload)


@given(st.binary(max_size=64), st.integers(0, 3), st.sampled_from(["", "=", "==", "A", "\n"]))
def test_encoded_bytes_with_their_padding_cut_or_extended(data: bytes, cut: int,
                                                         extra: str) -> None:
    encoded = base64.b64encode(data).decode()
    assert _quick(encoded) == data[:12]
    payload = encoded[:len(encoded) - cut] + extra
    assert _quick(payload) == _strict(payload)


def test_odd_but_valid_padding_still_decodes() -> None:
    assert decoded_head("AAAA=") == b"\0\0\0"  # strict mode accepts it; it is not canonical
    assert decoded_head("") == b""


# --- check_image_url and check_parts: payloads, MIME line breaks, hosted images -----------------

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def _url_issues(url: str, hosted: bool = False) -> list[tuple[str, str]]:
    out = Collector(Config())
    check_image_url(url, ("url",), out, hosted)
    return [(i.code, i.message) for i in out.issues]


def test_canonical_image_gives_no_issue() -> None:
    assert _url_issues("data:image/png;base64," + PNG) == []


@pytest.mark.parametrize("payload", ["", " ", "\n", "\r\n  "])
def test_empty_payload_is_an_error(payload: str) -> None:
    ((code, message),) = _url_issues("data:image/png;base64," + payload)
    assert code == "image-base64"
    assert "no base64 payload" in message


@pytest.mark.parametrize("breaks", ["\n", "\r\n", " ", "\t"])
def test_mime_line_breaks_are_a_warning(breaks: str) -> None:
    wrapped = breaks.join(PNG[i:i + 40] for i in range(0, len(PNG), 40)) + breaks
    ((code, message),) = _url_issues("data:image/png;base64," + wrapped)
    assert code == "image-base64-breaks"
    assert "strip the line breaks" in message


def test_mime_line_breaks_still_check_the_image_type() -> None:
    wrapped = PNG[:40] + "\n" + PNG[40:]
    codes = [code for code, _ in _url_issues("data:image/jpeg;base64," + wrapped)]
    assert codes == ["image-base64-breaks", "image-type-mismatch"]


@pytest.mark.parametrize("payload", ["iVBO Rw0K\n!!!!", "cat.png", PNG[:-1], "iVBO\nRw0K\u00e9"])
def test_base64_that_does_not_decode_without_breaks_is_an_error(payload: str) -> None:
    assert [code for code, _ in _url_issues("data:image/png;base64," + payload)] == [
        "image-base64"]


@given(st.binary(min_size=1, max_size=200), st.integers(1, 80), st.sampled_from(["\n", "\r\n"]))
def test_any_wrapped_encoding_is_a_warning_only(data: bytes, width: int, sep: str) -> None:
    encoded = base64.b64encode(b"\x89PNG\r\n\x1a\n" + data).decode()
    wrapped = sep.join(encoded[i:i + width] for i in range(0, len(encoded), width))
    codes = [code for code, _ in _url_issues("data:image/png;base64," + wrapped)]
    assert codes == ([] if wrapped == encoded else ["image-base64-breaks"])


def test_hosted_urls_only_where_allowed() -> None:
    url = "https://example.com/cat.png"
    assert [c for c, _ in _url_issues(url)] == ["image-url-invalid"]
    assert _url_issues(url, hosted=True) == []
    ((code, message),) = _url_issues("http://example.com/cat.png", hosted=True)
    assert code == "image-url-invalid" and "https://" in message
    assert [c for c, _ in _url_issues("https://", hosted=True)] == ["image-url-invalid"]
    # data URLs are checked the same way in a chat request
    assert [c for c, _ in _url_issues("data:image/png;base64,", hosted=True)] == ["image-base64"]
    assert [c for c, _ in _url_issues("data:image/jpg;base64," + PNG, hosted=True)] == [
        "image-url-invalid"]


def _part_issues(part: object) -> list[tuple[int | None, str | None, str, str]]:
    out = Collector(Config())
    check_parts([part], ("content",), out, None)
    return [(i.line, i.path, i.code, i.message) for i in out.issues]


def test_text_part_with_value_names_value() -> None:
    ((_, path, code, message),) = _part_issues({"type": "text", "value": "hi"})
    assert (path, code) == ("$.content[0].value", "part-invalid")
    assert '"value"' in message and '"text"' in message
    # with a (bad) text beside it, the text is the problem
    ((_, path, code, _),) = _part_issues({"type": "text", "text": 5, "value": "hi"})
    assert (path, code) == ("$.content[0].text", "part-invalid")
    ((_, path, code, message),) = _part_issues({"type": "text"})
    assert (path, code) == ("$.content[0].text", "part-invalid")
    assert "value" not in message
