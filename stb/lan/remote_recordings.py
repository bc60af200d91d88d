"""Another box's recordings, as this box reads them: the multi-room DVR's data (record in one room, watch in any).

What another box answers is the LAN's word, not ours: every recording it lists is checked field by field
(an odd entry is left out, never a traceback), its strings made printable, its numbers bounded. The URL a
recording plays from is the other box's ``/hls/recording/ID/index.m3u8`` (a VOD playlist of keyframe-cut
byte ranges, no copy: libVLC knows its length and seeks in it by time) signed for a while, never with the
long-lived token in it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from stb.lan.printable import printable

__all__ = ["RecordingTarget", "RemoteRecording", "parse_recordings"]

ID = re.compile(r"^[0-9a-f]{16}$")  # the recorder's ids (stb.pvr.timers.ID_PATTERN)
MAX_LISTED = 1000  # a box that lists more is cut here (a menu, not an archive)
STATES = ("recording", "done", "partial", "interrupted", "failed")


@dataclass(frozen=True)
class RemoteRecording:
    """One recording on another box: what the Other screens menu lists, and what plays."""

    id: str
    title: str
    channel: str  # its channel id (this box's lock applies when its line-up has the same id)
    channel_name: str
    start: float
    duration: float
    position: float  # where the household stopped, on any screen
    state: str
    watched: bool
    rating: str | None = None
    episode: str | None = None

    @property
    def resumable(self) -> bool:
        return self.position > 0 and not self.watched


@dataclass(frozen=True)
class RecordingTarget:
    """What this box's player opens: the recording, and its signed HLS URL on the other box."""

    recording: RemoteRecording
    url: str
    position: float  # the other box's resume position when it was opened


def _number(value: Any, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if 0 <= value <= high else None


def _text(value: Any, limit: int = 200) -> str | None:
    return printable(value, limit) if isinstance(value, str) else None


def parse_recording(item: Any) -> RemoteRecording | None:
    """One entry of ``GET /api/v1/recordings``; None when it is not a recording this box can list."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not ID.match(item["id"]):
        return None
    title, channel = _text(item.get("title")), item.get("channel")
    start, duration = _number(item.get("start"), 2**40), _number(item.get("duration"), 10**7)
    position = _number(item.get("position"), 10**7)
    state = item.get("state")
    if title is None or not isinstance(channel, str) or start is None or duration is None or state not in STATES:
        return None
    return RemoteRecording(
        id=item["id"], title=title or "Untitled", channel=channel[:200], channel_name=_text(item.get("channel_name"))
        or channel[:40], start=start, duration=duration, position=position or 0.0, state=state,
        watched=item.get("watched") is True, rating=_text(item.get("rating"), 20), episode=_text(item.get("episode"))
        or _text(item.get("sub_title")),
    )  # fmt: skip


def parse_recordings(answer: Any) -> list[RemoteRecording]:
    """The recordings another box lists, newest first; odd entries left out."""
    items = answer.get("recordings") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        return []
    found = [r for r in (parse_recording(item) for item in items[:MAX_LISTED]) if r is not None]
    return sorted(found, key=lambda r: r.start, reverse=True)
