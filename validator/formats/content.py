"""Message content: a string, or a list of ``text`` / ``image_url`` parts (SPEC §2.4)."""

from __future__ import annotations

import binascii
from typing import Any

import orjson

from validator.collect import Collector
from validator.formats.describe import describe
from validator.issues import Location
from validator.limits import LIMITS
from validator.rules.codes import Code

__all__ = ["check_image_url", "check_parts", "decoded_head", "image_is_clean",
           "image_json_is_clean"]

_PREFIXES = {
    "data:image/jpeg;base64,": "jpeg",
    "data:image/png;base64,": "png",
    "data:image/webp;base64,": "webp",
}
_MAX_URL = LIMITS.max_image_url_chars
_WHITESPACE = b" \t\n\r\f\v"


def _sniff(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return "not a known image format"


_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def decoded_head(payload: str) -> bytes:
    """The first 12 bytes that base64 ``payload`` decodes to, if it decodes in strict mode;
    else binascii's ValueError, which names the problem.

    Canonical base64 (whole groups of four alphabet characters, the last ending in at most
    two "=") always decodes, so it is recognised with one C-level pass (``translate``) and only
    its first 16 characters are decoded: a third of the time of decoding an image of a few kB.
    Anything else is decoded in full, in strict mode, for the verdict and the message.
    """
    if payload.isascii():
        raw = payload.encode("ascii")
        rest = raw.translate(None, _ALPHABET)
        if len(raw) % 4 == 0 and (not rest or (rest in (b"=", b"==") and raw.endswith(rest))):
            return binascii.a2b_base64(raw[:16])[:12]
    return binascii.a2b_base64(payload, strict_mode=True)[:12]


def _unbroken_head(payload: str) -> bytes | None:
    """The decoded head of ``payload`` once its ASCII whitespace (MIME line breaks) is
    removed, or None when it holds none or still does not decode."""
    if not payload.isascii():
        return None
    raw = payload.encode("ascii")
    joined = raw.translate(None, _WHITESPACE)
    if len(joined) == len(raw) or not joined:
        return None
    try:
        return decoded_head(joined.decode("ascii"))
    except ValueError:
        return None


class _Noted:
    """Stands in for the Collector where all that matters is whether anything was reported."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found = False

    def add(self, code: Code, location: Location | None, message: str) -> None:
        self.found = True


def image_is_clean(url: str) -> bool:
    """Whether check_image_url reports nothing about ``url`` (for the scan's fast path)."""
    noted = _Noted()
    check_image_url(url, (), noted)
    return not noted.found


# The prefixes as bytes, for image_json_is_clean; and what is left of a canonical URL's JSON
# text once the base64 alphabet is deleted (the prefix's letters and "/" with it): its quotes,
# the prefix's ":;," and the padding.
_JSON_PREFIXES = {prefix.encode(): kind for prefix, kind in _PREFIXES.items()}
_JSON_LEFT = (b'":;,"', b'":;,="', b'":;,=="')


def image_json_is_clean(text: bytes) -> bool:
    """Whether image_is_clean holds for the URL whose JSON text (a string, its quotes
    included, as msgspec.Raw keeps it) is ``text``.

    The usual URL, a known prefix and canonical base64 with no escape, is judged on the bytes:
    so read, it is ASCII, and decoded it is ``text[1:-1]``, whose payload decoded_head judges by
    the same translate test and decodes only its head. Anything else (an escape, another
    value, bytes msgspec did not check) is decoded and judged by image_is_clean, or is False
    where it does not decode: the full checks say why."""
    comma = text.find(b",", 1, 65)
    kind = _JSON_PREFIXES.get(text[1:comma + 1]) if comma > 0 else None
    if (kind is not None and text[0] == 0x22 and len(text) - 2 <= _MAX_URL
            and (size := len(text) - comma - 2) > 0 and size % 4 == 0):
        left = text.translate(None, _ALPHABET)
        if left in _JSON_LEFT and text.endswith(left[4:]):
            head = binascii.a2b_base64(text[comma + 1:min(comma + 17, len(text) - 1)])
            return _sniff(head[:12]) == kind
    try:
        url = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return type(url) is str and image_is_clean(url)


def check_image_url(url: Any, path: Location, out: Collector | _Noted,
                    hosted: bool = False) -> None:
    """One image: a base64 data URL of a JPEG, PNG or WebP, small enough, that decodes.

    ``hosted``: an ``https://`` URL is accepted too (a chat-completions request, SPEC §3).
    """
    if type(url) is not str or not url:
        out.add("part-invalid", path,
                'image_url.url must be a non-empty string such as "data:image/png;base64,..."')
        return
    comma = url.find(",", 0, 64)
    kind = _PREFIXES.get(url[: comma + 1]) if comma > 0 else None
    if kind is None:
        if hosted and url.startswith("https://") and len(url) > 8:
            return
        shown = url[:40] + ("..." if len(url) > 40 else "")
        if hosted:
            hint = ("write https://, not http://" if url.startswith("http://") else
                    "write image/jpeg, not image/jpg" if url.startswith("data:image/jpg") else
                    "give the image's https:// URL or a base64 data URL of a JPEG, PNG or WebP")
            out.add("image-url-invalid", path,
                    f"image URL {shown!r} must be an https:// URL or start with "
                    "data:image/jpeg;base64, data:image/png;base64, or data:image/webp;base64,: "
                    f"{hint}")
            return
        if url.startswith(("http://", "https://")):
            hint = "remote URLs are not fetched; embed the image as a base64 data URL"
        elif url.startswith("data:image/jpg"):
            hint = "write image/jpeg, not image/jpg"
        else:
            hint = "only base64 data URLs of JPEG, PNG or WebP images are accepted"
        out.add("image-url-invalid", path,
                f"image URL {shown!r} must start with data:image/jpeg;base64, "
                f"data:image/png;base64, or data:image/webp;base64,: {hint}")
        return
    if len(url) > _MAX_URL:
        out.add("image-too-large", path,
                f"image data URL is {len(url):,} characters, over the limit of {_MAX_URL:,} "
                "(about 10 MiB decoded): downscale or recompress the image")
        return
    payload = url[comma + 1:]
    if not payload or (payload[0].isspace() and not payload.strip()):
        out.add("image-base64", path,
                f"image data URL has no base64 payload after data:image/{kind};base64,: put the "
                "base64 of the image's bytes after the comma")
        return
    try:
        head = decoded_head(payload)
    except ValueError as exc:  # binascii.Error, or non-ASCII text
        unbroken = _unbroken_head(payload)
        if unbroken is None:
            out.add("image-base64", path,
                    f"image base64 does not decode ({exc}): re-encode the image bytes with "
                    "standard base64, no line breaks or spaces")
            return
        out.add("image-base64-breaks", path,
                "image base64 holds line breaks or spaces (MIME style): it decodes once they "
                "are removed, but strip the line breaks (base64 -w0)")
        head = unbroken
    actual = _sniff(head)
    if actual != kind:
        out.add("image-type-mismatch", path,
                f"data URL says image/{kind} but the bytes are {actual}: fix the prefix or "
                "convert the image")


def check_parts(parts: list[Any], path: Location, out: Collector,
                image_place: str | None, hosted: bool = False) -> tuple[int, int]:
    """Check a content-part list; return (images, characters of text).

    ``image_place`` is None where images are allowed, else a description of the place
    ("an assistant message") used in the message that forbids them. ``hosted``: images may be
    ``https://`` URLs (a chat-completions request).
    """
    images = 0
    chars = 0
    for j, part in enumerate(parts):
        if type(part) is not dict:
            out.add("part-invalid", (*path, j),
                    f'a content part must be an object with "type" text or image_url, '
                    f"not {describe(part)}")
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if type(text) is str:
                chars += len(text)
            elif "text" not in part and "value" in part:
                out.add("part-invalid", (*path, j, "value"),
                        'text part has "value" but no "text": a text part holds its string in '
                        '"text"')
            else:
                out.add("part-invalid", (*path, j, "text"),
                        'a text part needs a string "text"')
        elif kind == "image_url":
            images += 1
            if image_place is not None:
                out.add("image-role", (*path, j),
                        f"images are only allowed in user messages and instruction prompts, "
                        f"not in {image_place}: move the image to a user message")
            holder = part.get("image_url")
            if type(holder) is dict:
                check_image_url(holder.get("url"), path + (j, "image_url", "url"), out, hosted)
            else:
                out.add("part-invalid", (*path, j, "image_url"),
                        'an image_url part needs an object "image_url": {"url": "data:..."}')
        else:
            out.add("part-invalid", (*path, j, "type"),
                    f'content part type must be "text" or "image_url", not {kind!r}')
    return images, chars
