"""The TV core: the box's behaviour on the UI thread, with no pygame in it.

It owns the wiring between the Box (what should be on), the players (what is on) and the guide, and the
policies that used to live in the window and the live screen: the parental lock's state, standby, the
audio (silence while the lock hides a channel), mirroring another box, and what the relay's live stream
may follow. Screens draw from it; the network side reads its :class:`TvSnapshot`, replaced whole at the
end of every frame, and sends commands through the command queue that :meth:`step` runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from stb.box import Box, ChannelChanged, Notice, StandbyChanged, VolumeChanged
from stb.box import Event as BoxEvent
from stb.commands import CommandQueue
from stb.guide.query import Guide, Programme
from stb.guide.refresh import GuideRefresher
from stb.lan.discovery import FoundBox
from stb.lan.peers import LiveTarget
from stb.lineup.model import Channel
from stb.parental import PinResult
from stb.player.engine import PlaybackState
from stb.tv import mirror
from stb.tv.cache import KeyframeCache
from stb.tv.catchup import TvCatchup, catchup_of
from stb.tv.events import GuideChanged, LockChanged, MirrorChanged, PlaybackReported, ReminderDue, TvEvent
from stb.tv.ports import ZapperPort
from stb.tv.recordings import TvRecordings
from stb.tv.snapshot import TvSnapshot
from stb.tv.timeshift import SKIP_LONG_S, SKIP_S, Timeshift

log = logging.getLogger(__name__)

NOW_NEXT_TTL_S = 5.0  # the guide is asked about a channel at most this often, not every frame

Listener = Callable[[TvEvent], None]
NowNext = tuple[Programme | None, Programme | None]


class TvCore:
    """One per box, on the UI thread. Subscribe to its events; read ``snapshot`` from any thread."""

    def __init__(
        self,
        box: Box,
        zapper: ZapperPort,
        guide: Guide | None = None,
        *,
        guide_db: Path | None = None,
        refresher: GuideRefresher | None = None,
        commands: CommandQueue | None = None,
    ) -> None:
        self.box = box
        self.zapper = zapper
        self.guide = guide
        self.guide_db = guide_db
        self.refresher = refresher
        self.commands = commands or CommandQueue()
        self.locked = False  # the parental lock hides this channel's picture and sound until the PIN
        self.mirroring: mirror.Mirror | None = None  # another box's live stream on screen instead of ours
        self.peer_boxes: Callable[[], tuple[FoundBox, ...]] = tuple  # the boxes on the LAN, when the box looks
        self.on_follow: Callable[[str | None], None] | None = None  # the relay's live stream follows this
        self._following: str | None = None
        self.cache: KeyframeCache | None = None  # channels read ahead for instant zaps, when the box has it
        self.timeshift: Timeshift | None = None  # pause, rewind, start over: when the box buffers its channel
        self._now_next_cache: dict[str, tuple[float, NowNext]] = {}
        self.recordings = TvRecordings(self.notify, box, zapper)  # its recorder is set when the box has a network side
        self.catchup = TvCatchup(self.notify, box, zapper)  # past programmes from the provider's archive
        self._listeners: list[Listener] = []
        self.snapshot = TvSnapshot(box.lineup)
        box.subscribe(self._on_box_event)

    # -- events ----------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: TvEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _on_box_event(self, event: BoxEvent) -> None:
        """The core acts first (tune, lock, standby), then everyone else hears of it."""
        if isinstance(event, ChannelChanged):
            self.recordings.channel_changed(event.channel)  # a recording left: where it was, before the zap
            self.catchup.channel_changed(event.channel)
            self.mirroring = None  # a zap from anywhere (a phone too) brings this box's own channels back
            self.check_lock()  # before the zap: a locked channel must not be heard for a frame
            if self.timeshift is not None:
                self.timeshift.leave()
            self.zapper.zap(event.channel)
            self.follow_live()
            self._buffer(event.channel)
            if self.cache is not None:
                self.cache.typing("")  # whatever was typed has been tuned (or given up)
        elif isinstance(event, VolumeChanged):
            self.apply_audio()
        elif isinstance(event, StandbyChanged):
            self._standby_changed(event)
            self.follow_live()
            self._buffer(None if event.standby else self.box.current)
            if self.cache is not None:
                self.cache.refresh()
        self._emit(event)

    def _standby_changed(self, event: StandbyChanged) -> None:
        """Standby stops every player (no stream held upstream, no sound); waking tunes the channel again,
        unless a zap woke the box and tunes its own."""
        current = self.box.current
        if event.standby:
            self.mirroring = None  # waking tunes this box's own channel
            self.zapper.stop_all()
            if current is not None:
                self._emit(PlaybackReported(self._public_id(current), PlaybackState.IDLE.value, None))
        elif event.retune and current is not None:
            self.check_lock()
            self.zapper.zap(current)

    def notify(self, text: str) -> None:
        self._emit(Notice(text))

    # -- the frame -------------------------------------------------------------------------------------
    def step(self, now: float) -> None:
        """Once per frame: the players' news, the network's commands, the lock, guide refreshes. The window
        publishes the snapshot at the end of its frame (:meth:`publish_snapshot`), after the screens acted."""
        for event in self.zapper.step(now):
            self._emit(event)
            channel = event.channel
            if self.box.lineup.by_id(channel.id) is not None or self.box.is_flung(channel):
                # a mirrored box's stand-in channel is that box's to report, not ours
                self._emit(PlaybackReported(self._public_id(channel), event.state.value, event.error))
        self.commands.run_pending()
        if self.cache is not None:
            self.cache.step(now)
        if self.timeshift is not None and (notice := self.timeshift.step(now)):
            self.notify(notice)
        self.recordings.step(now)
        self.catchup.step(time.time())
        self.check_lock()
        self._drain_guide_refreshes()
        self.check_reminders(time.time())

    def check_reminders(self, now: float) -> None:
        """A reminder whose programme started becomes a :class:`ReminderDue`; in standby it waits for waking
        (while the programme is still on)."""
        if self.box.standby:
            return
        for reminder, channel in self.box.take_due_reminders(now):
            self._emit(ReminderDue(reminder.title, channel))

    def publish_snapshot(self) -> None:
        box, s = self.box, self.box.settings
        current = box.current
        self.snapshot = TvSnapshot(
            lineup=box.lineup, box_id=s.box_id or "", box_name=s.box_name, open_on_lan=s.open_on_lan,
            network_tuner=s.network_tuner, favourites=tuple(box.state.favourites),
            channel=current, flung=box.is_flung(current), playback=self.zapper.active.state.value,
            volume=box.state.volume, muted=box.state.muted, locked=self.locked, standby=box.standby,
            mirroring=self.mirroring.name if self.mirroring else None, parental=box.parental.rule(time.time()),
            live_channel_id=self._following,
        )  # fmt: skip

    # -- the parental lock -----------------------------------------------------------------------------
    def check_lock(self) -> None:
        """Ask the parental rule about the channel and what is on it (every frame: the rule is cheap)."""
        channel = self.box.current
        locked = False
        if channel is not None and self.box.parental.enabled and self.mirroring is None:
            current, _ = self.now_next(channel.id)
            locked = self.box.parental.needs_pin(
                channel.id, current.rating if current else None, current.rating_system if current else None,
                time.time(), channel_locked=channel.locked, channel_age=channel.age_rating,
            )  # fmt: skip
        if locked != self.locked:
            self.locked = locked
            self.apply_audio()
            self.follow_live()
            self._emit(LockChanged(locked))

    def try_pin(self, pin: str) -> PinResult:
        """A PIN typed on the remote over a locked channel: a right one unlocks, and the lock is asked again."""
        result = self.box.parental.try_pin(pin, time.time())
        self.check_lock()
        return result

    # -- sound and the relay ---------------------------------------------------------------------------
    def apply_audio(self) -> None:
        """Volume and mute as the viewer set them, and silence while the parental lock hides a channel."""
        self.zapper.set_audio(self.box.state.volume, self.box.state.muted or self.locked)

    def follow_live(self) -> None:
        """The relay's live stream shows what the TV shows: nothing while the parental lock hides it, in standby,
        or while a flung stream or another box plays (the relay reads line-up channels only)."""
        current = self.box.current
        showing = current is not None and not self.locked and not self.box.standby and self.mirroring is None
        target = current.id if showing and current is not None and not self.box.is_flung(current) else None
        self._following = target
        if self.on_follow is not None:
            self.on_follow(target)

    # -- timeshift -------------------------------------------------------------------------------------
    def _buffer(self, channel: Channel | None) -> None:
        """The timeshift buffer follows the channel on screen (a line-up channel: the relay reads those only)."""
        if self.timeshift is not None:
            ours = channel is not None and self.box.lineup.by_id(channel.id) is not None and self.mirroring is None
            self.timeshift.watch(channel if ours else None)

    def transport(self, action: str) -> str | None:
        """A transport key (pause, skip, wind, start over, live) on the channel on screen; returns a notice, if any."""
        shift = self.timeshift
        playing = self.recordings.playing is not None or self.catchup.playing is not None
        if self.locked and (shift is not None or playing):
            return "Enter the PIN first"
        if self.recordings.playing is not None:  # a recording: libVLC seeks in its file
            return self.recordings.transport(action)
        if self.catchup.playing is not None:  # a programme from the archive: libVLC seeks in it
            return self.catchup.transport(action)
        if action == "start_over" and (archived := self._start_over_from_archive(shift)) is not None:
            return archived or None
        if shift is None:
            return "Pausing live TV is off (Settings)" if action == "play_pause" else None
        if action == "play_pause":
            return shift.toggle_pause()
        if action in ("skip_back", "skip_forward", "skip_back_long", "skip_forward_long"):
            seconds = SKIP_LONG_S if action.endswith("_long") else SKIP_S
            return shift.skip(seconds if "forward" in action else -seconds)
        if action in ("rewind", "fast_forward"):
            return shift.wind(1 if action == "fast_forward" else -1)
        if action == "live":
            return shift.go_live()
        if action == "start_over":
            return shift.start_over(self._programme_start(shift))
        return None

    def _start_over_from_archive(self, shift: Timeshift | None) -> str | None:
        """Start over from the provider's archive when the buffer does not reach back to the programme's start
        (or timeshift is off) and the channel has catch-up: "" when it plays, None to leave it to timeshift."""
        current = self.box.current
        if current is None or self.guide is None or self.box.is_flung(current) or catchup_of(current) is None:
            return None
        window = shift.window() if shift is not None else None
        now = time.time()
        programmes = self.guide.window([current.id], now, now + 1).get(current.id, [])
        if not programmes:
            return None
        programme = programmes[0]
        if window is not None and window.start_at - (time.monotonic() - now) <= programme.start:
            return None  # the buffer holds the start: timeshift's start over is instant and local
        return "" if self.catchup.play(programme, current) else None

    def _programme_start(self, shift: Timeshift) -> float | None:
        """When the programme at the picture's position began (wall clock), as the guide says."""
        current, position = self.box.current, shift.position()
        if self.guide is None or current is None or position is None:
            return None
        at = time.time() - (time.monotonic() - position)
        programmes = self.guide.window([current.id], at, at + 1).get(current.id, [])
        return float(programmes[0].start) if programmes else None

    def _public_id(self, channel: Channel) -> str | None:
        """A line-up channel's id; None for a flung stream (its id is the box's own business)."""
        return None if self.box.is_flung(channel) else channel.id

    def likely_next(self, channel: Channel) -> list[Channel]:
        """What to pre-tune: nothing while another box is mirrored (its stand-in is in no line-up)."""
        return self.box.likely_next(channel) if self.box.lineup.by_id(channel.id) is not None else []

    # -- the guide -------------------------------------------------------------------------------------
    def now_next(self, channel_id: str) -> NowNext:
        """Now/next of a channel, asked of the guide at most every few seconds, not every frame."""
        if self.guide is None:
            return None, None
        now = time.monotonic()
        cached = self._now_next_cache.get(channel_id)
        if cached is None or now - cached[0] > NOW_NEXT_TTL_S:
            pair = self.guide.now_next(channel_ids=[channel_id]).get(channel_id, (None, None))
            self._now_next_cache[channel_id] = cached = (now, pair)
        return cached[1]

    def set_guide(self, guide: Guide | None) -> None:
        """Use a (re)opened guide; forget answers from the old one."""
        self.guide = guide
        self._now_next_cache.clear()

    def _drain_guide_refreshes(self) -> None:
        if self.refresher is None or self.guide_db is None:
            return
        while not self.refresher.results.empty():
            result = self.refresher.results.get_nowait()
            if result.error:
                self.notify(f"Guide not updated: {result.error}")
                continue
            old = self.guide
            self.set_guide(Guide(self.guide_db, self.box.lineup))  # re-matches channels too
            self._emit(GuideChanged())
            if old is not None:
                old.close()

    # -- mirroring another box -------------------------------------------------------------------------
    def start_mirror(self, box: FoundBox, target: LiveTarget) -> None:
        """Play ``box``'s live stream instead of our channel; our relay's live stream shows nothing meanwhile
        (a box mirroring a box that mirrors it would feed itself)."""
        if self.box.standby:
            return
        if self.timeshift is not None:
            self.timeshift.leave()
        self.mirroring = mirror.start(box, target)
        self._buffer(None)
        self.zapper.zap(self.mirroring.channel)
        self.check_lock()
        self.apply_audio()
        self.follow_live()
        self._emit(MirrorChanged(self.mirroring))

    def leave_mirror(self, then: Callable[[], object] | None = None) -> None:
        """Back to this box's own line-up: ``then`` runs the viewer's zap or digit; when it tuned nothing
        (a number still being typed, no last channel), the box's own channel comes back."""
        stand_in = self.mirroring.channel if self.mirroring else None
        self.mirroring = None
        if then is not None:
            then()
        current = self.box.current
        on_screen = self.zapper.active.channel
        if stand_in is not None and on_screen is not None and on_screen.id == stand_in.id and current is not None:
            self.check_lock()
            self.zapper.zap(current)
            self.apply_audio()
            self._buffer(current)
        self.follow_live()
        self._emit(MirrorChanged(None))

    def mirror_label(self) -> tuple[str, str] | None:
        """The banner's two lines while another box is mirrored ("Mirroring Den", "Showing: News")."""
        if self.mirroring is None:
            return None
        return mirror.banner_lines(self.mirroring, self.peer_boxes)

    # -- shutting down ---------------------------------------------------------------------------------
    def close(self) -> None:
        if self.guide is not None:
            self.guide.close()
