import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stb.lineup.m3u import parse_m3u, read_m3u_file, write_m3u
from stb.lineup.model import Channel, Lineup

QUIRKY = (
    '\ufeff#EXTM3U url-tvg="http://epg.test/a.xml.gz,http://epg.test/b.xml" tvg-shift="1"\r\n'
    "\r\n"
    "# a comment line\r\n"
    '#EXTINF:-1 tvg-id="bbc1.uk" tvg-name="BBC One" tvg-chno="101" tvg-logo="http://l/bbc.png" '
    'group-title="UK;News" catchup="default" catchup-days="7" catchup-source="?utc={utc}",BBC One, London\r\n'
    "#EXTVLCOPT:http-user-agent=Mozilla/5.0\r\n"
    "#EXTVLCOPT:http-referrer=http://portal.test/\r\n"
    "#EXTVLCOPT:network-caching=1000\r\n"
    "#KODIPROP:inputstream=inputstream.adaptive\r\n"
    "#EXTGRP:Favourites\r\n"
    "http://stream.test/bbc1.m3u8\r\n"
    "#EXTINF:-1 tvg-id=itv1 group-title='UK',ITV\r\n"
    "http://stream.test/itv.ts|User-Agent=Box%2F1.0&Referer=http://r.test/\r\n"
    '#EXTINF:-1 radio="true" tvg-chno="101",Radio One\r\n'
    "http://stream.test/radio1.mp3\r\n"
    "#EXTINF:-1 broken line without a comma\r\n"
    "http://stream.test/broken.ts\r\n"
    '#EXTINF:-1 tvg-chno="5",Bad Scheme\r\n'
    "javascript:alert(1)\r\n"
    "http://stream.test/orphan.ts\r\n"
    "#EXTINF:-1,Dangling at the end\r\n"
)


def test_quirky_playlist_imports_what_it_can_and_reports_the_rest():
    result = parse_m3u(QUIRKY, "quirky")
    lineup = result.lineup
    assert lineup.guide_sources == ["http://epg.test/a.xml.gz", "http://epg.test/b.xml"]
    names = [c.name for c in lineup.channels]
    assert names == ["BBC One, London", "ITV", "Radio One", "orphan.ts"]
    bbc = lineup.channels[0]
    assert (bbc.number, bbc.id, bbc.guide_id, bbc.guide_name) == (101, "bbc1.uk", "bbc1.uk", "BBC One")
    assert bbc.groups == ["UK", "News", "Favourites"]
    assert bbc.headers == {"User-Agent": "Mozilla/5.0", "Referer": "http://portal.test/"}
    assert bbc.vlc_options == ["network-caching=1000"]
    assert bbc.kodi_props == ["inputstream=inputstream.adaptive"]
    assert bbc.catchup == {"catchup": "default", "catchup-days": "7", "catchup-source": "?utc={utc}"}
    assert bbc.guide_shift == 1.0
    itv = lineup.channels[1]
    assert itv.urls == ["http://stream.test/itv.ts"]
    assert itv.headers == {"User-Agent": "Box/1.0", "Referer": "http://r.test/"}
    assert itv.groups == ["UK"] and itv.guide_id == "itv1"
    radio = lineup.channels[2]
    assert radio.radio and radio.number != 101  # duplicate number renumbered
    assert len({c.number for c in lineup.channels}) == 4
    by_line = {p.path: p for p in result.problems}
    assert "already used on line 4" in by_line["line 13"].message
    assert "without ','" in by_line["line 15"].message
    assert "javascript" in by_line["line 17"].message
    assert by_line["line 19"].severity == "warning"
    assert "without a URL" in by_line["line 20"].message


def test_missing_header_is_a_warning_only():
    result = parse_m3u("#EXTINF:-1,One\nhttp://a.test/1.ts\n")
    assert [c.name for c in result.lineup.channels] == ["One"]
    assert result.lineup.channels[0].number == 1
    assert [p.severity for p in result.problems] == ["warning"]


def test_latin1_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "p.m3u"
    path.write_bytes("#EXTM3U\n#EXTINF:-1,Télé Ñ\nhttp://a.test/1.ts\n".encode("latin-1"))
    result = read_m3u_file(path)
    assert result.lineup.channels[0].name == "Télé Ñ"
    assert "Latin-1" in result.problems[0].message


def test_ids_are_unique_and_stable():
    text = "#EXTM3U\n" + "".join(f"#EXTINF:-1,Same Name\nhttp://a.test/{i}.ts\n" for i in range(3))
    ids = [c.id for c in parse_m3u(text).lineup.channels]
    assert ids == ["same-name", "same-name-2", "same-name-3"]
    assert ids == [c.id for c in parse_m3u(text).lineup.channels]


printable = (
    st.text(string.ascii_letters + string.digits + " .,;:!?'&()éü-_/", min_size=1, max_size=30)
    .map(str.strip)
    .filter(lambda s: s and ";" not in s)
)
ident = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z")
url = st.builds(lambda host, path: f"http://{host}.test/{path}", ident, ident)


@st.composite
def lineups(draw) -> Lineup:
    numbers = draw(st.lists(st.integers(1, 99999), min_size=1, max_size=8, unique=True))
    ids = draw(st.lists(ident, min_size=len(numbers), max_size=len(numbers), unique=True))
    channels = [
        Channel(
            number=n,
            id=i,
            name=draw(printable),
            urls=draw(st.lists(url, min_size=1, max_size=3, unique=True)),
            groups=draw(st.lists(printable, max_size=3, unique=True)),
            guide_id=draw(st.none() | ident),
            logo=draw(st.none() | url),
            radio=draw(st.booleans()),
            locked=draw(st.booleans()),
            age_rating=draw(st.none() | st.integers(0, 21)),
            guide_shift=draw(st.sampled_from([0.0, 1.0, -2.5])),
            headers=draw(st.dictionaries(st.sampled_from(["User-Agent", "Referer", "X-Token"]), printable, max_size=2)),
            kodi_props=draw(st.lists(st.builds(lambda k, v: f"{k}={v}", ident, ident), max_size=2)),
        )
        for n, i in zip(numbers, ids, strict=True)
    ]
    return Lineup(name="round trip", guide_sources=draw(st.lists(url, max_size=2)), channels=channels)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(lineups())
def test_export_then_import_gives_the_same_lineup(lineup):
    result = parse_m3u(write_m3u(lineup), lineup.name)
    assert result.problems == []
    assert result.lineup.model_copy(update={"channels": result.lineup.sorted_channels()}) == lineup.model_copy(
        update={"channels": lineup.sorted_channels()}
    )


@settings(max_examples=300)
@given(st.text(max_size=2000))
def test_any_text_parses_without_raising(text):
    result = parse_m3u(text)
    assert all(p.path.startswith("line ") for p in result.problems)


@settings(max_examples=100)
@given(st.binary(max_size=2000))
def test_any_bytes_read_without_raising_unexpectedly(tmp_path_factory, data):
    from stb.errors import StbError

    path = tmp_path_factory.mktemp("m3u") / "x.m3u"
    path.write_bytes(data)
    try:
        read_m3u_file(path)
    except StbError as exc:
        assert "binary" in str(exc)
