"""The corner marker read back from real decoded frames, in the pixel formats players hand out."""

import ctypes
import subprocess

import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path

W, H = 640, 360


def grab(path, pix_fmt: str, seconds: float = 2.0, size: str | None = None) -> bytes:
    scale = ["-vf", f"scale={size}"] if size else []
    return subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-ss", str(seconds), "-i", str(path), "-frames:v", "1", *scale,
         "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("channel", CHANNELS[::2], ids=lambda c: c.id)
def test_marker_reads_back_from_decoded_frames(media_dir, channel):
    path = clip_path(channel, media_dir)
    assert marker.decode(grab(path, "bgra"), W, H, W * 4, 4) == channel.number  # libVLC RV32 layout
    assert marker.decode(grab(path, "rgb24", 7.5), W, H, W * 3, 3) == channel.number
    assert marker.decode(grab(path, "rgba", 13.0), W, H, W * 4, 4) == channel.number


def test_marker_survives_scaling_and_padded_rows_and_foreign_buffers(media_dir):
    channel = CHANNELS[8]
    frame = grab(clip_path(channel, media_dir), "bgra", size="1280:720")
    assert marker.decode(frame, 1280, 720, 1280 * 4) == channel.number
    stride = W * 4 + 64  # rows padded, as libVLC pitches may be
    small = grab(clip_path(channel, media_dir), "bgra")
    padded = b"".join(small[y * W * 4 : (y + 1) * W * 4] + bytes(64) for y in range(H))
    assert marker.decode(padded, W, H, stride) == channel.number
    buffer = (ctypes.c_uint8 * len(small)).from_buffer_copy(small)
    assert marker.decode(buffer, W, H, W * 4) == channel.number
    assert marker.decode(memoryview(small).cast("I"), W, H, W * 4) == channel.number


def test_frames_without_a_marker_read_as_none():
    assert marker.decode(bytes(W * H * 4), W, H, W * 4) is None
    assert marker.decode(b"\xff" * (W * H * 4), W, H, W * 4) is None
    assert marker.decode(b"\x80" * (W * H * 3), W, H, W * 3, 3) is None
    assert marker.decode(b"\xff" * 100, W, H, W * 4) is None  # truncated: no exception


def test_filter_encodes_msb_first():
    chain = marker.ffmpeg_filter(0b10000001).split(",")
    assert len(chain) == marker.CELLS
    assert [part.split("color=")[1].split(":")[0] for part in chain] == [
        "white", "black", "white", "black", "black", "black", "black", "black", "black", "white",
    ]  # fmt: skip
    for bad in (0, 256, -1):
        with pytest.raises(ValueError):
            marker.ffmpeg_filter(bad)
