"""Media generation: what it makes, and that it is idempotent and never leaves half files."""

import json
import shutil
import subprocess
import time

import pytest

from stb.headend import media
from stb.headend.catalog import CHANNELS


def probe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height,sample_rate",
         "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    return json.loads(out)


def test_every_clip_is_h264_aac_640x360_and_every_logo_a_png(media_dir):
    for channel in CHANNELS:
        info = probe(media.clip_path(channel, media_dir))
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert streams["video"]["codec_name"] == "h264", channel.id
        assert (streams["video"]["width"], streams["video"]["height"]) == (640, 360)
        assert streams["audio"]["codec_name"] == "aac", channel.id
        assert streams["audio"]["sample_rate"] == "48000"
        assert abs(float(info["format"]["duration"]) - media.CLIP_SECONDS) < 1
        assert media.logo_path(channel, media_dir).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_does_nothing(media_dir):
    started = time.monotonic()
    again = media.ensure_media(media_dir)
    assert again.generated == []
    assert time.monotonic() - started < 2


@pytest.fixture
def copy_of_media(media_dir, tmp_path):
    target = tmp_path / "headend"
    shutil.copytree(media_dir, target)
    return target


def test_a_missing_clip_is_regenerated_alone_and_leftovers_are_removed(copy_of_media):
    clip = media.clip_path(CHANNELS[3], copy_of_media)
    clip.unlink()
    leftover = copy_of_media / f".{clip.name}.4242.partial"  # as a killed generation leaves it
    leftover.write_bytes(b"half a file")
    report = media.ensure_media(copy_of_media)
    assert report.generated == [clip.name]
    assert clip.exists() and not leftover.exists()
    assert not list(copy_of_media.glob(".*.partial"))


def test_a_changed_recipe_regenerates_everything(copy_of_media, monkeypatch):
    monkeypatch.setattr(media, "CHANNELS", CHANNELS[:1])  # keep the test short: a one-channel catalogue
    assert media.ensure_media(copy_of_media).generated != []  # a different catalogue is a different recipe
    assert media.ensure_media(copy_of_media).generated == []
    monkeypatch.setattr(media, "VERSION", media.VERSION + 1)
    assert sorted(media.ensure_media(copy_of_media).generated) == ["news-24.png", "news-24.ts"]


def test_a_failed_generation_is_a_one_line_error_and_counts_as_not_done(copy_of_media, monkeypatch):
    from stb.errors import StbError

    monkeypatch.setattr(media, "CHANNELS", CHANNELS[:1])
    monkeypatch.setattr(media, "HEIGHT", -2)  # an impossible picture size: ffmpeg refuses
    with pytest.raises(StbError, match="ffmpeg failed making news-24") as info:
        media.ensure_media(copy_of_media)
    assert "\n" not in str(info.value)
    stamp = json.loads((copy_of_media / media.STAMP).read_text())
    assert stamp["fingerprint"] != media._fingerprint()  # the next run tries again
    assert not list(copy_of_media.glob(".*.partial"))


def test_demo_logos_carry_the_channels_initials_not_its_number():
    """The banner shows the number beside the logo: a logo that is the number showed it twice (issue 22)."""
    from stb.headend.media import monogram

    assert [monogram(n) for n in ("News 24", "Sports Arena", "Laugh TV", "Travel HLS", "")] == [
        "N24", "SA", "LTV", "TH", "TV",
    ]  # fmt: skip
