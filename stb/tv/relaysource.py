"""What the relay may read for other screens: a line-up channel, and whether the parental rule hides it."""

from __future__ import annotations

import time

from stb.pvr.library import Meta
from stb.relay.feed import ChannelSource
from stb.tv.snapshot import TvSnapshot


def channel_source(snapshot: TvSnapshot, channel_id: str) -> ChannelSource | None:
    """From the network thread: only the snapshot is read (the line-up is replaced whole, never changed)."""
    channel = snapshot.lineup.by_id(channel_id)
    if channel is None:
        return None
    locked = snapshot.channel_hidden(channel, time.time())
    return ChannelSource(channel.id, channel.name, tuple(channel.urls), dict(channel.headers), locked)


def recording_hidden(snapshot: TvSnapshot, meta: Meta) -> bool:
    """From the network thread: whether the parental rule keeps a recording from other screens now, as the TV
    judges it when it plays one (its channel's lock and age, the recorded programme's rating)."""
    channel = snapshot.lineup.by_id(meta.channel)
    return snapshot.parental.hides(meta.channel, meta.rating, None, time.time(),
                                   channel_locked=bool(channel and channel.locked),
                                   channel_age=channel.age_rating if channel else None)  # fmt: skip
