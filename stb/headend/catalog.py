"""The demo channels as data: what each looks and sounds like, and the line-up that points at them.

Everything else of the head-end (media, live streams, guide, playlist, `channels.json`) is derived
from these tuples, and the HTTP side looks ids up here (an allow-list) instead of joining paths.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.lineup.model import Channel, HeadendRef, Lineup

SCHEMA_REF = "./stb/lineup/channels.schema.json"
LINEUP_NAME = "stb demo head-end"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8554
CATCHUP_DAYS = 3  # how far back the head-end's archive reaches


@dataclass(frozen=True)
class DemoChannel:
    """A real, live demo channel: a generated loop clip played at real time."""

    number: int
    id: str  # slug: URL path segment, file name, guide id prefix
    name: str
    genre: str  # drives the generated guide: news, sports, movies, kids, docs, music, comedy, weather, travel
    groups: tuple[str, ...]
    tone_hz: int  # each channel sounds different, so audio tests can tell them apart
    hue: int  # degrees: each channel's test pattern is tinted differently
    hls: bool = False  # served as HLS (its main URL is the playlist) instead of a TS stream
    age_rating: int | None = None

    @property
    def guide_id(self) -> str:
        return f"{self.id}.demo"


@dataclass(frozen=True)
class BrokenChannel:
    """A channel that fails on purpose, to exercise the box's error handling."""

    number: int
    id: str
    name: str
    path: str  # served by the head-end under /broken/
    behaviour: str  # what a player sees, for humans reading the catalogue


CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel(1, "news-24", "News 24", "news", ("News",), 330, 0),
    DemoChannel(2, "sports-arena", "Sports Arena", "sports", ("Sports",), 370, 36),
    DemoChannel(3, "cinema-one", "Cinema One", "movies", ("Movies",), 415, 72, age_rating=16),
    DemoChannel(4, "kids-planet", "Kids Planet", "kids", ("Kids",), 466, 108),
    DemoChannel(5, "discovery-lab", "Discovery Lab", "docs", ("Documentary",), 523, 144),
    DemoChannel(6, "music-hits", "Music Hits", "music", ("Music",), 587, 180),
    DemoChannel(7, "nature-world", "Nature World", "nature", ("Documentary",), 659, 216),
    DemoChannel(8, "laugh-tv", "Laugh TV", "comedy", ("Entertainment",), 698, 252),
    DemoChannel(9, "history-time", "History Time", "history", ("Documentary",), 784, 288),
    DemoChannel(10, "weather-now", "Weather Now", "weather", ("News",), 880, 324),
    DemoChannel(11, "travel-hls", "Travel HLS", "travel", ("Entertainment", "HLS"), 988, 198, hls=True),
)

BROKEN: tuple[BrokenChannel, ...] = (
    BrokenChannel(97, "dead-channel", "Dead Channel", "dead.ts", "the URL answers 404"),
    BrokenChannel(98, "stalling-channel", "Stalling Channel", "stall.ts", "a few seconds of stream, then silence"),
    BrokenChannel(99, "garbage-channel", "Garbage Channel", "garbage.ts", "random bytes at about 1 Mbit/s"),
)

BY_ID: dict[str, DemoChannel] = {c.id: c for c in CHANNELS}
HLS_BY_ID: dict[str, DemoChannel] = {c.id: c for c in CHANNELS if c.hls}


def stream_path(channel: DemoChannel) -> str:
    """The channel's main URL path: its HLS playlist if it is an HLS channel, else its live TS."""
    return f"/hls/{channel.id}/index.m3u8" if channel.hls else f"/live/{channel.id}.ts"


def catchup_attributes(channel: DemoChannel, base: str) -> dict[str, str]:
    """Kodi catch-up attributes of a demo channel: odd numbers in SIPTV `shift` style (``?utc=…&lutc=…`` on
    the live URL), even ones Flussonic style (``archive-START-DURATION.ts``); the HLS channel has none."""
    if channel.hls:
        return {}
    if channel.number % 2:
        return {"catchup": "shift", "catchup-days": str(CATCHUP_DAYS)}
    source = f"{base}/archive/{channel.id}/archive-{{utc}}-{{duration}}.ts"
    return {"catchup": "default", "catchup-source": source, "catchup-days": str(CATCHUP_DAYS)}


def base_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """`http://host:port`, with IPv6 literals bracketed."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def demo_lineup(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Lineup:
    """The line-up of `channels.json`: every demo channel plus the deliberately broken ones."""
    base = base_url(host, port)
    channels = [
        Channel(
            number=c.number,
            id=c.id,
            name=c.name,
            urls=[base + stream_path(c)],
            groups=list(c.groups),
            logo=f"{base}/logo/{c.id}.png",
            guide_id=c.guide_id,
            age_rating=c.age_rating,
            catchup=catchup_attributes(c, base),
        )
        for c in CHANNELS
    ]
    channels += [
        Channel(number=b.number, id=b.id, name=b.name, urls=[f"{base}/broken/{b.path}"], groups=["Test"])
        for b in BROKEN
    ]
    return Lineup.model_validate(
        {
            "$schema": SCHEMA_REF,
            "name": LINEUP_NAME,
            "guide_sources": [f"{base}/xmltv.xml"],
            "headend": HeadendRef(host=host, port=port),
            "channels": channels,
        }
    )
