"""Fetching a channel logo's bytes (an http(s) URL or a local image file), bounded in size and time.

Shared by the TV's banner (stb/ui/logos.py) and the API that hands logos to the web page, which
cannot reach a logo on the box's loopback or its files itself.
"""

from __future__ import annotations

from pathlib import Path

from stb.redirects import fetch_bytes

MAX_BYTES = 512 * 1024
FETCH_TIMEOUT_S = 3.0
RETRY_AFTER_S = 600.0
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


def fetch(source: str) -> bytes:
    """The logo's bytes; raises OSError/ValueError with a reason (never reads more than MAX_BYTES)."""
    if source.startswith(("http://", "https://")):
        # Redirects followed by the box, each hop checked (no file:, loopback or link-local: stb.redirects).
        data = fetch_bytes(source, MAX_BYTES, timeout=FETCH_TIMEOUT_S)
    elif source.startswith("/") and source.lower().endswith(IMAGE_SUFFIXES):
        with Path(source).open("rb") as f:  # a local image file, as M3U files from a USB stick name them
            data = f.read(MAX_BYTES + 1)
    else:
        raise ValueError("not an http(s) URL or an absolute image path")
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1024} KB")
    return data
