"""What a viewer sees: the channel marker of every picture ffmpeg decodes from a stream, a file or a URL."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import NamedTuple

from stb.headend import marker
from stb.headend.media import HEIGHT, WIDTH


class Decoded(NamedTuple):
    markers: list[int | None]  # one per decoded picture, None where no marker could be read
    said: str  # ffmpeg's messages


def decoded_markers(source: str | Path, frames: int | None = None, timeout: float = 120.0,
                    check: bool = True) -> Decoded:  # fmt: skip
    """Decode ``source`` (at most ``frames`` pictures) with ffmpeg; ``check``: a failing ffmpeg raises."""
    limit = ["-frames:v", str(frames)] if frames else []
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(source), "-map", "0:v", *limit, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=check, capture_output=True, timeout=timeout,
    )  # fmt: skip
    raw, size = done.stdout, WIDTH * HEIGHT * 3
    shown = [marker.decode(raw[at : at + size], WIDTH, HEIGHT, WIDTH * 3, 3) for at in range(0, len(raw), size)]
    return Decoded(shown, done.stderr.decode(errors="replace"))
