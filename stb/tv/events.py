"""The TV core's one event stream: the Box's events, the players', and the core's own."""

from __future__ import annotations

from dataclasses import dataclass

from stb.box import Event as BoxEvent
from stb.lineup.model import Channel
from stb.player.zapper import PlaybackChanged
from stb.tv.mirror import Mirror


@dataclass(frozen=True)
class LockChanged:
    """The parental lock started or stopped hiding what is on screen."""

    locked: bool


@dataclass(frozen=True)
class MirrorChanged:
    """Another box's picture is on screen now (``mirror``), or this box's own channels again (None)."""

    mirror: Mirror | None


@dataclass(frozen=True)
class PlaybackReported:
    """Playback of this box's own channel or flung stream, as other screens are told about it.

    ``channel_id`` is None for a flung stream (its URL is the sender's business); a mirrored box's
    stand-in channel is never reported: that box reports its own.
    """

    channel_id: str | None
    state: str
    error: str | None


@dataclass(frozen=True)
class GuideChanged:
    """A guide refresh finished: the guide handle was replaced."""


@dataclass(frozen=True)
class ReminderDue:
    """A programme the viewer asked to be reminded of has started: the TV offers to watch it."""

    title: str
    channel: Channel

    @property
    def text(self) -> str:
        return f"{self.title} starts now on {self.channel.number} {self.channel.name} — OK to watch"


TvEvent = BoxEvent | PlaybackChanged | LockChanged | MirrorChanged | PlaybackReported | GuideChanged | ReminderDue
