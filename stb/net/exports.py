"""The box in the formats other apps already read: M3U and XMLTV (VLC, Kodi IPTV Simple), HDHomeRun (Plex,
Jellyfin, Emby).

Every stream URL points at the box's own relay, and every logo at the box's logo route (which fetches
the channel's logo wherever it lives: a file, a loopback server), with the client's token in the URL,
because these players cannot send headers. The XMLTV and the playlist's ``tvg-id`` use the same channel ids
(:func:`export_ids`), and the XMLTV has the line-up's time shifts applied already, so the two always match.
The XMLTV passes xmltv-util's ``tv_validate_file``: dotted channel ids, only channels that have programmes,
elements in the DTD's order. The guide is written one channel at a time, so a 14-day guide of 1000 channels
never sits in memory whole.
"""

from __future__ import annotations

import io
import re
from collections.abc import Generator
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from lxml import etree

from stb import __version__
from stb.guide.query import Programme
from stb.guide.xmltv import CREDIT_ROLES
from stb.lineup.catchup import Catchup, of_channel
from stb.lineup.m3u_write import write_m3u
from stb.lineup.model import Channel, Lineup
from stb.net import hdhr
from stb.net.ports import GuideReader
from stb.tv.answers import BoxInfoDict

GUIDE_PAST_S = 6 * 3600  # what already ended still helps a guide that opens on "now"
GUIDE_FUTURE_S = 15 * 86400
XMLTV_ID = re.compile(r"^[-a-zA-Z0-9]+(\.[-a-zA-Z0-9]+)+$")  # what tv_validate_file calls a proper id
EPISODE_NS = re.compile(r"^\s*\d*(\s*/\s*\d+)?\s*\.\s*\d*(\s*/\s*\d+)?\s*\.\s*\d*(\s*/\s*\d+)?\s*$")
DERIVED_SUFFIX = "stb"  # "sport_1" -> "sport-1.stb": the dotted id of a channel whose guide id will not do


def export_ids(lineup: Lineup) -> dict[str, str]:
    """Line-up channel id -> the id both exports give it (XMLTV ``channel``, M3U ``tvg-id``), unique and dotted.

    The channel's own guide id (``news-24.demo``) when it is a proper XMLTV id, no other channel took it, and the
    export's times are the source's (no tvg-shift): apps that also read the source then see the same channel.
    Otherwise one derived from the channel id (``news-24.stb``), numbered on a clash.
    """
    ids: dict[str, str] = {}
    taken: set[str] = set()
    channels = lineup.sorted_channels()
    for c in channels:
        if c.guide_id and XMLTV_ID.match(c.guide_id) and not c.guide_shift and c.guide_id not in taken:
            ids[c.id] = c.guide_id
            taken.add(c.guide_id)
    for c in channels:
        if c.id in ids:
            continue
        stem = re.sub(r"\.{2,}", ".", c.id.replace("_", "-")).rstrip(".")  # ids are [A-Za-z0-9][A-Za-z0-9._-]*
        candidate = stem if XMLTV_ID.match(stem) and stem not in taken else f"{stem}.{DERIVED_SUFFIX}"
        n = 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}.{DERIVED_SUFFIX}", n + 1
        ids[c.id] = candidate
        taken.add(candidate)
    return ids


def stream_url(base: str, channel_id: str, token: str | None) -> str:
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{base}/stream/channel/{quote(channel_id, safe='')}{query}"


def catchup_attributes(base: str, channel: Channel, token: str | None) -> dict[str, str]:
    """Kodi catch-up attributes that send IPTV Simple to the box's catch-up route ({} without catch-up).

    ``default`` mode with a full ``catchup-source``: IPTV Simple fills ``{utc}`` and ``{utcend}`` (epoch
    seconds) and the box builds the provider's URL; the provider's own template never leaves the box.
    """
    catchup = of_channel(channel.urls[0], channel.catchup, channel.attributes)
    if catchup is None:
        return {}
    query = f"&{urlencode({'token': token})}" if token else ""
    source = f"{base}/catchup/channel/{quote(channel.id, safe='')}?start={{utc}}&end={{utcend}}{query}"
    return {"catchup": "default", "catchup-source": source, "catchup-days": str(catchup.days)}


def logo_url(base: str, channel_id: str, logo: str | None, token: str | None) -> str | None:
    """The box's own URL of a channel's logo (None when it has none), with the export's access."""
    if not logo:
        return None
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{base}/api/v1/lineup/{quote(channel_id, safe='')}/logo{query}"


def playlist(lineup: Lineup, base: str, token: str | None) -> str:
    """The line-up as M3U, each channel's one URL the box's relay; ``url-tvg`` is the box's own XMLTV.

    Catch-up channels get attributes pointing at the box's catch-up route; the playlist's own catch-up
    defaults (the provider's) are dropped.
    """
    query = f"?{urlencode({'token': token})}" if token else ""
    ids = export_ids(lineup)
    channels = [
        c.model_copy(update={"urls": [stream_url(base, c.id, token)], "headers": {}, "guide_id": ids[c.id],
                             "guide_name": None, "guide_shift": 0.0, "logo": logo_url(base, c.id, c.logo, token),
                             "catchup": catchup_attributes(base, c, token),
                             "attributes": {k: v for k, v in c.attributes.items()
                                            if k.lower() not in ("timeshift", "tvg-rec")}})
        for c in lineup.channels
    ]  # fmt: skip
    header = {k: v for k, v in lineup.playlist_attributes.items() if not k.lower().startswith("catchup")}
    exported = lineup.model_copy(update={"channels": channels, "playlist_attributes": header})
    return write_m3u(exported, guide_url=f"{base}/xmltv.xml{query}")


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%d%H%M%S +0000")


