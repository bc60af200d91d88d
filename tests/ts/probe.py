"""What a stock decoder makes of some TS: ffprobe's key-frame flag for each frame it decodes."""

from __future__ import annotations

import subprocess
from pathlib import Path


def key_frames(path: Path, data: bytes, stream: str = "v") -> list[str]:
    """Write ``data`` to ``path`` and return ffprobe's ``key_frame`` ("1"/"0") per decoded frame of ``stream``."""
    path.write_bytes(data)
    flags = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "frame=key_frame", "-of", "csv=p=0",
         str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.split()  # fmt: skip
    return [frame.rstrip(",") for frame in flags]  # a frame with side data gets an empty column: "1,"
