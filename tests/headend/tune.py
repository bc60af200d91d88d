"""Tune in like a player: one ffmpeg run gives the input's codecs and the marker on its first picture.

Also the head-end as a namespace host runs it to multicast, for the tests that tune in to that.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

from stb.headend import marker

W, H = 640, 360


def look(stream_url: str, wrap: Callable[[list[str]], list[str]] = lambda argv: argv) -> tuple[set[str], int | None]:
    """(codec names of the input, channel number read from its first frame or None); ``wrap`` e.g. netns."""
    result = subprocess.run(
        wrap(["ffmpeg", "-hide_banner", "-analyzeduration", "2000000", "-i", stream_url, "-map", "0:v:0",
              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgra", "-"]),
        capture_output=True, timeout=30,
    )  # fmt: skip
    header = result.stderr.decode(errors="replace").split("Output #0")[0]
    codecs = set(re.findall(r"Stream #\S+: (?:Video|Audio): (\w+)", header))
    frame = result.stdout
    return codecs, marker.decode(frame, W, H, W * 4) if len(frame) == W * H * 4 else None


def multicast_headend(host, media_dir, group: str, base_port: int) -> subprocess.Popen:
    """The demo head-end on namespace host ``host``, multicasting channel N to ``group`` on ``base_port + N - 1``."""
    return host.popen(
        [sys.executable, "-m", "stb", "headend", "--host", host.address, "--port", "8554",
         "--media-dir", str(media_dir), "--multicast", f"{group}:{base_port}", "--interface", "eth0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
