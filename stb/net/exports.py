"""The box in the formats other apps already read: M3U and XMLTV (VLC, Kodi IPTV Simple), HDHomeRun (Plex,
Jellyfin, Emby).

Every stream URL points at the box's own relay, and every logo at the box's logo route (which fetches
the channel's logo wherever it lives: a file, a loopback server), with the client's token in the URL,
because these players cannot send headers. The XMLTV uses the line-up's channel ids (the playlist's ``tvg-id``) and
has the line-up's time shifts applied already, so the two always match. The guide is written one
channel at a time, so a 14-day guide of 1000 channels never sits in memory whole.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from lxml import etree

from stb import __version__
from stb.guide.query import Programme
from stb.lineup.m3u_write import write_m3u
from stb.lineup.model import Lineup
from stb.net.ports import GuideReader
from stb.tv.answers import BoxInfoDict

GUIDE_PAST_S = 6 * 3600  # what already ended still helps a guide that opens on "now"
GUIDE_FUTURE_S = 15 * 86400


def stream_url(base: str, channel_id: str, token: str | None) -> str:
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{base}/stream/channel/{quote(channel_id, safe='')}{query}"


def logo_url(base: str, channel_id: str, logo: str | None, token: str | None) -> str | None:
    """The box's own URL of a channel's logo (None when it has none), with the export's access."""
    if not logo:
        return None
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{base}/api/v1/lineup/{quote(channel_id, safe='')}/logo{query}"


def playlist(lineup: Lineup, base: str, token: str | None) -> str:
    """The line-up as M3U, each channel's one URL the box's relay; ``url-tvg`` is the box's own XMLTV."""
    query = f"?{urlencode({'token': token})}" if token else ""
    channels = [
        c.model_copy(update={"urls": [stream_url(base, c.id, token)], "headers": {}, "guide_id": c.id,
                             "guide_name": None, "guide_shift": 0.0, "logo": logo_url(base, c.id, c.logo, token)})
        for c in lineup.channels
    ]  # fmt: skip
    exported = lineup.model_copy(update={"channels": channels})
    return write_m3u(exported, guide_url=f"{base}/xmltv.xml{query}")


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%d%H%M%S +0000")


def xmltv(guide: GuideReader | None, lineup: Lineup, now: float, base: str,
          token: str | None) -> Generator[bytes, None, None]:  # fmt: skip
    """The guide from ``now - 6 h`` to its end (at most 15 days), as XMLTV, in pieces; logos at ``base``."""
    buffer = io.BytesIO()

    def flush() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    channels = lineup.sorted_channels()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("tv", {"generator-info-name": f"stb {__version__}"}):
            for c in channels:
                element = etree.Element("channel", id=c.id)
                etree.SubElement(element, "display-name").text = c.name
                if (logo := logo_url(base, c.id, c.logo, token)) is not None:
                    etree.SubElement(element, "icon", src=logo)
                xf.write(element)
            yield flush()
            if guide is not None:
                for c in channels:
                    rows = guide.window([c.id], now - GUIDE_PAST_S, now + GUIDE_FUTURE_S).get(c.id, [])
                    for programme in rows:
                        xf.write(_programme_element(programme))
                    yield flush()
    yield flush()


def _programme_element(p: Programme) -> etree._Element:
    element = etree.Element("programme", start=_stamp(p.start), stop=_stamp(p.stop), channel=p.channel)
    lang = {"lang": p.language} if p.language else {}
    etree.SubElement(element, "title", lang).text = p.title
    if p.sub_title:
        etree.SubElement(element, "sub-title", lang).text = p.sub_title
    if p.description:
        etree.SubElement(element, "desc", lang).text = p.description
    for category in p.categories:
        etree.SubElement(element, "category").text = category
    if p.language:
        etree.SubElement(element, "language").text = p.language
    if p.icon:
        etree.SubElement(element, "icon", src=p.icon)
    if p.episode_ns:
        etree.SubElement(element, "episode-num", system="xmltv_ns").text = p.episode_ns
    if p.episode_onscreen:
        etree.SubElement(element, "episode-num", system="onscreen").text = p.episode_onscreen
    if p.previously_shown:
        etree.SubElement(element, "previously-shown")
    if p.is_new:
        etree.SubElement(element, "new")
    if p.rating:
        rating = etree.SubElement(element, "rating", {"system": p.rating_system} if p.rating_system else {})
        etree.SubElement(rating, "value").text = p.rating
    if p.star_rating:
        stars = etree.SubElement(element, "star-rating")
        etree.SubElement(stars, "value").text = p.star_rating
    return element


# -- HDHomeRun: what Plex, Jellyfin and Emby ask a network tuner -------------------------------------


def hdhr_discover(box: BoxInfoDict, base: str, token: str | None, tuners: int) -> dict:
    """``discover.json``: ``base`` is the URL the user gave the app, ``…/hdhr/TOKEN``."""
    hdhr_base = f"{base}/hdhr/{quote(token, safe='')}" if token else f"{base}/hdhr/open"
    return {
        "FriendlyName": box["name"],
        "Manufacturer": "stb",
        "ModelNumber": "HDTC-2US",  # a model these apps know takes MPEG-TS as it comes
        "FirmwareName": "stb",
        "FirmwareVersion": __version__,
        "DeviceID": (box["id"][:8] or "00000000").upper(),
        "DeviceAuth": "",
        "BaseURL": hdhr_base,
        "LineupURL": f"{hdhr_base}/lineup.json",
        "TunerCount": tuners,
    }


def hdhr_lineup(lineup: Lineup, base: str, token: str | None) -> list[dict]:
    return [{"GuideNumber": str(c.number), "GuideName": c.name, "URL": stream_url(base, c.id, token)}
            for c in lineup.sorted_channels() if not c.radio]  # fmt: skip


HDHR_STATUS = {"ScanInProgress": 0, "ScanPossible": 1, "Source": "Cable", "SourceList": ["Cable"]}
