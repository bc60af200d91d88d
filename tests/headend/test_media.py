import json
import subprocess

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media


def probe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height",
         "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def test_every_clip_is_h264_aac_640x360():
    directory = ensure_media().directory
    for channel in CHANNELS:
        info = probe(clip_path(channel, directory))
        codecs = {s["codec_type"]: s for s in info["streams"]}
        assert codecs["video"]["codec_name"] == "h264", channel.id
        assert (codecs["video"]["width"], codecs["video"]["height"]) == (640, 360)
        assert codecs["audio"]["codec_name"] == "aac", channel.id


def test_generation_is_idempotent():
    ensure_media()
    again = ensure_media()
    assert again.generated == []


@pytest.mark.slow
def test_a_missing_clip_is_regenerated_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path))
    first = ensure_media()
    assert len(first.generated) == 2 * len(CHANNELS)
    clip_path(CHANNELS[0], first.directory).unlink()
    second = ensure_media()
    assert second.generated == [clip_path(CHANNELS[0], first.directory).name]
    assert not list(first.directory.glob(".*.partial"))
