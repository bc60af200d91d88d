import subprocess

import pytest


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A 4 s H.264/AAC MPEG-TS clip, 1 s GOP, made by ffmpeg for this test session."""
    path = tmp_path_factory.mktemp("media") / "clip.ts"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=4",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-f", "mpegts", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def multitrack_clip(tmp_path_factory):
    """Matroska with two audio tracks (English, German) and English subtitles, for the track pickers."""
    folder = tmp_path_factory.mktemp("multitrack")
    srt = folder / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:09,000\nHello\n")
    path = folder / "clip.mkv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=10",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
         "-f", "lavfi", "-i", "sine=frequency=880:duration=10",
         "-i", str(srt),
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=ger", "-metadata:s:s:0", "language=eng",
         str(path)],
        check=True,
    )  # fmt: skip
    return path
