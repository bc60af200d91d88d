"""M3U export: the line-up as a playlist that VLC and Kodi's IPTV Simple each read fully, and that
`stb.lineup.m3u` reads back into the same line-up (its docstring lists the few values M3U cannot carry).
"""

from __future__ import annotations

from urllib.parse import quote

from stb.lineup.m3u import ATTRIBUTE_NAME, GUIDE_URL_ATTRIBUTES, _one_line
from stb.lineup.m3u_channels import KNOWN_ATTRIBUTES
from stb.lineup.model import Channel, Lineup

# Headers VLC takes as options; IPTV Simple reads the same #EXTVLCOPT lines.
VLC_HEADER_OPTIONS = {"User-Agent": "http-user-agent", "Referer": "http-referrer"}


def _attr(key: str, value: object) -> str:
    # IPTV Simple has no escape for quotes inside values; a `"` would end the value early.
    return f'{key}="{_one_line(value).replace(chr(34), chr(39))}"'


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _header_shift(lineup: Lineup) -> float:
    try:
        return float(lineup.playlist_attributes.get("tvg-shift", 0))
    except ValueError:
        return 0.0


def _extinf(c: Channel, header: dict[str, str], header_shift: float) -> str:
    attrs = [_attr("tvg-chno", c.number)]
    for key, value in (("tvg-id", c.guide_id), ("tvg-name", c.guide_name), ("tvg-logo", c.logo)):
        if value:
            attrs.append(_attr(key, value))
    if c.groups:
        attrs.append(_attr("group-title", ";".join(c.groups)))
    if c.radio:
        attrs.append(_attr("radio", "true"))
    if c.guide_shift != header_shift:  # the header's shift applies to every channel that has none
        attrs.append(_attr("tvg-shift", _number_text(c.guide_shift)))
    attrs += [_attr(k, v) for k, v in c.catchup.items() if ATTRIBUTE_NAME.match(k) and header.get(k) != v]
    attrs += [
        _attr(k, v)
        for k, v in c.attributes.items()
        if ATTRIBUTE_NAME.match(k) and k.lower() not in KNOWN_ATTRIBUTES and not k.lower().startswith("catchup")
    ]
    attrs.append(_attr("stb-id", c.id))
    if c.locked:
        attrs.append(_attr("stb-locked", "true"))
    if c.age_rating is not None:
        attrs.append(_attr("stb-age", c.age_rating))
    return f"#EXTINF:-1 {' '.join(attrs)},{_one_line(c.name)}"


def _stream_lines(c: Channel) -> list[str]:
    """#EXTVLCOPT lines for the headers VLC knows, then the URL: plain unless other headers need Kodi's form."""
    lines = [f"#EXTVLCOPT:{option}={_one_line(c.headers[k])}" for k, option in VLC_HEADER_OPTIONS.items()
             if k in c.headers]  # fmt: skip
    lines += [f"#EXTVLCOPT:{_one_line(o)}" for o in c.vlc_options]
    lines += [f"#STB-FALLBACK:{u}" for u in c.urls[1:]]  # before the URL: the URL ends an entry
    url = c.urls[0]
    if any(k not in VLC_HEADER_OPTIONS for k in c.headers):
        url += "|" + "&".join(f"{quote(k, safe='-')}={quote(v, safe='')}" for k, v in c.headers.items())
    return [*lines, url]


def write_m3u(lineup: Lineup, guide_url: str | None = None) -> str:
    """The line-up as an IPTV Simple playlist that `parse_m3u` reads back into the same channels.

    ``guide_url`` replaces the line-up's guide sources in `url-tvg` (the head-end serves its own).
    """
    sources = lineup.guide_sources if guide_url is None else [guide_url] if guide_url else []
    header = {k: v for k, v in lineup.playlist_attributes.items() if ATTRIBUTE_NAME.match(k)}
    header = {k: v for k, v in header.items() if k.lower() not in GUIDE_URL_ATTRIBUTES}
    head = [_attr("url-tvg", ",".join(sources))] if sources else []
    head += [_attr(k, v) for k, v in header.items()]
    out = [" ".join(["#EXTM3U", *head])]
    catchup_defaults = {k: v for k, v in header.items() if k.startswith("catchup")}
    shift = _header_shift(lineup)
    for c in lineup.sorted_channels():
        out.append(_extinf(c, catchup_defaults, shift))
        out += [f"#KODIPROP:{_one_line(p)}" for p in c.kodi_props]
        out += _stream_lines(c)
    return "\n".join(out) + "\n"
