"""Catch-up URLs as Kodi's IPTV Simple builds them: its README's examples and the sources' comments."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stb.lineup import parse_m3u
from stb.lineup.catchup import MODES, Catchup, CatchupError, archive_url, configure, format_url, of_channel

START = int(datetime(2019, 11, 26, 22, 0, 32, tzinfo=UTC).timestamp())  # README: &cutv=2019-11-26T22:00:32
NOW = START + 7200

# IPTV Simple's README, "Supported M3U and XMLTV elements": channels B, C, D, E, F, G, H, I
CONFIGURED = [
    (  # B: default with a source: the source is the whole URL
        "http://path-to-stream/live/channel-b.ts",
        {"catchup": "default", "catchup-source": "http://path-to-stream/live/catchup-b.ts&cutv={Y}-{m}-{d}T{H}:{M}:{S}",
         "catchup-days": "3"},
        "default", "http://path-to-stream/live/catchup-b.ts&cutv={Y}-{m}-{d}T{H}:{M}:{S}", 3,
    ),
    (  # C: append: the source goes after the channel URL
        "http://path-to-stream/live/channel-c.ts",
        {"catchup": "append", "catchup-source": "&cutv={Y}-{m}-{d}T{H}:{M}:{S}", "catchup-days": "3",
         "catchup-correction": "-4.0"},
        "append", "http://path-to-stream/live/channel-c.ts&cutv={Y}-{m}-{d}T{H}:{M}:{S}", 3,
    ),
    (  # D: shift: ?utc={utc}&lutc={lutc}
        "http://path-to-stream/live/channel-d.ts", {"catchup": "shift", "catchup-days": "3"},
        "shift", "http://path-to-stream/live/channel-d.ts?utc={utc}&lutc={lutc}", 3,
    ),
    (  # E: the old SIPTV timeshift="days" tag is shift with a window
        "http://path-to-stream/live/channel-e.ts", {"timeshift": "3"},
        "shift", "http://path-to-stream/live/channel-e.ts?utc={utc}&lutc={lutc}", 3,
    ),
    (  # shift on a URL that already has a query
        "http://h/live?id=5", {"catchup-type": "shift"}, "shift", "http://h/live?id=5&utc={utc}&lutc={lutc}", 5,
    ),
    (  # F: flussonic written by hand in default mode
        "http://yoururl/channeld/video.m3u8",
        {"catchup": "default", "catchup-days": "1",
         "catchup-source": "http://yoururl/channeld/video-{utc}-{duration}.m3u8"},
        "default", "http://yoururl/channeld/video-{utc}-{duration}.m3u8", 1,
    ),
    (  # G: flussonic generated from an HLS URL
        "http://list.tv:8888/325/mono.m3u8?token=secret", {"catchup": "fs"},
        "flussonic", "http://list.tv:8888/325/mono-timeshift_rel-{offset:1}.m3u8?token=secret", 5,
    ),
    (  # Channel.cpp's comments: mpegts, index.m3u8, and the generic form
        "http://ch01.spr24.net/151/mpegts?token=my_token", {"catchup": "flussonic"},
        "flussonic", "http://ch01.spr24.net/151/timeshift_abs-${start}.ts?token=my_token", 5,
    ),
    (
        "http://list.tv:8888/325/index.m3u8?token=secret", {"catchup": "flussonic-hls"},
        "flussonic", "http://list.tv:8888/325/timeshift_rel-{offset:1}.m3u8?token=secret", 5,
    ),
    (
        "http://list.tv:8888/325/live?token=my_token", {"catchup": "flussonic-ts"},
        "flussonic", "http://list.tv:8888/325/timeshift_abs-${start}.ts?token=my_token", 5,
    ),
    (  # H, I: Xtream codes, TS and HLS
        "http://list.tv:8080/my@account.xc/my_password/1477", {"catchup": "xc"},
        "xc", "http://list.tv:8080/timeshift/my@account.xc/my_password/{duration:60}/{Y}-{m}-{d}:{H}-{M}/1477.ts", 5,
    ),
    (
        "http://list.tv:8080/live/my@account.xc/my_password/1477.m3u8", {"catchup": "XC"},
        "xc", "http://list.tv:8080/timeshift/my@account.xc/my_password/{duration:60}/{Y}-{m}-{d}:{H}-{M}/1477.m3u8", 5,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("url", "attrs", "mode", "source", "days"), CONFIGURED)
def test_configure_builds_the_template_iptv_simple_builds(url, attrs, mode, source, days):
    catchup = configure(url, attrs)
    assert catchup is not None
    assert (catchup.mode, catchup.source, catchup.days) == (mode, source, days)


@pytest.mark.parametrize(
    ("url", "attrs"),
    [
        ("http://h/a.ts", {}),  # no catch-up tag at all
        ("http://h/a.ts", {"catchup": "default"}),  # A: needs the query format setting, which we do not have
        ("http://h/a.ts", {"catchup": "append"}),
        ("http://h/a.ts", {"catchup": "bogus"}),
        ("http://h/a.ts", {"catchup": "vod"}),  # per-programme catchup-id: not supported
        ("rtp://239.0.0.1:5000", {"catchup": "xc"}),  # not an Xtream codes URL
        ("udp://x", {"catchup": "fs"}),
    ],
)
def test_no_catchup_where_iptv_simple_has_none(url, attrs):
    assert configure(url, attrs) is None


def test_default_without_source_appends_the_query_format_setting():
    catchup = configure("http://h/a.ts", {"catchup": "default"}, query_format="?t={utc}")
    assert catchup is not None and catchup.source == "http://h/a.ts?t={utc}"


def test_protocol_options_after_a_bar_stay_at_the_end():
    catchup = configure("http://h/x/mpegts?a=b|User-Agent=K", {"catchup": "fs"})
    assert catchup is not None and catchup.source == "http://h/x/timeshift_abs-${start}.ts?a=b|User-Agent=K"


def test_correction_is_hours_in_seconds():
    catchup = configure("http://h/a.ts", {"catchup": "shift", "catchup-correction": "-2.5"})
    assert catchup is not None and catchup.correction_s == -9000


# README "Catchup format specifiers" examples, a programme at 2019-11-26 22:00:32 UTC for 1 h, now 2 h later
FORMATTED = [
    ("?utc={utc}&lutc={lutc}", f"?utc={START}&lutc={NOW}"),
    ("&t={Y}-{m}-{d}-{H}-{M}-{S}", "&t=2019-11-26-22-00-32"),
    ("&cutv={Y}-{m}-{d}T{H}:{M}:{S}", "&cutv=2019-11-26T22:00:32"),
    ("?offset={offset:60}", "?offset=120"),
    ("?start={utc:YmdHM}&end=${end:YmdHM}", "?start=201911262200&end=201911262300"),
    ("?start={utc:Ymd-H-M}&end=${end:Ymd-H-M}", "?start=20191126-22-00&end=20191126-23-00"),
    ("/video-{utc}-{duration}.m3u8", f"/video-{START}-3600.m3u8"),
    ("/{duration:60}/x", "/60/x"),
    ("{duration:3600}h", "1h"),
    ("${start}-${end}-${now}-${timestamp}-${duration}-${offset}", f"{START}-{START + 3600}-{NOW}-{NOW}-3600-7200"),
    ("{utcend}", str(START + 3600)),
    ("{lutc:Y-m-d H:M:S}", "2019-11-27 00:00:32"),
    ("${now:H}/${timestamp:M}", "00/00"),
    ("{utc}/{utc}", f"{START}/{{utc}}"),  # Kodi fills an epoch specifier once
    ("{H}{H}", "2222"),  # …and a date field everywhere
    ("{offset:0}", "{offset:0}"),  # a zero divider is left as it is
    ("no specifiers", "no specifiers"),
]


@pytest.mark.parametrize(("template", "expected"), FORMATTED)
def test_format_url_fills_specifiers_as_iptv_simple(template, expected):
    assert format_url(template, START, 3600, NOW, UTC) == expected


def test_date_fields_follow_the_given_zone():
    plus2 = timezone(timedelta(hours=2))
    assert format_url("{H}:{M} {utc:H}", START, 3600, NOW, plus2) == "00:00 00"


def test_archive_url_caps_the_duration_at_now_and_applies_the_correction():
    catchup = Catchup("default", "http://h/a-{utc}-{duration}.ts", days=1, correction_s=-3600)
    # a programme that started 10 minutes ago and ends in 50: duration capped to 600 s
    assert archive_url(catchup, NOW - 600, NOW + 3000, NOW, tz=UTC) == f"http://h/a-{NOW - 600 + 3600}-600.ts"
    assert archive_url(catchup, NOW - 600, None, NOW, tz=UTC) == f"http://h/a-{NOW - 600 + 3600}-600.ts"


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (NOW + 1, NOW + 60, "not started"),
        (NOW, NOW + 60, "not started"),
        (NOW - 86400 - 1, NOW - 80000, "older than"),
        ("1", None, "whole seconds"),
        (1.5, None, "whole seconds"),
    ],
)
def test_archive_url_refuses_future_and_too_old_and_non_numbers(start, end, why):
    catchup = Catchup("shift", "http://h/a?utc={utc}", days=1)
    with pytest.raises(CatchupError, match=why):
        archive_url(catchup, start, end, NOW, tz=UTC)


def test_of_channel_reads_an_imported_playlist():
    lineup = parse_m3u(
        '#EXTM3U catchup="shift" catchup-days="2"\n'
        "#EXTINF:-1,A\nhttp://h/a.ts\n"
        '#EXTINF:-1 catchup="append" catchup-source="?s={utc}",B\nhttp://h/b.ts\n'
        '#EXTINF:-1 catchup="" timeshift="4",C\nhttp://h/c.ts\n'
    )
    got = [of_channel(c.urls[0], c.catchup, c.attributes) for c in lineup.lineup.channels]
    assert [(c.mode, c.source, c.days) if c else None for c in got] == [
        ("shift", "http://h/a.ts?utc={utc}&lutc={lutc}", 2),
        ("append", "http://h/b.ts?s={utc}", 2),
        ("shift", "http://h/c.ts?utc={utc}&lutc={lutc}", 2),
    ]


@settings(max_examples=300, deadline=None)
@given(
    url=st.text(max_size=80),
    attrs=st.dictionaries(
        st.sampled_from(["catchup", "catchup-type", "catchup-source", "catchup-days", "catchup-correction",
                         "timeshift", "tvg-rec"]),
        st.text(max_size=60),
    ),
    mode=st.sampled_from([*MODES, "bogus"]),
    start=st.integers(min_value=0, max_value=2**33),
    length=st.integers(min_value=-10, max_value=10**6),
)  # fmt: skip
def test_any_attributes_and_times_give_a_catchup_or_none_and_a_url_or_a_clear_refusal(url, attrs, mode, start, length):
    catchup = configure("http://h/a/" + url, {"catchup": mode, **attrs})
    if catchup is None:
        return
    assert 1 <= catchup.days <= 366
    try:
        built = archive_url(catchup, start, start + length, NOW, tz=UTC)
    except CatchupError:
        return
    assert isinstance(built, str)
