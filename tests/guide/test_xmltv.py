"""What the XMLTV DTD leaves implicit, read its way, with documents shaped like the XMLTV project's own
test files (t/data/simple.xml, clump.xml): written here as small excerpts, not copied."""

from __future__ import annotations

import calendar
import sqlite3

from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup

# Like simple.xml: no <channel> elements, a named zone (BST), no stop times.
SIMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv>
  <programme channel="bbc2.bbc.co.uk" start="20300829000500 BST">
    <title>The Phil Silvers Show</title>
    <desc>
      Bilko claims a close encounter.
    </desc>
  </programme>
  <programme channel="channel4.com" start="20300829095500 BST">
    <title>King of the Hill</title>
    <sub-title>Meet the Propaniacs</sub-title>
    <credits><actor>Mike Judge</actor></credits>
    <category>animation</category>
    <episode-num>S02E03</episode-num>
  </programme>
  <programme channel="channel4.com" start="20300829102500 BST"><title>Later</title></programme>
</tv>
"""

# Like clump.xml: times without a zone (UTC), two programmes in one slot.
CLUMP = """<tv>
  <programme start="203004201725" stop="203004201800" channel="foo" clumpidx="0/2">
    <title>First in clump</title><category>b</category>
  </programme>
  <programme start="203004201725" stop="203004201800" channel="foo" clumpidx="1/2">
    <title>Second in clump</title><category>g</category>
  </programme>
  <programme start="203004201800" stop="203004201830" channel="foo"><title>After</title></programme>
</tv>
"""
NOW = 1_900_000_000  # 2030-03-17: before every programme above


def utc(*parts: int) -> int:
    return calendar.timegm((*parts, *[0] * (6 - len(parts)), 0, 0, 0))


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_named_zones_are_read_and_channels_come_from_programmes(tmp_path, write):
    report = import_sources(tmp_path / "g.db", [write("simple.xml", SIMPLE)], now=NOW)
    assert (report.programmes, report.sources[0].channels) == (3, 2)
    starts = rows(tmp_path / "g.db", "SELECT title, start FROM programmes ORDER BY start")
    assert starts[0] == ("The Phil Silvers Show", utc(2030, 8, 28, 23, 5))  # 00:05 BST is 23:05 UTC the day before
    assert rows(tmp_path / "g.db", "SELECT id, names FROM channels ORDER BY id") == [
        ("bbc2.bbc.co.uk", ""),
        ("channel4.com", ""),
    ]


def test_episode_num_without_a_system_is_onscreen(tmp_path, write):
    import_sources(tmp_path / "g.db", [write("simple.xml", SIMPLE)], now=NOW)
    assert rows(tmp_path / "g.db", "SELECT episode_onscreen FROM programmes WHERE title = 'King of the Hill'") == [
        ("S02E03",)
    ]


def test_credits_and_date_are_kept(tmp_path, write):
    film = """<tv><programme channel="one.test" start="20300829200000 +0000" stop="20300829220000 +0000">
      <title>Film</title><credits><actor>Ann	B  Lee</actor><director>Cy D</director><unknown>x</unknown>
      <actor> </actor><writer>Ed F</writer></credits><date>1994</date></programme></tv>"""
    import_sources(tmp_path / "g.db", [write("film.xml", film), write("simple.xml", SIMPLE)], now=NOW)
    lineup = Lineup(name="t", channels=[
        Channel(number=1, id="one", name="One", urls=["http://x.test/1"], guide_id="one.test"),
        Channel(number=4, id="four", name="Four", urls=["http://x.test/4"], guide_id="channel4.com"),
    ])  # fmt: skip
    shown = Guide(tmp_path / "g.db", lineup).window(["one", "four"], utc(2030, 8, 28), utc(2030, 8, 31))
    # in the guide's order, roles the DTD does not know and empty names left out, a name one line
    assert shown["one"][0].credits == (("actor", "Ann B Lee"), ("director", "Cy D"), ("writer", "Ed F"))
    assert shown["one"][0].date == "1994"
    assert shown["four"][0].credits == (("actor", "Mike Judge"),) and shown["four"][0].date is None
    assert shown["four"][1].credits == () and shown["four"][1].date is None


def test_programmes_sharing_a_slot_are_all_kept(tmp_path, write):
    report = import_sources(tmp_path / "g.db", [write("clump.xml", CLUMP)], now=NOW)
    assert report.programmes == 3 and report.duplicates_removed == 0 and report.sources[0].clumped == 1
    assert rows(tmp_path / "g.db", "SELECT title, start, stop, clump FROM programmes ORDER BY start, clump") == [
        ("First in clump", utc(2030, 4, 20, 17, 25), utc(2030, 4, 20, 18), 0),  # no zone: UTC
        ("Second in clump", utc(2030, 4, 20, 17, 25), utc(2030, 4, 20, 18), 1),
        ("After", utc(2030, 4, 20, 18), utc(2030, 4, 20, 18, 30), 0),
    ]
    lineup = Lineup(name="t", channels=[Channel(number=1, id="foo", name="Foo", urls=["http://h/1"], guide_id="foo")])
    guide = Guide(tmp_path / "g.db", lineup)
    try:
        current, upcoming = guide.now_next(utc(2030, 4, 20, 17, 30))["foo"]
        assert (current.title, upcoming.title) == ("First in clump", "After")  # the slot shows its first
        assert [p.title for p in guide.search("second", after=NOW)] == ["Second in clump"]  # the others are found
    finally:
        guide.close()


def test_a_clump_without_its_first_and_a_repeated_clump_index(tmp_path, write):
    doc = CLUMP.replace('clumpidx="0/2"', 'clumpidx="1/2"')  # both claim index 1: one is a duplicate
    report = import_sources(tmp_path / "g.db", [write("c.xml", doc)], now=NOW)
    assert report.duplicates_removed == 1
    assert rows(tmp_path / "g.db", "SELECT title, clump FROM programmes ORDER BY start") == [
        ("First in clump", 0),
        ("After", 0),
    ]
