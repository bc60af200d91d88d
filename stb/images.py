"""The size an image declares, read from its header before anything decodes it.

A 300 KB PNG can declare 50000×50000 pixels: SDL_image then allocates gigabytes and the process
dies (SIGSEGV, no Python exception to catch). Skins and channel logos are checked here first, and
only PNG, JPEG, GIF, BMP and WebP are decoded at all (SDL_image would also rasterise an SVG at any
size it declares). The header parsing is imagesize's (the library Sphinx uses for the same job).
"""

from __future__ import annotations

import io

FORMATS = "PNG, JPEG, GIF, BMP or WebP"
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"GIF87a", b"GIF89a", b"BM")


def _decodable(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data.startswith(b"RIFF") and data[8:12] == b"WEBP")


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, JPEG, GIF, BMP or WebP; None if not one of those or unreadable."""
    import imagesize

    if not _decodable(data):
        return None
    width, height = imagesize.get(io.BytesIO(data))
    return None if width < 0 or height < 0 else (abs(width), abs(height))


def decode_problem(data: bytes, max_side: int) -> str | None:
    """Why ``data`` must not be decoded (unknown format, or larger than ``max_side`` px), else None."""
    size = declared_size(data)
    if size is None:
        return f"not a {FORMATS} image"
    width, height = size
    if not (0 < width <= max_side and 0 < height <= max_side):
        return f"{width}×{height} is larger than {max_side} px"
    return None
