"""Queries in line-up terms: matching rules, now/next, grid window, details, search, tvg-shift."""

from __future__ import annotations

import pytest

from stb.guide.matching import normalise
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup
from tests.guide.xmltv_docs import HOUR, document, programme


def channel(number, cid, name, **kw):
    return Channel(number=number, id=cid, name=name, urls=[f"http://h.test/{cid}"], **kw)


@pytest.fixture
def guide(tmp_path, write, now):
    progs = []
    for ch in ("bbc1.uk", "arte.de", "kika"):
        progs += [
            programme(ch, now - HOUR + i * HOUR, now + i * HOUR, f"{ch} show {i}", f"<desc>About {ch} {i}</desc>")
            for i in range(6)
        ]
    progs.append(programme("kika", now + 6 * HOUR, now + 7 * HOUR, "Die Sendung mit der Maus", "<desc>Maus</desc>"))
    doc = document({"bbc1.uk": ["BBC One"], "arte.de": ["ARTE", "Arte HD"], "kika": ["KiKA"]}, progs)
    import_sources(tmp_path / "g.db", [write("g.xml", doc)], now=now)
    lineup = Lineup(
        name="t",
        channels=[
            channel(1, "one", "BBC 1", guide_id="BBC1.UK"),  # guide id, case folded
            channel(2, "two", "Something", guide_name="Arté FHD"),  # guide name, accents and suffix
            channel(3, "three", "Ki.KA (HD)", guide_shift=1.0),  # channel name, punctuation; shifted 1 h
            channel(4, "four", "Unknown TV"),
        ],
    )
    g = Guide(tmp_path / "g.db", lineup)
    yield g
    g.close()


def test_normalise():
    assert normalise("BBC One HD") == normalise("bbc one") == "bbcone"
    assert normalise("Ärte [FHD]") == "arte"


def test_matching_rules_in_order_and_unmatched_listed(guide):
    rules = {cid: m.rule for cid, m in guide.matching.matches.items()}
    assert rules == {"one": "guide id", "two": "guide name", "three": "channel name"}
    assert guide.matching.unmatched == ["four"]


def test_now_next_for_all_channels_in_line_up_terms(guide, now):
    table = guide.now_next(now + 60)
    current, upcoming = table["one"]
    assert (current.title, upcoming.title) == ("bbc1.uk show 1", "bbc1.uk show 2")
    assert current.channel == "one" and current.progress(now + 60) == pytest.approx(60 / HOUR)
    shifted_now, _ = table["three"]
    assert shifted_now.title == "kika show 0"  # one hour later: the shift applies
    assert shifted_now.start == now  # and the times are reported shifted
    assert "four" not in table


def test_window_returns_overlapping_programmes_in_order(guide, now):
    grid = guide.window(["one", "two", "four"], now + 30 * 60, now + 2 * HOUR + 30 * 60)
    assert [p.title for p in grid["one"]] == ["bbc1.uk show 1", "bbc1.uk show 2", "bbc1.uk show 3"]
    assert grid["four"] == []


def test_details_and_search(guide, now):
    found = guide.search("maus", after=now)
    assert [(p.channel, p.title) for p in found] == [("three", "Die Sendung mit der Maus")]
    detail = guide.programme(found[0].id)
    assert detail.description == "Maus" and detail.start == now + 7 * HOUR
    assert guide.search("   ") == [] and guide.search('"; DROP TABLE programmes; --') == []
