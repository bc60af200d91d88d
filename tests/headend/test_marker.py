import subprocess

import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media


@pytest.fixture(scope="module")
def media():
    return ensure_media().directory


def grab(path, pix_fmt: str) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-ss", "2", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("channel", CHANNELS[::3], ids=lambda c: c.id)
def test_marker_reads_back_from_decoded_frames(media, channel):
    path = clip_path(channel, media)
    assert marker.decode(grab(path, "bgra"), 640, 360, 640 * 4, 4) == channel.number
    assert marker.decode(grab(path, "rgb24"), 640, 360, 640 * 3, 3) == channel.number


def test_plain_frame_has_no_marker():
    assert marker.decode(bytes(640 * 360 * 4), 640, 360, 640 * 4) is None
    assert marker.decode(b"\xff" * (640 * 360 * 4), 640, 360, 640 * 4) is None


def test_marker_range_is_checked():
    with pytest.raises(ValueError):
        marker.ffmpeg_filter(256)
