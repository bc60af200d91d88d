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
