"""The TV's side of the recorder: record what is on, record from the guide, and what is being recorded now.

The recorder (:class:`stb.pvr.service.Pvr`) runs on the network side's loop; the TV never waits for it.
Each request goes through ``pvr.submit`` and its future is looked at once a frame (:meth:`TvRecordings.step`,
from the TV core's step); the answer (a notice, a refreshed view) is handled on the UI thread. A copy of the
recorder's state (:class:`PvrView`) is asked for every few seconds and after each change, for the banner's
REC mark, the guide's timer dots and the details' buttons.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from stb.errors import NotFound
from stb.guide.query import Programme
from stb.lan.remote_recordings import RemoteRecording
from stb.lineup.model import Channel
from stb.pvr.library import Meta, Part
from stb.pvr.service import PvrView, TimerConflict
from stb.pvr.timers import SeriesRule, Timer, series_key
from stb.tv.playback import EDGE_MIN_S, EDGE_S, Playback

if TYPE_CHECKING:
    from stb.box import Box
    from stb.player.ports import ZapperView

log = logging.getLogger(__name__)

T = TypeVar("T")

VIEW_EVERY_S = 5.0  # the recorder's state is asked again this often (and after every change made here)
EDGE_EVERY_S = 0.5  # a recording being written: how often its growing end is looked at (its file's tail read)…
EDGE_NEAR_EVERY_S = 0.1  # …and when playback is near it
CATCHING_UP = "Catching up with the recording…"
NO_RECORDER = "Recording needs the box's HTTP side (stb run without --no-api)"

Say = Callable[[str], None]


class PvrPort(Protocol):
    """What the TV asks of the recorder (``stb.pvr.service.Pvr`` satisfies it)."""

    loop: Any  # None until the recorder runs
    library: Any  # its Library: ``library.folder(id)`` is where a recording's parts are

    def submit(self, call: Callable[[], Coroutine[Any, Any, T]]) -> concurrent.futures.Future[T]: ...

    async def view(self) -> PvrView: ...

    async def schedule_now(self, channel: str) -> Timer: ...

    async def schedule_programme(self, channel: str, start: float, programme_id: int | None = None) -> Timer: ...

    async def schedule_series(self, channel: str, start: float, programme_id: int | None = None) -> SeriesRule: ...

    async def cancel_timer(self, timer_id: str) -> None: ...

    async def schedule_instead(self, timer: Timer, drop: str) -> Timer: ...

    async def cancel_rule(self, rule_id: str) -> None: ...

    async def delete_recording(self, recording_id: str) -> None: ...

    async def set_position(self, recording_id: str, position: float, watched: bool | None = None) -> Meta: ...


def refusal(exc: BaseException, what: str = "Cannot record") -> str:
    """Why the recorder said no, in one line for a notice (a conflict names the timers in the way)."""
    if isinstance(exc, TimerConflict | NotFound):
        return f"{what}: {exc}"
    if isinstance(exc, OSError):
        return f"{what}: {exc.strerror or exc}"
    return f"{what}: the recorder failed (see the log)"


@dataclass(frozen=True)
class Conflict:
    """A timer the recorder refused because the box cannot read that many channels at once: the household
    keeps it by dropping one of ``others`` (:meth:`TvRecordings.resolve`), or lets it go."""

    timer: Timer  # the one asked for (not scheduled)
    others: tuple[Timer, ...]  # those in the way, by begin
    max_channels: int


class TvRecordings:
    """One per TV; ``pvr`` is set when the box has a network side (None: recording is not available)."""

    def __init__(self, say: Say, box: Box, zapper: ZapperView, pvr: PvrPort | None = None) -> None:
        self.say, self.box, self.zapper, self.pvr = say, box, zapper, pvr
        self.playing: Playback | None = None  # a recording on screen
        self.view: PvrView | None = None
        self._pending: list[tuple[concurrent.futures.Future[Any], Callable[[Any], None], str]] = []
        self._view_asked: concurrent.futures.Future[PvrView] | None = None
        self._view_at: float | None = None
        self._stale = True  # something changed since the view in hand was asked for
        self._starts: dict[str, frozenset[int]] = {}  # channel → its pending timers' programme starts
        self.on_conflict: Callable[[Conflict], None] | None = None  # the window asks the household (else: a notice)
        self._edge_at = 0.0  # when a growing recording's end is looked at next
        self.held = False  # the picture holds: playback caught up with a recording being written

    @property
    def available(self) -> bool:
        return self.pvr is not None and self.pvr.loop is not None

    # -- what the screens read ---------------------------------------------------------------------------
    def recording_on(self, channel_id: str) -> Timer | None:
        """The timer recording ``channel_id`` now, if any (as of the last view)."""
        timers = self.view.timers if self.view is not None else ()
        return next((t for t in timers if t.channel == channel_id and t.state == "recording"), None)

    def timer_for(self, channel_id: str, start: int | float) -> Timer | None:
        """The pending timer of the programme on ``channel_id`` starting at ``start``."""
        timers = self.view.timers if self.view is not None else ()
        return next((t for t in timers if t.channel == channel_id and t.start == start and t.pending), None)

    def timer_starts(self, channel_id: str) -> frozenset[int]:
        """The starts of ``channel_id``'s programmes with a pending timer (the guide's red dots)."""
        return self._starts.get(channel_id, frozenset())

    def rule_for(self, channel_id: str, title: str) -> SeriesRule | None:
        rules = self.view.rules if self.view is not None else ()
        return next((r for r in rules if r.channel == channel_id and r.series == series_key(title)), None)

    # -- what the viewer asks ----------------------------------------------------------------------------
    def record_now(self, channel: Channel) -> bool:
        """Record what is on ``channel`` from now (the recorder keeps what the buffer holds of it)."""

        def done(timer: Timer) -> None:
            self.say(f"Recording {timer.title} on {channel.name}")

        return self._ask(lambda pvr: pvr.schedule_now(channel.id), done)

    def record_programme(self, p: Programme, channel: Channel) -> bool:
        def done(timer: Timer) -> None:
            self.say(f"{timer.title} will be recorded" if timer.state == "scheduled" else f"Recording {timer.title}")

        return self._ask(lambda pvr: pvr.schedule_programme(channel.id, p.start, p.id), done)

    def record_series(self, p: Programme, channel: Channel) -> bool:
        def done(rule: SeriesRule) -> None:
            clashes = [s for s in rule.skipped if ": conflicts with " in s]
            more = f" ({len(clashes)} clash with other recordings: not scheduled)" if clashes else ""
            self.say(f"Every episode of {rule.title} on {channel.name} will be recorded{more}")
            if any(s.startswith(f"{p.title} at {p.start:.0f}: conflicts") for s in clashes):
                self.record_programme(p, channel)  # this one was asked for: its conflict is the household's choice

        return self._ask(lambda pvr: pvr.schedule_series(channel.id, p.start, p.id), done)

    def resolve(self, conflict: Conflict, drop: Timer | None) -> bool:
        """The household's choice: drop ``drop`` to record ``conflict.timer``, or (None) not record it. When
        dropping one is not enough (several moments overlap) the recorder refuses again and asks again."""
        timer = conflict.timer
        if drop is None:
            self.say(f"{timer.title} will not be recorded")
            return True
        dropped = "stopped" if drop.state == "recording" else "cancelled"

        def done(made: Timer) -> None:
            doing = "Recording" if made.state == "recording" else "Will record"
            self.say(f"{doing} {made.title}; {drop.title} {dropped}")

        return self._ask(lambda pvr: pvr.schedule_instead(timer, drop.id), done)

    def cancel(self, timer: Timer) -> bool:
        """Cancel a scheduled timer, or stop one that records (what is recorded so far is kept)."""
        message = f"Recording of {timer.title} stopped" if timer.state == "recording" else (
            f"Recording of {timer.title} cancelled")  # fmt: skip
        return self._ask(lambda pvr: pvr.cancel_timer(timer.id), lambda _: self.say(message), "Cannot cancel")

    def cancel_series(self, rule: SeriesRule) -> bool:
        return self._ask(lambda pvr: pvr.cancel_rule(rule.id), lambda _: self.say(f"Series {rule.title} cancelled"),
                         "Cannot cancel")  # fmt: skip

    def delete(self, meta: Meta) -> bool:
        return self._ask(lambda pvr: pvr.delete_recording(meta.id), lambda _: self.say(f"{meta.title} deleted"),
                         "Cannot delete")  # fmt: skip

    def refresh(self) -> None:
        """Ask for a fresh view at the next frame (a screen that lists recordings opened)."""
        self._stale = True

    # -- playing a recording -----------------------------------------------------------------------------
    def play(self, meta: Meta) -> bool:
        """Put ``meta`` on screen from its resume position (the parental lock applies as to its channel)."""
        pvr = self.pvr
        if pvr is None or not meta.parts:
            self.say(f"{meta.title}: nothing recorded yet" if pvr is not None else NO_RECORDER)
            return False
        folder = Path(pvr.library.folder(meta.id))
        locked = frozenset(self.box.settings.parental.locked_channels)
        self.leave()  # another recording on screen: its position first
        self.playing = Playback.of(meta, folder, self.box.lineup.by_id(meta.channel), locked)
        self._edge_at, self.held = 0.0, False
        self.box.play_stream(self.playing.channel)
        return True

    def play_remote(self, recording: RemoteRecording, url: str, position: float,
                    save: Callable[[float, bool | None], None]) -> None:  # fmt: skip
        """Put another box's recording on screen from ``position`` (that box's resume position); where it stops
        goes back to that box through ``save``, so every screen resumes there (the multi-room DVR)."""
        meta = Meta(recording.id, recording.channel, recording.channel_name, recording.title, recording.start,
                    recording.start + recording.duration, episode=recording.episode, rating=recording.rating,
                    state="done" if recording.state == "recording" else recording.state,  # type: ignore[arg-type]
                    parts=[Part("remote", recording.start, recording.start + recording.duration, 0)],
                    position=position, watched=recording.watched)  # fmt: skip
        locked = frozenset(self.box.settings.parental.locked_channels)
        self.leave()
        self.playing = Playback.remote(meta, url, save, self.box.lineup.by_id(meta.channel), locked)
        self._edge_at, self.held = 0.0, False
        self.box.play_stream(self.playing.channel)

    def leave(self, ended: bool = False) -> None:
        """The recording leaves the screen: its resume position (and watched) is saved."""
        playing, self.playing = self.playing, None
        if playing is None:
            return
        playing.ended = ended
        position = 0.0 if ended else playing.position(self.zapper.active)
        watched = playing.watched(position) or None
        if playing.save is not None:  # another box's recording: the position goes to that box
            playing.save(position, watched)
            return
        meta_id = playing.meta.id
        self._ask(lambda pvr: pvr.set_position(meta_id, position, watched), lambda _: None, "Position not kept")

    def back_to_live(self, ended: bool = False) -> None:
        """Stop the recording and watch the channel from before it."""
        playing = self.playing
        self.leave(ended)
        if playing is not None and self.box.is_flung(playing.channel):
            self.box.zap_last()

    def channel_changed(self, channel: Channel) -> None:
        """A zap from anywhere: a recording no longer on screen is left (and its position saved)."""
        playing = self.playing
        if playing is not None and channel.id != playing.channel.id:
            self.leave()

    def transport(self, action: str) -> str | None:
        """A transport key while a recording plays."""
        playing = self.playing
        assert playing is not None
        if action == "live":
            self.back_to_live()
            return None
        if self.held and action == "play_pause":
            return CATCHING_UP  # it plays on by itself once there is more
        notice = playing.transport(action, self.zapper.active)
        if notice == "start_over_part0":
            self._play_part(playing, 0, 0.0)
            return None
        return notice

    def _play_part(self, playing: Playback, part: int, start: float) -> None:
        lineup_channel = self.box.lineup.by_id(playing.meta.channel)
        playing.part = part
        playing.channel = playing.make_channel(lineup_channel, frozenset(self.box.settings.parental.locked_channels),
                                               start)  # fmt: skip
        self.box.play_stream(playing.channel)

    def _follow_growing(self, playing: Playback, now: float) -> None:
        """A recording still being written: play on as its file grows, hold the picture when playback catches
        up with the writer (libVLC would stop at the file's end), and once it is over play it as finished."""
        if now < self._edge_at:
            return
        self._edge_at = now + EDGE_EVERY_S
        latest = next((m for m in (self.view.recordings if self.view else ()) if m.id == playing.meta.id), None)
        pvr, player = self.pvr, self.zapper.active
        if latest is not None and pvr is not None and (latest.state != "recording" or len(latest.parts) >
                                                       len(playing.files)):  # fmt: skip
            playing.refresh(latest, Path(pvr.library.folder(latest.id)))  # over, or a new part after a gap
        if not playing.on_growing_part():
            if self.held:
                self.held = False
                player.resume()
            return
        span = playing.measure()
        at = player.position() if player.channel is not None and player.channel.id == playing.channel.id else None
        if span is None or at is None:
            return
        ahead = span - at
        if ahead < EDGE_S + EDGE_EVERY_S:
            self._edge_at = now + EDGE_NEAR_EVERY_S  # near the writer: looked at more often
        if not self.held and ahead < EDGE_MIN_S and not player.paused:
            self.held = True
            player.pause()
            self.say(CATCHING_UP)
        elif self.held and ahead >= EDGE_S:
            self.held = False
            player.resume()

    def _follow_parts(self, now: float) -> None:
        """At a part's end the next part plays; after the last, live TV comes back; a recording being written
        plays on as it grows."""
        playing = self.playing
        if playing is not None and playing.growing:
            self._follow_growing(playing, now)
        if playing is None or not playing.at_part_end(self.zapper.active):
            return
        if playing.part + 1 < len(playing.files):
            self._play_part(playing, playing.part + 1, 0.0)
            return
        self.say(f"End of {playing.meta.title}")
        self.back_to_live(ended=True)

    def _ask(self, call: Callable[[PvrPort], Coroutine[Any, Any, Any]], done: Callable[[Any], None],
             failed: str = "Cannot record") -> bool:  # fmt: skip
        pvr = self.pvr
        if pvr is None or pvr.loop is None:
            self.say(NO_RECORDER)
            return False
        try:
            future = pvr.submit(lambda: call(pvr))
        except RuntimeError:  # the recorder stopped between the look and the call
            self.say(NO_RECORDER)
            return False
        self._pending.append((future, done, failed))
        return True

    # -- the frame ---------------------------------------------------------------------------------------
    def step(self, now: float) -> None:
        """On the UI thread, once a frame: answers that arrived, a recording's next part, a fresh view."""
        self._follow_parts(now)
        changed = False
        for future, done, failed in [item for item in self._pending if item[0].done()]:
            self._pending.remove((future, done, failed))
            changed = True
            exc = future.exception() if not future.cancelled() else None
            if future.cancelled():
                continue
            if exc is not None:
                if not isinstance(exc, TimerConflict | NotFound | OSError):
                    log.warning("the recorder refused a request", exc_info=exc)
                if isinstance(exc, TimerConflict) and exc.max_channels is not None and self.on_conflict is not None:
                    others = tuple(sorted(exc.timers, key=lambda t: t.begin))
                    self.on_conflict(Conflict(exc.timer, others, exc.max_channels))
                else:
                    self.say(refusal(exc, failed))
            else:
                done(future.result())
        asked = self._view_asked
        if asked is not None and asked.done():
            self._view_asked = None
            if not asked.cancelled() and asked.exception() is None:
                self.view = asked.result()
                starts: dict[str, set[int]] = {}
                for t in self.view.timers:
                    if t.pending:
                        starts.setdefault(t.channel, set()).add(int(t.start))
                self._starts = {channel: frozenset(found) for channel, found in starts.items()}
        self._stale = self._stale or changed or self._view_at is None or now - self._view_at >= VIEW_EVERY_S
        if self._stale and self._view_asked is None and self.available:
            pvr = self.pvr
            assert pvr is not None
            try:
                self._view_asked = pvr.submit(pvr.view)
            except RuntimeError:
                return
            self._view_at, self._stale = now, False

    @property
    def busy(self) -> bool:
        """Answers or a view are awaited (tests step until it is False)."""
        return bool(self._pending) or self._view_asked is not None or (self._stale and self.available)
