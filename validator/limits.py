"""The numbers SPEC.md fixes: file, line, image and batch limits, in one place."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIMITS", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 100 * 10**9  # documented 100 GB
    # the together SDK and CLI refuse a larger upload (MAX_FILE_SIZE_GB = 50.1, GB = 2**30):
    # a size over 50.1 * 2**30 is a size over this integer
    sdk_max_file_bytes: int = int(50.1 * 2**30)
    # 10 images of ~14 MB fit; bounds memory on a file that never ends a line
    max_line_bytes: int = 256 * 2**20
    max_image_url_chars: int = 13_981_036  # about 10 MiB decoded
    max_images_per_message: int = 10
    max_images_per_sample: int = 10
    batch_max_lines: int = 50_000
    batch_max_bytes: int = 100 * 10**6
    batch_max_line_bytes: int = 10 * 10**6  # one request line, base64 included
    custom_id_max_chars: int = 64


LIMITS = Limits()
