"""Matching line-up channels to guide channels, one rule at a time, against a real imported guide."""

from __future__ import annotations

import sqlite3

import pytest

from stb.guide.matching import Match, match_lineup, normalise
from stb.guide.store import connect, import_sources
from stb.lineup.model import Channel, Lineup
from tests.guide.xmltv_docs import HOUR, document, programme

GUIDE_CHANNELS = {
    "bbc1.uk": ["BBC One"],
    "bbc2.uk": ["BBC Two"],
    "arte.de": ["ARTE", "Arte HD"],
    "ard.de": ["Das Erste"],
    "tf1.fr": ["TF1"],
    "france2.fr": ["France 2"],
    "m6.fr": ["M6"],
    "canalplus.fr": ["Canal+"],
    "ProSieben.de": ["ProSieben"],
    "quality.test": ["HD"],  # a name that is only a quality suffix: normalises to nothing
}


@pytest.fixture
def conn(tmp_path, write, now):
    progs = [programme(cid, now, now + HOUR, f"{cid} show") for cid in GUIDE_CHANNELS]
    import_sources(tmp_path / "g.db", [write("g.xml", document(GUIDE_CHANNELS, progs))], now=now)
    c = connect(tmp_path / "g.db")
    yield c
    c.close()


def lineup(*channels: Channel) -> Lineup:
    return Lineup(name="t", channels=list(channels))


def ch(number: int, name: str, **kw) -> Channel:
    return Channel(number=number, id=f"c{number}", name=name, urls=[f"http://h.test/{number}"], **kw)


def only_match(conn: sqlite3.Connection, channel: Channel) -> Match | None:
    report = match_lineup(lineup(channel), conn)
    assert len(report.matches) + len(report.unmatched) == 1
    return report.matches.get(channel.id)


def test_guide_id_exact(conn):
    assert only_match(conn, ch(1, "Whatever", guide_id="tf1.fr")) == Match("tf1.fr", "guide id", 0)


def test_guide_id_case_is_ignored(conn):
    assert only_match(conn, ch(1, "Whatever", guide_id="prosieben.DE")) == Match("ProSieben.de", "guide id", 0)


def test_guide_id_comes_before_names(conn):
    """tvg-id says BBC Two while both names say BBC One: the id wins."""
    found = only_match(conn, ch(1, "BBC One", guide_id="bbc2.uk", guide_name="BBC One"))
    assert found == Match("bbc2.uk", "guide id", 0)


def test_an_unknown_guide_id_falls_back_to_the_names(conn):
    assert only_match(conn, ch(1, "BBC One HD", guide_id="nope.uk")) == Match("bbc1.uk", "channel name", 0)


def test_guide_name_comes_before_channel_name(conn):
    """tvg-name says Das Erste, the channel is called ARTE: the guide name wins."""
    assert only_match(conn, ch(1, "ARTE", guide_name="Das Erste")) == Match("ard.de", "guide name", 0)


def test_an_unknown_guide_name_falls_back_to_the_channel_name(conn):
    assert only_match(conn, ch(1, "M6", guide_name="Nothing Like It")) == Match("m6.fr", "channel name", 0)


def test_any_display_name_of_a_guide_channel_matches(conn):
    assert only_match(conn, ch(1, "Arte HD")).guide_channel == "arte.de"  # the second display name
    assert only_match(conn, ch(1, "ARTE")).guide_channel == "arte.de"  # the first


def test_the_guide_channel_id_counts_as_a_name(conn):
    assert only_match(conn, ch(1, "ProSieben.DE")) == Match("ProSieben.de", "channel name", 0)


@pytest.mark.parametrize(
    ("name", "guide_channel"),
    [
        ("bbc one", "bbc1.uk"),  # case
        ("BBC ONE", "bbc1.uk"),
        ("Frânce 2", "france2.fr"),  # accents
        ("Canal +", "canalplus.fr"),  # spaces and punctuation
        ("Canal Plus", "canalplus.fr"),  # `+` reads as "plus"
        ("Canal", None),  # and is not dropped: Canal is another channel
        ("France-2", "france2.fr"),
        ("T.F.1", "tf1.fr"),
        ("BBC One HD", "bbc1.uk"),  # quality suffixes
        ("BBC One FHD", "bbc1.uk"),
        ("BBC One UHD", "bbc1.uk"),
        ("BBC One 4K", "bbc1.uk"),
        ("BBC One (HD)", "bbc1.uk"),
        ("BBC One [FHD]", "bbc1.uk"),
        ("BBC One HD HEVC", "bbc1.uk"),
        ("TF1 SD", "tf1.fr"),
        ("HD BBC One", None),  # only a suffix is dropped, not a prefix
        ("BBC Three", None),  # a near name is no match
        ("BBC", None),
    ],
)
def test_channel_names_are_normalised(conn, name, guide_channel):
    found = only_match(conn, ch(1, name))
    assert (found.guide_channel if found else None) == guide_channel
    if found:
        assert found.rule == "channel name"


