"""Hypothesis strategies for line-ups, shared by the model and M3U tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from stb.lineup.model import Channel, HeadendRef, Lineup

# Printable: no control, surrogate, private-use, unassigned or line/paragraph separator characters.
PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"))


def text(exclude: str = "", max_size: int = 40) -> st.SearchStrategy[str]:
    """Non-empty printable one-line text without surrounding whitespace (M3U import strips it)."""
    chars = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"), exclude_characters=exclude)
    return st.text(chars, min_size=1, max_size=max_size).map(str.strip).filter(bool)


names = text()
attribute_values = text('"')  # M3U attribute values cannot hold a double quote
groups = text('";')  # `;` separates groups
short_text = text(max_size=20)
ALNUM = string.ascii_letters + string.digits
ident = st.builds(str.__add__, st.sampled_from(ALNUM), st.text(ALNUM + "._-", max_size=30))  # a valid channel id
host = st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10), min_size=1, max_size=4).map(
    ".".join
)
url_path = st.text(PRINTABLE, max_size=30).filter(lambda s: "|" not in s and not any(c.isspace() for c in s))
stream_urls = st.one_of(
    st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https", "rtsp", "rtmp"]), host, url_path),
    st.builds(lambda a, port: f"udp://@239.{a}.0.1:{port}", st.integers(0, 255), st.integers(1, 65535)),
)
guide_sources = st.one_of(
    st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]), host, url_path),
    st.builds(lambda p: f"/srv/guide/{p}.xml", ident),
).filter(lambda s: "," not in s and '"' not in s)  # url-tvg is one quoted attribute value
header_names = st.text(ALNUM + "!#$%&'*+.^_`|~-", min_size=1, max_size=20)  # RFC 9110 tokens
other_attributes = st.sampled_from(["tvg-country", "tvg-language", "tvg-type", "tvg-rec", "timeshift", "provider"])
playlist_attributes = st.fixed_dictionaries(
    {},
    optional={
        "tvg-shift": st.floats(-24, 24, allow_nan=False).map(str),
        "refresh": st.sampled_from(["3600", ""]),
        "x-provider-note": attribute_values,
    },
)
vlc_keys = ident.filter(lambda k: not k.lower().startswith(("http-user-agent", "http-refer")))


@st.composite
def channels(draw: st.DrawFn, number: int, channel_id: str) -> Channel:
    return Channel(
        number=number,
        id=channel_id,
        name=draw(names),
        urls=draw(st.lists(stream_urls, min_size=1, max_size=3, unique=True)),
        groups=draw(st.lists(groups, max_size=3, unique=True)),
        logo=draw(st.none() | attribute_values),
        guide_id=draw(st.none() | attribute_values),
        guide_name=draw(st.none() | attribute_values),
        guide_shift=draw(st.floats(-24, 24, allow_nan=False)),
        radio=draw(st.booleans()),
        locked=draw(st.booleans()),
        age_rating=draw(st.none() | st.integers(0, 21)),
        headers=draw(st.dictionaries(header_names, short_text, max_size=3)),
        catchup=draw(
            st.dictionaries(
                st.sampled_from(["catchup", "catchup-days", "catchup-source", "catchup-correction"]),
                st.just("") | attribute_values,
                max_size=4,
            )
        ),
        kodi_props=draw(st.lists(st.builds(lambda k, v: f"{k}={v}", ident, short_text), max_size=2)),
        vlc_options=draw(st.lists(st.builds(lambda k, v: f"{k}={v}", vlc_keys, short_text), max_size=2)),
        attributes=draw(st.dictionaries(other_attributes, st.just("") | attribute_values, max_size=3)),
    )


@st.composite
def lineups(draw: st.DrawFn, m3u_only: bool = True) -> Lineup:
    """Line-ups; with ``m3u_only`` False also the fields M3U cannot carry (`$schema`, head-end)."""
    numbers = draw(st.lists(st.integers(1, 99999), max_size=6, unique=True))
    ids = draw(st.lists(ident, min_size=len(numbers), max_size=len(numbers), unique=True))
    extra = {}
    if not m3u_only:
        extra = {
            "schema_": draw(st.none() | st.just("./channels.schema.json")),
            "headend": draw(st.none() | st.builds(HeadendRef, host=host, port=st.integers(1, 65535))),
        }
    return Lineup(
        name=draw(text(max_size=60)),
        guide_sources=draw(st.lists(guide_sources, max_size=2, unique=True)),
        playlist_attributes=draw(playlist_attributes),
        channels=[draw(channels(n, i)) for n, i in zip(numbers, ids, strict=True)],
        **extra,
    )
