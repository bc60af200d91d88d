"""The generated guide: well-formed, complete from yesterday to a week ahead, realistic, stable."""

import itertools
import time
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest

from stb.headend import xmltv
from stb.headend.catalog import CHANNELS

FORMAT = "%Y%m%d%H%M%S %z"


def parse(guide: bytes):
    root = ET.fromstring(guide)
    slots: dict[str, list] = {}
    for p in root.findall("programme"):
        slots.setdefault(p.get("channel"), []).append(
            (datetime.strptime(p.get("start"), FORMAT), datetime.strptime(p.get("stop"), FORMAT), p)
        )
    return root, slots


@pytest.fixture(scope="module")
def guide():
    return parse(xmltv.demo_guide(host="10.1.2.3", port=8554))


def test_channels_carry_the_lineup_guide_ids_names_and_icons(guide):
    root, _ = guide
    channels = {c.get("id"): c for c in root.findall("channel")}
    assert set(channels) == {c.guide_id for c in CHANNELS}
    for c in CHANNELS:
        element = channels[c.guide_id]
        assert element.findtext("display-name") == c.name
        assert element.find("icon").get("src") == f"http://10.1.2.3:8554/logo/{c.id}.png"


def test_every_channel_is_covered_from_yesterday_midnight_to_a_week_ahead_without_gaps(guide):
    _, slots = guide
    yesterday = date.today() - timedelta(days=1)
    first = datetime(yesterday.year, yesterday.month, yesterday.day).astimezone()
    assert set(slots) == {c.guide_id for c in CHANNELS}
    for channel, programmes in slots.items():
        programmes.sort(key=lambda s: s[0])
        assert programmes[0][0] == first, channel
        assert programmes[-1][1] >= datetime.now().astimezone() + timedelta(days=7), channel
        for (_, stop, _), (start, _, _) in itertools.pairwise(programmes):
            assert stop == start, f"{channel}: gap or overlap at {stop}"


def test_programmes_are_5_to_120_minutes_on_5_minute_boundaries(guide):
    _, slots = guide
    for programmes in slots.values():
        for start, stop, _ in programmes:
            minutes = (stop - start).total_seconds() / 60
            assert 5 <= minutes <= 120 and minutes % 5 == 0
            assert start.minute % 5 == 0 and start.second == 0


def test_news_starts_a_bulletin_at_the_top_of_every_hour(guide):
    _, slots = guide
    tops = [p for start, _, p in slots["news-24.demo"] if start.minute == 0]
    assert len(tops) >= 24 * 8
    assert all(p.findtext("title").startswith(("News at", "Morning", "Lunchtime", "Evening", "Late")) for p in tops)


def test_the_elements_a_guide_reader_needs_are_there(guide):
    root, _ = guide
    programmes = root.findall("programme")
    assert all(p.findtext("title") and p.findtext("desc") and p.find("category") is not None for p in programmes)
    assert all(p.find("category").get("lang") == "en" for p in programmes)
    assert all((p.find("new") is None) != (p.find("previously-shown") is None) for p in programmes)
    for path in (
        "programme/sub-title",
        "programme/episode-num[@system='xmltv_ns']",
        "programme/episode-num[@system='onscreen']",
        "programme/rating[@system='FSK']/value",
        "programme/star-rating/value",
        "programme/credits/director",
        "programme/date",
    ):
        assert root.find(path) is not None, path
    ns = root.find("programme/episode-num[@system='xmltv_ns']").text
    assert len(ns.split(".")) == 3
    kinds = {p.findtext("category") for p in programmes}
    assert {"News", "Sports", "Movie", "Children", "Documentary", "Music"} <= kinds


def test_the_guide_is_deterministic_per_day_and_differs_between_days():
    day = date(2026, 5, 4)
    assert xmltv.demo_guide(day) == xmltv.demo_guide(day)
    _, monday = parse(xmltv.demo_guide(day))
    _, tuesday = parse(xmltv.demo_guide(day + timedelta(days=1)))
    titles = lambda slots: [p.findtext("title") for _, _, p in slots["cinema-one.demo"]]  # noqa: E731
    assert titles(monday)[: len(titles(tuesday))] != titles(tuesday)


def test_times_carry_the_offset_of_their_own_moment_across_dst(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    xmltv._guide_for.cache_clear()  # cached per day, not per time zone
    try:
        guide = xmltv.demo_guide(date(2026, 3, 29)).decode()  # spring forward on the 29th
    finally:
        monkeypatch.undo()
        time.tzset()
        xmltv._guide_for.cache_clear()
    assert 'start="20260328000000 +0100"' in guide
    assert 'start="20260330000000 +0200"' in guide
    _, slots = parse(guide.encode())
    for programmes in slots.values():
        programmes.sort(key=lambda s: s[0])
        for (_, stop, _), (start, _, _) in itertools.pairwise(programmes):
            assert stop == start