@pytest.mark.parametrize("name", ["HD", "(SD)", "...", "4K"])
def test_a_name_that_normalises_to_nothing_matches_nothing(conn, name):
    """A channel called "HD" must not match the guide channel called "HD", nor any other channel."""
    assert normalise(name) == ""
    assert only_match(conn, ch(1, name)) is None


def test_unmatched_channels_are_listed_in_number_order(conn):
    report = match_lineup(
        lineup(ch(30, "Nowhere TV"), ch(2, "TF1"), ch(10, "Elsewhere"), ch(1, "X", guide_id="bbc1.uk")), conn
    )
    assert report.unmatched == ["c10", "c30"]
    assert set(report.matches) == {"c1", "c2"}
    assert report.by_rule() == {"guide id": 1, "guide name": 0, "channel name": 1}


def test_two_line_up_channels_may_share_a_guide_channel_each_with_its_shift(conn):
    report = match_lineup(
        lineup(ch(1, "BBC One"), ch(2, "BBC One +1", guide_id="bbc1.uk", guide_shift=1), ch(3, "x", guide_id="bbc1.uk",
               guide_shift=-2.5)),
        conn,
    )  # fmt: skip
    assert {cid: (m.guide_channel, m.shift_s) for cid, m in report.matches.items()} == {
        "c1": ("bbc1.uk", 0),
        "c2": ("bbc1.uk", 3600),
        "c3": ("bbc1.uk", -9000),
    }


@pytest.mark.parametrize(
    ("plain", "plus"),
    [("CCTV-5", "CCTV-5+"), ("SPORT1", "SPORT1+"), ("M4 Sport", "M4 Sport+"), ("ITV", "ITV +1")],
)
def test_a_plus_channel_never_gets_the_schedule_of_its_namesake(tmp_path, write, now, plain, plus):
    guide = {f"{plain}.test": [plain], f"{plus}.test": [plus]}
    progs = [programme(cid, now, now + HOUR, f"{cid} show") for cid in guide]
    import_sources(tmp_path / "p.db", [write("p.xml", document(guide, progs))], now=now)
    c = connect(tmp_path / "p.db")
    try:
        report = match_lineup(lineup(ch(1, f"{plus} HD"), ch(2, plain)), c)
        alone = match_lineup(lineup(ch(1, plus)), c)
    finally:
        c.close()
    assert {cid: m.guide_channel for cid, m in report.matches.items()} == {"c1": f"{plus}.test", "c2": f"{plain}.test"}
    assert alone.matches["c1"].guide_channel == f"{plus}.test"


def test_a_plus_channel_without_its_own_guide_stays_unmatched(tmp_path, write, now):
    guide = {"cctv5.cn": ["CCTV-5"]}
    import_sources(tmp_path / "p.db", [write("p.xml", document(guide, [programme("cctv5.cn", now, now + HOUR)]))],
                   now=now)  # fmt: skip
    c = connect(tmp_path / "p.db")
    try:
        assert match_lineup(lineup(ch(1, "CCTV-5+")), c).unmatched == ["c1"]
    finally:
        c.close()


def test_guides_without_channel_elements_match_by_the_ids_their_programmes_use(tmp_path, write, now):
    """Real per-channel files have only <programme channel="GO">, and WebGrab+Plus pads ids with a space."""
    progs = [programme("GO", now, now + HOUR, "Go show"), programme("Sport 1 ", now, now + HOUR, "Match")]
    import_sources(tmp_path / "p.db", [write("p.xml", document({}, progs))], now=now)
    c = connect(tmp_path / "p.db")
    try:
        report = match_lineup(lineup(ch(1, "Go"), ch(2, "Whatever", guide_id="Sport 1"), ch(3, "sport 1")), c)
    finally:
        c.close()
    assert {cid: (m.guide_channel, m.rule) for cid, m in report.matches.items()} == {
        "c1": ("GO", "channel name"),
        "c2": ("Sport 1", "guide id"),
        "c3": ("Sport 1", "channel name"),
    }


def test_an_empty_guide_leaves_every_channel_unmatched(tmp_path):
    c = connect(tmp_path / "empty.db")
    try:
        report = match_lineup(lineup(ch(1, "BBC One", guide_id="bbc1.uk"), ch(2, "TF1")), c)
    finally:
        c.close()
    assert report.matches == {} and report.unmatched == ["c1", "c2"]
