"""What the network API asks of the TV: the commands and queries of ``stb.net.ports.BoxPort``.

The queries that any thread may ask (who the box is) read the core's snapshot; everything else is run on
the UI thread by the command queue, between two frames, like a key press.
"""

from __future__ import annotations

from collections.abc import Callable

from stb import __version__
from stb.actions import ACTIONS
from stb.errors import NotFound
from stb.lineup.model import Channel
from stb.pvr.library import Meta
from stb.streams import describe, stream_channel
from stb.tv.answers import (
    BoxInfoDict,
    ChannelRefDict,
    Direction,
    HandedOffDict,
    LineupChannelDict,
    RecordingRefDict,
    StateDict,
    StreamDict,
)
from stb.tv.catchup import catchup_of
from stb.tv.core import TvCore

CAPABILITIES = ["zap", "keys", "volume", "standby", "guide", "events", "pairing"]


def channel_dict(channel: Channel) -> ChannelRefDict:
    return {"id": channel.id, "number": channel.number, "name": channel.name}


class TvRemote:
    """The API's view of the TV; ``press`` performs a named action as if its key had been pressed."""

    def __init__(self, core: TvCore, press: Callable[[str], None]) -> None:
        self.core = core
        self.box = core.box
        self.press = press

    def api_box_info(self) -> BoxInfoDict:
        """Public: who this box is. From the snapshot, so any thread may ask."""
        snap = self.core.snapshot
        return {"id": snap.box_id, "name": snap.box_name, "model": "stb", "version": __version__, "api": "/api/v1",
                "capabilities": list(CAPABILITIES), "pairing_required": not snap.open_on_lan}  # fmt: skip

    def api_lineup(self) -> list[LineupChannelDict]:
        return [{**channel_dict(c), "groups": c.groups, "radio": c.radio, "has_logo": bool(c.logo),
                 "archive_days": archive.days if (archive := catchup_of(c)) else None}
                for c in self.box.lineup.sorted_channels()]  # fmt: skip

    def api_play_archive(self, channel_id: str, start: int) -> StateDict:
        """A past programme from the channel's archive on the TV (a notice there says why not, if it cannot)."""
        channel = self.box.lineup.by_id(channel_id)
        if channel is None:
            raise NotFound(f"no channel with id {channel_id!r}")
        guide = self.core.guide
        found = guide.window([channel_id], start, start + 1).get(channel_id, []) if guide is not None else []
        programme = next((p for p in found if p.start == start), None)
        if programme is None:
            raise NotFound(f"no programme at {start} on {channel.name}")
        self.core.catchup.play(programme, channel)
        return self.api_state()

    def api_state(self) -> StateDict:
        s = self.box.state
        current = self.box.current
        flung = current is not None and self.box.is_flung(current)
        stream: StreamDict | None = None
        if current is not None and flung:
            described = describe(current)
            stream = {"title": described["title"], "host": described["host"]}
        return {"channel": channel_dict(current) if current and not flung else None, "stream": stream,
                "recording": self._recording() if not self.box.standby else None,
                "behind_s": self._behind() if current and not flung and not self.box.standby else None,
                "playback": self.core.zapper.active.state.value, "volume": s.volume,
                "muted": s.muted, "locked": self.core.locked, "standby": self.box.standby}  # fmt: skip

    def _recording(self) -> RecordingRefDict | None:
        playing = self.core.recordings.playing
        if playing is None:
            return None
        position = playing.position(self.core.zapper.active)
        return {"id": playing.meta.id, "title": playing.meta.title, "position": round(position, 1),
                "remote": playing.save is not None}  # fmt: skip

    def _behind(self) -> float | None:
        shift = self.core.timeshift
        view = shift.view() if shift is not None and shift.shifted else None
        return round(view.behind_s, 1) if view is not None else None

    def api_zap(self, channel_id: str | None, number: int | None, direction: Direction | None) -> StateDict:
        if channel_id is not None and self.box.lineup.by_id(channel_id) is None:
            raise NotFound(f"no channel with id {channel_id!r}")
        if number is not None and self.box.lineup.by_number(number) is None:
            raise NotFound(f"no channel number {number}")
        if channel_id is not None:
            self.box.zap(channel_id)
        elif number is not None:
            self.box.zap_number(number)
        else:
            {"up": self.box.zap_up, "down": self.box.zap_down, "last": self.box.zap_last}[direction or "up"]()
        return self.api_state()

    def api_play(self, url: str, title: str | None = None) -> StateDict:
        """Fling a URL: a line-up channel's URL zaps to that channel; any other stream URL plays as a temporary
        stream until the next zap (`stb.streams`; the API checked the scheme, ``stream_channel`` checks again)."""
        wanted = url.strip()
        channel = next((c for c in self.box.lineup.channels if wanted in c.urls), None)
        if channel is not None:
            self.box.zap(channel.id)
        else:
            self.box.play_stream(stream_channel(wanted, title))
        return self.api_state()

    def api_play_recording(self, meta: Meta) -> StateDict:
        """A recording on the TV from ``meta.position`` ("Play on the TV" from a phone or laptop)."""
        if not meta.parts:
            raise NotFound(f"{meta.title}: nothing recorded yet")
        if self.box.standby:
            self.box.set_standby(False)
        self.core.recordings.play(meta)
        return self.api_state()

    def api_handoff(self, channel_id: str | None, taker: str | None, recording_id: str | None = None) -> HandedOffDict:
        """Another screen took the programme (`stb take`) and shows it: standby, if the viewer wants that
        (Settings → Standby when taken), unless the TV moved on to another channel (or recording) meanwhile. A
        recording taken over is left first, so its resume position is where the TV was."""
        current, who = self.box.current, taker or "another screen"
        playing = self.core.recordings.playing
        if recording_id is not None:
            moved_on = playing is None or playing.meta.id != recording_id
        else:
            moved_on = channel_id is not None and (
                current is None or current.id != channel_id or self.box.is_flung(current)
            )
        if self.box.standby:
            reason = "the TV was in standby already"
        elif moved_on:
            reason = "the TV shows something else by now, so it stays on"
        elif not self.box.settings.standby_when_taken:
            reason = "the TV stays on (Settings: Standby when taken is off)"
            self.box.notify(f"{current.name if current else 'The programme'} is on {who} too")
        else:
            if recording_id is not None:
                self.core.recordings.back_to_live()  # its position kept; waking shows the channel from before it
            self.box.set_standby(True)
            reason = "the TV went to standby"
        return {"standby": self.box.standby, "reason": reason, "state": self.api_state()}

    def api_key(self, action: str) -> StateDict:
        if action not in ACTIONS or action == "quit":
            raise NotFound(f"no remote key {action!r} (see the keymap's actions)")
        self.press(action)
        return self.api_state()

    def api_standby(self, on: bool | None) -> StateDict:
        """Standby on, off, or (None) the other way round, as the power key does."""
        self.box.set_standby(not self.box.standby if on is None else on)
        return self.api_state()

    def api_volume(self, volume: int | None, delta: int | None, muted: bool | None) -> StateDict:
        if volume is not None or delta is not None:
            self.box.set_volume(volume if volume is not None else self.box.state.volume + (delta or 0))
        if muted is not None and muted != self.box.state.muted:
            self.box.toggle_mute()
        return self.api_state()
