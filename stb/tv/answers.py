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


class RecordingRefDict(TypedDict):
    """A recording the TV plays: where it is in it now (another screen that takes it over starts there)."""

    id: str
    title: str
    position: float  # seconds into the recording
    remote: bool  # another box's recording (its id is that box's)


class StateDict(TypedDict):
    channel: ChannelRefDict | None  # None for a flung stream, or nothing on
    stream: StreamDict | None
    recording: RecordingRefDict | None  # a recording on screen (then ``stream`` names it too)
    behind_s: float | None  # the channel is watched from the timeshift buffer, this far behind live (None: live)
    playback: Playback
    volume: int  # 0…100
    muted: bool
    locked: bool
    standby: bool


class HandedOffDict(TypedDict):
    standby: bool
    reason: str
    state: StateDict