def xmltv(guide: GuideReader | None, lineup: Lineup, now: float, base: str,
          token: str | None) -> Generator[bytes, None, None]:  # fmt: skip
    """The guide from ``now - 6 h`` (a catch-up channel's: its archive's reach) to its end (at most 15 days),
    as XMLTV, in pieces; logos at ``base``."""
    buffer = io.BytesIO()

    def flush() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    ids = export_ids(lineup)
    t1 = now + GUIDE_FUTURE_S
    every = lineup.sorted_channels()
    archives = {c.id: of_channel(c.urls[0], c.catchup, c.attributes) for c in every}
    since = {c.id: past_start(archives[c.id], now) for c in every}
    # a <channel> without programmes is an error to tv_validate_file: only channels the guide has something for
    scheduled: set[str] = set()
    if guide is not None:
        for t0 in set(since.values()):  # a few distinct windows: one index probe per channel in all
            scheduled |= guide.scheduled([c.id for c in every if since[c.id] == t0], t0, t1)
    channels = [c for c in every if c.id in scheduled]
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("tv", {"generator-info-name": f"stb {__version__}"}):
            for c in channels:
                element = etree.Element("channel", id=ids[c.id])
                etree.SubElement(element, "display-name").text = c.name
                etree.SubElement(element, "display-name").text = str(c.number)  # apps that map guides by number
                if (logo := logo_url(base, c.id, c.logo, token)) is not None:
                    etree.SubElement(element, "icon", src=logo)
                xf.write(element)
            yield flush()
            if guide is not None:
                for c in channels:
                    catchup = archives[c.id]
                    oldest = now - catchup.window_s if catchup is not None else now
                    for programme in guide.window([c.id], since[c.id], t1).get(c.id, []):
                        archive = None
                        if oldest <= programme.start < now:  # started, within the archive: playable back
                            archive = catchup_url(base, c.id, programme.start, programme.stop, token)
                        xf.write(_programme_element(programme, ids[c.id], archive))
                    yield flush()
    yield flush()


def past_start(catchup: Catchup | None, now: float) -> float:
    """Where a channel's exported guide begins: 6 h back, or as far back as its archive reaches.

    IPTV Simple offers "Play programme" only for programmes in the guide it read, so a guide that stops
    6 h back hides the rest of a 3-day archive. The guide store keeps what it keeps (2 days by default).
    """
    return now - max(GUIDE_PAST_S, catchup.window_s if catchup is not None else 0)


def catchup_url(base: str, channel_id: str, start: int, stop: int, token: str | None) -> str:
    """The box's URL of one past programme from the archive (what ``catchup-source`` makes of it)."""
    query = {"start": start, "end": stop} | ({"token": token} if token else {})
    return f"{base}/catchup/channel/{quote(channel_id, safe='')}?{urlencode(query)}"


def _programme_element(p: Programme, channel: str, archive: str | None = None) -> etree._Element:
    """One programme, its elements in the order the DTD sets; ``archive``: where to play it back.

    XMLTV has no catch-up element and Kodi reads none (IPTV Simple's catch-up is per channel, from the M3U);
    a playable programme gets ``<url system="catchup">``, which the DTD allows, with the box's archive URL.
    """
    element = etree.Element("programme", start=_stamp(p.start), stop=_stamp(p.stop), channel=channel)
    lang = {"lang": p.language} if p.language else {}
    etree.SubElement(element, "title", lang).text = p.title
    if p.sub_title:
        etree.SubElement(element, "sub-title", lang).text = p.sub_title
    if p.description:
        etree.SubElement(element, "desc", lang).text = p.description
    if p.credits:
        credits = etree.SubElement(element, "credits")
        for role, name in sorted(p.credits, key=lambda person: CREDIT_ROLES.index(person[0])):
            etree.SubElement(credits, role).text = name
    if p.date:
        etree.SubElement(element, "date").text = p.date
    for category in p.categories:
        etree.SubElement(element, "category").text = category
    if p.language:
        etree.SubElement(element, "language").text = p.language
    if p.icon:
        etree.SubElement(element, "icon", src=p.icon)
    if archive is not None:
        etree.SubElement(element, "url", system="catchup").text = archive
    if p.episode_ns and EPISODE_NS.match(p.episode_ns):  # tv_validate_file refuses any other form
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
    """``discover.json`` of the token-scoped tuner: ``base`` is the box, the tuner is at ``…/hdhr/TOKEN``."""
    return hdhr.discover(box, hdhr_base(base, token), tuners)


def hdhr_base(base: str, token: str | None) -> str:
    return f"{base}/hdhr/{quote(token, safe='')}" if token else f"{base}/hdhr/open"


def hdhr_lineup(lineup: Lineup, base: str, token: str | None) -> list[dict]:
    return hdhr.lineup(lineup, lambda c: stream_url(base, c.id, token))
