"""The catalogue and the committed channels.json it generates."""

import json
import re
from pathlib import Path

from stb.headend.catalog import BROKEN, CHANNELS, demo_lineup
from stb.lineup.check import check_file
from stb.lineup.load import dump_lineup, load_lineup
from stb.lineup.model import Lineup

ROOT = Path(__file__).resolve().parents[2]


def test_committed_channels_json_validates_and_equals_the_demo_lineup():
    path = ROOT / "channels.json"
    assert check_file(path) == []
    assert load_lineup(path) == demo_lineup()
    assert Lineup.model_validate(json.loads(path.read_text())) == demo_lineup()
    assert path.read_bytes() == dump_lineup(demo_lineup()), "regenerate channels.json from demo_lineup()"


def test_channels_are_distinct_in_every_way_a_test_tells_them_apart():
    assert len(CHANNELS) >= 10
    for attribute in ("number", "id", "name", "tone_hz", "hue"):
        values = [getattr(c, attribute) for c in CHANNELS]
        assert len(set(values)) == len(values), attribute
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.id) for c in CHANNELS)
    assert all(0 < c.number < 256 for c in CHANNELS)  # the marker holds 8 bits
    assert [c.id for c in CHANNELS if c.hls] == ["travel-hls"]
    assert {b.number for b in BROKEN} == {97, 98, 99}


def test_lineup_points_at_the_given_headend():
    lineup = demo_lineup("10.0.0.7", 9000)
    assert lineup.headend is not None and (lineup.headend.host, lineup.headend.port) == ("10.0.0.7", 9000)
    assert lineup.guide_sources == ["http://10.0.0.7:9000/xmltv.xml"]
    assert lineup.by_id("news-24").urls == ["http://10.0.0.7:9000/live/news-24.ts"]
    assert lineup.by_id("travel-hls").urls == ["http://10.0.0.7:9000/hls/travel-hls/index.m3u8"]
    assert lineup.by_id("cinema-one").age_rating == 16
    assert lineup.by_number(97).urls == ["http://10.0.0.7:9000/broken/dead.ts"]
    assert lineup.by_id("news-24").logo == "http://10.0.0.7:9000/logo/news-24.png"
