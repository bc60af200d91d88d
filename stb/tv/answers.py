"""The shapes of what the TV answers other screens: typed dicts the API's port (``stb.net.ports.BoxPort``) and the
TV core's remote (``stb.tv.remote.TvRemote``) share, so the two cannot drift apart."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

Direction = Literal["up", "down", "last"]
Playback = Literal["idle", "connecting", "playing", "stalled", "failed"]


class BoxInfoDict(TypedDict):
    """Who the box is: ``GET /api/v1/box``, and the HDHomeRun description."""

    id: str
    name: str
    model: str
    version: str
    api: str
    capabilities: list[str]
    pairing_required: bool


class ChannelRefDict(TypedDict):
    id: str
    number: int
    name: str


class LineupChannelDict(ChannelRefDict):
    groups: list[str]
    radio: bool
    has_logo: bool
    archive_days: NotRequired[int | None]  # catch-up: how many days back its archive reaches


class StreamDict(TypedDict):
    """A flung stream that is not in the line-up (never its URL: it may carry credentials)."""

    title: str
    host: str


class StateDict(TypedDict):
    channel: ChannelRefDict | None  # None for a flung stream, or nothing on
    stream: StreamDict | None
    playback: Playback
    volume: int  # 0…100
    muted: bool
    locked: bool
    standby: bool


class HandedOffDict(TypedDict):
    standby: bool
    reason: str
    state: StateDict
