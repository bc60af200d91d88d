"""now/next answers are remembered until they can change, and never outlive a programme or an import."""

from __future__ import annotations

import math

import pytest

from stb.guide.nownext import NowNextCache, answer_for
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup
from tests.guide.xmltv_docs import HOUR, document, programme

LINEUP = Lineup(
    name="t",
    channels=[
        Channel(number=1, id="a", name="A", urls=["http://h.test/a"], guide_id="a.test"),
        Channel(number=2, id="b", name="B", urls=["http://h.test/b"], guide_id="b.test", guide_shift=1.0),
    ],
)


def test_an_answer_holds_from_its_programmes_start_to_the_first_change():
    running = answer_for(150, (100, 200), "now", "next", 200)
    assert (running.valid_from, running.valid_until) == (100, 200)
    ended = answer_for(250, (100, 200), None, "next", 300)  # in a gap: from the end of the last one
    assert (ended.valid_from, ended.valid_until) == (200, 300)
    nothing = answer_for(250, None, None, None, None)
    assert (nothing.valid_from, nothing.valid_until) == (-math.inf, math.inf)


def test_the_cache_forgets_everything_when_the_data_version_moves():
    version = [1]
    cache: NowNextCache[str] = NowNextCache(lambda: version[0])
    cache.split(0, ["a"])
    cache.keep("a", answer_for(150, (100, 200), "now", None, None))
    assert cache.split(160, ["a"]) == ({"a": ("now", None)}, [])
    assert cache.split(200, ["a"]) == ({}, ["a"])  # its programme ended
    version[0] = 2
    assert cache.split(160, ["a"]) == ({}, ["a"])


@pytest.fixture
def guide(tmp_path, write, now):
    progs = [programme("a.test", now + i * HOUR, now + (i + 1) * HOUR, f"A{i}") for i in range(3)]
    progs += [programme("b.test", now, now + HOUR, "B0"), programme("b.test", now + 2 * HOUR, now + 3 * HOUR, "B2")]
    import_sources(tmp_path / "g.db", [write("g.xml", document({"a.test": ["A"], "b.test": ["B"]}, progs))], now=now)
    g = Guide(tmp_path / "g.db", LINEUP)
    yield g
    g.close()


def titles(table):
    return {cid: tuple(p.title if p else None for p in pair) for cid, pair in table.items()}


def test_answers_follow_programme_boundaries_gaps_and_shifts(guide, now):
    # b is shifted by an hour: B0 runs [now+1h, now+2h), a gap, then B2 at now+3h
    seen = [titles(guide.now_next(now + offset)) for offset in (60, 120, HOUR + 60, HOUR + 120, 2 * HOUR + 60)]
    assert seen == [
        {"a": ("A0", "A1"), "b": (None, "B0")},
        {"a": ("A0", "A1"), "b": (None, "B0")},
        {"a": ("A1", "A2"), "b": ("B0", "B2")},
        {"a": ("A1", "A2"), "b": ("B0", "B2")},
        {"a": ("A2", None), "b": (None, "B2")},
    ]
    cache = guide.now_next_cache
    assert cache.hits >= 2 and cache.misses >= 6  # the second question of each hour was not asked of SQLite


def test_a_question_for_some_channels_answers_only_those(guide, now):
    assert titles(guide.now_next(now + 60, ["b", "unknown"])) == {"b": (None, "B0")}
    assert titles(guide.now_next(now + 60)) == {"a": ("A0", "A1"), "b": (None, "B0")}


def test_an_import_into_the_same_file_is_seen_at_once(guide, tmp_path, write, now):
    assert titles(guide.now_next(now + 60))["a"] == ("A0", "A1")
    progs = [programme("a.test", now, now + HOUR, "Breaking news")]
    progs += [programme("b.test", now + i * HOUR, now + (i + 1) * HOUR, f"B{i}") for i in range(4)]
    import_sources(tmp_path / "g.db", [write("g.xml", document({"a.test": ["A"], "b.test": ["B"]}, progs))], now=now)
    assert titles(guide.now_next(now + 120))["a"] == ("Breaking news", None)
