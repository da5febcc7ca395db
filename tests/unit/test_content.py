"""Image payloads: the quick recognition of canonical base64 gives binascii's strict verdict."""

from __future__ import annotations

import base64
import binascii

from hypothesis import given
from hypothesis import strategies as st

from validator.formats.content import decoded_head

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
