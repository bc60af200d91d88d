"""Source → Converter: what the banner and the guide's details pane show, made from a channel and the guide alone."""

from __future__ import annotations

import time

import pytest

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.ui.banner import banner_data
from stb.ui.guidedetails import details_data

CHANNEL = Channel(number=7, id="c", name="Cinema One", groups=["Movies", "HD"], urls=["http://127.0.0.1:9/c.ts"])


def programme(start: int, stop: int, title: str, **kw) -> Programme:
    fields = dict(id=1, channel="c", start=start, stop=stop, title=title, sub_title=None, description=None,
                  categories=(), episode_ns=None, episode_onscreen=None, icon=None, rating_system=None, rating=None,
                  star_rating=None, is_new=False, previously_shown=False, language=None)  # fmt: skip
    return Programme(**(fields | kw))


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_banner_gets_words_and_a_fraction_not_programmes():
    now, nxt = programme(3600, 7200, "Harbour Lights"), programme(7200, 9000, "The Last Express")
    d = banner_data(CHANNEL, flung=False, favourite=True, now_next=(now, nxt), state="Tuning…", wall=5400)
    assert (d.number, d.name, d.initials, d.clock, d.state) == ("7", "Cinema One", "CO", "01:30", "Tuning…")
    assert d.now == "01:00–02:00  Harbour Lights" and d.next == "Next 02:00  The Last Express"
    assert d.progress == 0.5 and d.favourite


def test_a_flung_stream_without_a_guide_shows_a_play_mark_and_its_groups():
    d = banner_data(CHANNEL, flung=True, favourite=False, now_next=(None, None), state="", wall=0)
    assert d.number == "▶" and d.now == d.next == "" and d.progress is None and d.groups == "Movies · HD"


def test_the_details_pane_gets_the_label_title_time_and_facts():
    p = programme(3600, 7200, "Harbour Lights", sub_title="Part 2", rating="12", categories=("Movie",),
                  description="A film.")  # fmt: skip
    d = details_data(CHANNEL, p, None, wall=3600)
    assert (d.label, d.title, d.when) == ("7  Cinema One", "Harbour Lights — Part 2", "01:00–02:00 (60 min)")
    assert d.facts == "Rated 12  ·  Movie" and d.description == "A film." and d.known
    typing = details_data(CHANNEL, None, "12", wall=0)
    assert typing.label == "Channel 12_" and typing.title == "No information" and not typing.known
