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


# --- tvg-shift: one guide channel, three line-up channels shifted by 0, +1.5 h and -2 h ------------

SHIFTS = {"plain": 0, "later": 5400, "earlier": -7200}


@pytest.fixture
def shifted(tmp_path, write, now):
    progs = [
        programme("a", now + i * HOUR, now + (i + 1) * HOUR, f"A{i}", f"<desc>Shifted {i}</desc>") for i in range(-4, 8)
    ]
    import_sources(tmp_path / "s.db", [write("s.xml", document({"a": ["A"]}, progs))], now=now)
    lineup = Lineup(
        name="t",
        channels=[
            channel(1, "plain", "Plain", guide_id="a"),
            channel(2, "later", "Later", guide_id="a", guide_shift=1.5),
            channel(3, "earlier", "Earlier", guide_id="a", guide_shift=-2.0),
        ],
    )
    g = Guide(tmp_path / "s.db", lineup)
    yield g
    g.close()


def stored_times(guide, programme_id):
    return guide.conn.execute("SELECT start, stop FROM programmes WHERE id = ?", (programme_id,)).fetchone()


def test_shifts_are_matched_in_seconds(shifted):
    assert {cid: m.shift_s for cid, m in shifted.matching.matches.items()} == SHIFTS


def test_now_next_times_are_shifted_by_exactly_the_channels_shift(shifted, now):
    table = shifted.now_next(now + 60)
    expected = {  # (title, start, stop) of now and next, in line-up time
        "plain": (("A0", now, now + HOUR), ("A1", now + HOUR, now + 2 * HOUR)),
        "later": (("A-2", now - 1800, now + 1800), ("A-1", now + 1800, now + 5400)),
        "earlier": (("A2", now, now + HOUR), ("A3", now + HOUR, now + 2 * HOUR)),
    }
    assert {cid: tuple((p.title, p.start, p.stop) for p in pair) for cid, pair in table.items()} == expected
    for cid, pair in table.items():
        for p in pair:
            assert p.channel == cid
            assert (p.start - SHIFTS[cid], p.stop - SHIFTS[cid]) == stored_times(shifted, p.id)


def test_a_shifted_channel_shows_what_the_unshifted_one_showed_shift_seconds_earlier(shifted, now):
    for at in (now - 3 * HOUR + 1, now + 1799, now + 1800, now + 4 * HOUR - 1):
        for cid, shift in SHIFTS.items():
            mine = shifted.now_next(at, [cid])[cid]
            reference = shifted.now_next(at - shift, ["plain"])["plain"]
            assert [p and (p.id, p.start + shift, p.stop + shift) for p in reference] == [
                p and (p.id, p.start, p.stop) for p in mine
            ], (cid, at - now)


def test_window_is_shifted_by_exactly_the_channels_shift(shifted, now):
    grid = shifted.window(list(SHIFTS), now, now + 2 * HOUR)
    assert [(p.title, p.start) for p in grid["plain"]] == [("A0", now), ("A1", now + HOUR)]
    assert [(p.title, p.start) for p in grid["later"]] == [("A-2", now - 1800), ("A-1", now + 1800), ("A0", now + 5400)]
    # Aligned to the hour again: A1 ends exactly at t0 and A4 starts exactly at t1, so neither is in.
    assert [(p.title, p.start) for p in grid["earlier"]] == [("A2", now), ("A3", now + HOUR)]
    for cid, row in grid.items():
        for p in row:
            assert (p.start - SHIFTS[cid], p.stop - SHIFTS[cid]) == stored_times(shifted, p.id)


def test_search_and_details_report_shifted_times(shifted, now):
    found = shifted.search("shifted 5", after=now - 10 * HOUR)
    assert sorted((p.channel, p.start) for p in found) == [
        ("earlier", now + 5 * HOUR - 7200), ("later", now + 5 * HOUR + 5400), ("plain", now + 5 * HOUR),
    ]  # fmt: skip
    detail = shifted.programme(found[0].id)
    assert detail.start - SHIFTS[detail.channel] == now + 5 * HOUR


def test_search_for_a_common_word_returns_upcoming_matches_in_time_order_across_pages(tmp_path, write, now):
    # Written channel by channel (as XMLTV files are), so file order is not time order; an unmatched
    # channel's matches are interleaved in time and must not use up the pages.
    progs = []
    for ch in ("news.a", "news.b", *(f"other{n}" for n in range(30))):  # 30 unmatched: pages run dry
        progs += [programme(ch, now + (i - 50) * HOUR, now + (i - 49) * HOUR, f"News {ch} {i}") for i in range(120)]
    import_sources(tmp_path / "g.db", [write("g.xml", document({"news.a": ["A"], "news.b": ["B"]}, progs))], now=now)
    channels = [channel(1, "a", "A", guide_id="news.a"), channel(2, "b", "B", guide_id="news.b")]
    guide = Guide(tmp_path / "g.db", Lineup(name="t", channels=channels))
    try:
        assert [(p.channel, p.start) for p in guide.search("news", limit=3, after=now)] == [
            ("a", now), ("b", now), ("a", now + HOUR)
        ]  # fmt: skip
        found = guide.search("news", limit=120, after=now)
        assert len(found) == 120
        assert all(p.stop > now for p in found)
        assert [p.start for p in found] == sorted(p.start for p in found)
        assert found[0].start == now and {p.channel for p in found[:2]} == {"a", "b"}
        assert found[-1].start == now + 59 * HOUR  # 60 hours of two channels
    finally:
        guide.close()


