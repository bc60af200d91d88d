"""The channel line-up: the `channels.json` model, its checks, and M3U import/export."""

from stb.lineup.model import Channel, HeadendRef, Lineup

__all__ = ["Channel", "HeadendRef", "Lineup"]
