"""The demo channels as data: what each looks and sounds like, and the line-up that points at them."""

from __future__ import annotations

from dataclasses import dataclass

from stb.lineup.model import Channel, HeadendRef, Lineup


@dataclass(frozen=True)
class DemoChannel:
    number: int
    id: str
    name: str
    genre: str  # drives the generated guide: news, sports, movies, kids, docs, music, series, weather
    group: str
    tone_hz: int
    hue: int  # degrees: each channel's test pattern is tinted differently
    hls: bool = False
    age_rating: int | None = None


@dataclass(frozen=True)
class BrokenChannel:
    number: int
    id: str
    name: str
    path: str  # served by the head-end under /broken/


CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel(1, "news-24", "News 24", "news", "News", 330, 0),
    DemoChannel(2, "sports-arena", "Sports Arena", "sports", "Sports", 370, 36),
    DemoChannel(3, "cinema-one", "Cinema One", "movies", "Movies", 415, 72, age_rating=16),
    DemoChannel(4, "kids-planet", "Kids Planet", "kids", "Kids", 466, 108),
    DemoChannel(5, "discovery-lab", "Discovery Lab", "docs", "Documentary", 523, 144),
    DemoChannel(6, "music-hits", "Music Hits", "music", "Music", 587, 180),
    DemoChannel(7, "nature-world", "Nature World", "docs", "Documentary", 659, 216),
    DemoChannel(8, "laugh-tv", "Laugh TV", "series", "Entertainment", 698, 252),
    DemoChannel(9, "history-time", "History Time", "docs", "Documentary", 784, 288),
    DemoChannel(10, "weather-now", "Weather Now", "weather", "News", 880, 324),
    DemoChannel(11, "travel-hls", "Travel HLS", "docs", "Entertainment", 988, 198, hls=True),
)

BROKEN: tuple[BrokenChannel, ...] = (
    BrokenChannel(97, "dead-channel", "Dead Channel", "dead.ts"),
    BrokenChannel(98, "stalling-channel", "Stalling Channel", "stall.ts"),
    BrokenChannel(99, "garbage-channel", "Garbage Channel", "garbage.ts"),
)

BY_ID = {c.id: c for c in CHANNELS}


def stream_path(channel: DemoChannel) -> str:
    return f"/hls/{channel.id}/index.m3u8" if channel.hls else f"/live/{channel.id}.ts"


def demo_lineup(host: str = "127.0.0.1", port: int = 8554) -> Lineup:
    """The line-up of `channels.json`: every demo channel plus the deliberately broken ones."""
    base = f"http://{host}:{port}"
    channels = [
        Channel(
            number=c.number,
            id=c.id,
            name=c.name,
            urls=[base + stream_path(c)],
            groups=[c.group],
            logo=f"{base}/logo/{c.id}.png",
            guide_id=f"{c.id}.demo",
            age_rating=c.age_rating,
        )
        for c in CHANNELS
    ]
    channels += [
        Channel(number=b.number, id=b.id, name=b.name, urls=[f"{base}/broken/{b.path}"], groups=["Test"])
        for b in BROKEN
    ]
    return Lineup.model_validate(
        {
            "$schema": "./stb/lineup/channels.schema.json",
            "name": "stb demo head-end",
            "guide_sources": [f"{base}/xmltv.xml"],
            "headend": HeadendRef(host=host, port=port),
            "channels": channels,
        }
    )
