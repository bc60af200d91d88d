"""What the relay may read for other screens: a line-up channel, and whether the parental rule hides it."""

from __future__ import annotations

import time

from stb.relay.feed import ChannelSource
from stb.tv.snapshot import TvSnapshot


def channel_source(snapshot: TvSnapshot, channel_id: str) -> ChannelSource | None:
    """From the network thread: only the snapshot is read (the line-up is replaced whole, never changed)."""
    channel = snapshot.lineup.by_id(channel_id)
    if channel is None:
        return None
    locked = snapshot.channel_hidden(channel, time.time())
    return ChannelSource(channel.id, channel.name, tuple(channel.urls), dict(channel.headers), locked)