def test_search_keeps_what_is_still_on_in_each_channels_own_time(shifted, now):
    # Stored A0 runs now..now+1h. At now+2h it is over on "plain" and "earlier" (on at now-2h..now-1h),
    # but "later" (shifted +1.5 h) still shows it until now+2.5h.
    found = shifted.search("shifted 0", after=now + 2 * HOUR)
    assert [(p.channel, p.title) for p in found] == [("later", "A0")]
    assert all(p.stop > now + 2 * HOUR for p in shifted.search("shifted", limit=100, after=now + 2 * HOUR))


def test_search_orders_by_the_time_the_viewer_sees(shifted, now):
    # At now+2h: "later" (+1.5 h) shows stored A0 from now+1.5h, "plain" shows A2 from now+2h and
    # "earlier" (-2 h) shows A4 from now+2h; in guide order A0, A1 (later's next) come before A2.
    found = shifted.search("shifted", limit=3, after=now + 2 * HOUR + 1)
    assert [(p.channel, p.title, p.start - now) for p in found] == [
        ("later", "A0", HOUR + 1800), ("plain", "A2", 2 * HOUR), ("earlier", "A4", 2 * HOUR)
    ]  # fmt: skip
    starts = [p.start for p in shifted.search("shifted", limit=10, after=now)]
    assert starts == sorted(starts) and len(starts) == 10


# --- search in scripts without spaces between words --------------------------------------------------

SPACELESS = [  # (channel, title, description), shaped like real Chinese, Japanese and Thai guides
    ("cn", "晚间新闻联播", "今日要闻与天气预报"),
    ("cn", "新闻30分", "国内外新闻"),
    ("cn", "体育新闻", None),
    ("cn", "电视剧：闻联", "不是那个节目"),  # has the pairs 闻联 but not 新闻联播
    ("jp", "ＮＨＫニュース７", "きょうのニュースと気象情報"),
    ("jp", "ドラマ", "ニュースではない物語"),
    ("th", "ข่าวเช้า", "รายการข่าวประจำวัน"),
    ("th", "ละคร", "ไม่มีข่าว"),
    ("th", "สารคดี", "สัตว์ป่า"),
]


@pytest.fixture
def spaceless(tmp_path, write, now):
    progs = [
        programme(ch, now + i * HOUR, now + (i + 1) * HOUR, title, f"<desc>{desc}</desc>" if desc else "")
        for i, (ch, title, desc) in enumerate(SPACELESS)
    ]
    progs.append(programme("cn", now + 20 * HOUR, now + 21 * HOUR, "CCTV News 新闻", "<desc>English words</desc>"))
    import_sources(tmp_path / "cjk.db", [write("cjk.xml", document({"cn": ["CN"], "jp": ["JP"], "th": ["TH"]}, progs))],
                   now=now)  # fmt: skip
    lineup = Lineup(name="t", channels=[channel(1, "cn", "CN"), channel(2, "jp", "JP"), channel(3, "th", "TH")])
    g = Guide(tmp_path / "cjk.db", lineup)
    yield g
    g.close()


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("新闻", ["晚间新闻联播", "新闻30分", "体育新闻", "CCTV News 新闻"]),  # two characters, anywhere in a word
        ("新闻联播", ["晚间新闻联播"]),  # its pairs are in 电视剧：闻联 too, but not side by side
        ("闻", ["晚间新闻联播", "新闻30分", "体育新闻", "电视剧：闻联", "CCTV News 新闻"]),  # one character
        ("ニュース", ["ＮＨＫニュース７", "ドラマ"]),  # in a title and inside a description
        ("ข่าว", ["ข่าวเช้า", "ละคร"]),  # Thai with its tone mark
        ("ข่าว ประจำ", ["ข่าวเช้า"]),  # every part must be there
        ("news 新闻", ["CCTV News 新闻"]),  # words and spaceless text together
        ("สัตว์", ["สารคดี"]),
    ],
)
def test_search_finds_text_inside_words_of_scripts_without_spaces(spaceless, now, text, titles):
    assert [p.title for p in spaceless.search(text, after=now)] == titles
