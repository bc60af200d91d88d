"""The recorder's facade, :class:`Pvr`: timers, series rules, recordings, for the API and the TV.

It runs on the network side's event loop (where the relay is). Timers are kept in UTC epoch seconds and
the wall clock is looked at every ``TICK_S`` (and at each timer's exact time), so a clock that jumps fires
what is now due and skips what it jumped over (a DST change moves nothing). Another thread (the TV's)
calls it through :meth:`Pvr.submit`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from stb.errors import NotFound
from stb.guide.query import Programme
from stb.pvr.conflicts import conflicts
from stb.pvr.library import Library, Meta, Part
from stb.pvr.media import Indexes
from stb.pvr.ports import ChannelReader, Clock, EventSink, GuideAsk, ProgrammeGuide, SystemClock, TimeshiftHold
from stb.pvr.recorder import Recorder
from stb.pvr.timers import SeriesRule, Timer, TimerFiles, episode_key, new_id, series_key

log = logging.getLogger(__name__)

T = TypeVar("T")

TICK_S = 2.0  # the wall clock is looked at at least this often
SERIES_DAYS = 8  # how far ahead a series rule looks in the guide
SERIES_EVERY_S = 3600.0
FOLLOW_S = 3 * 3600  # a timer's programme found this far from where it was is still the same one
NOW_WITHOUT_GUIDE_S = 3600  # "record now" with no programme in the guide: this long


class TimerConflict(Exception):
    """The box cannot read that many channels at once; ``timers`` are those in the way."""

    def __init__(self, timer: Timer, timers: list[Timer], max_channels: int | None) -> None:
        names = ", ".join(f"{t.title} ({t.channel})" for t in timers)
        if max_channels is None:
            super().__init__(f"{timer.title} on {timer.channel} is already being recorded or scheduled")
        else:
            super().__init__(f"the box records at most {max_channels} channels at once; this overlaps {names}")
        self.timer, self.timers, self.max_channels = timer, timers, max_channels


@dataclass(frozen=True)
class Padding:
    before_s: int = 120
    after_s: int = 300


@dataclass(frozen=True)
class PvrView:
    """Copies of the recorder's state at one moment, safe to keep on another thread (the TV's screens)."""

    timers: tuple[Timer, ...]  # by begin
    rules: tuple[SeriesRule, ...]
    recordings: tuple[Meta, ...]  # newest first
    series: tuple[tuple[str, tuple[str, ...]], ...]  # (series, recording ids newest first)
    free_bytes: int
    problems: tuple[str, ...]


class Pvr:
    def __init__(
        self,
        *,
        state_dir: Path,
        recordings_dir: Path,
        reader: ChannelReader,
        guide: GuideAsk,
        channel_name: Callable[[str], str | None],
        max_channels: Callable[[], int] = lambda: 4,
        padding: Callable[[], Padding] = Padding,
        events: EventSink = lambda kind, data: None,
        clock: Clock | None = None,
        timeshift: TimeshiftHold | None = None,
    ) -> None:
        self.files = TimerFiles(state_dir / "timers")
        self.library = Library(recordings_dir)
        self.media = Indexes()  # HLS cuts of the recordings other screens watch
        self.reader, self.ask, self.channel_name = reader, guide, channel_name
        self.max_channels, self.padding, self.events = max_channels, padding, events
        self.clock: Clock = clock or SystemClock()
        self.timeshift = timeshift  # the TV's buffer, for "record now" (None: from the moment it is asked)
        self.timers: dict[str, Timer] = {}
        self.rules: dict[str, SeriesRule] = {}
        self.recorders: dict[str, Recorder] = {}  # by timer id
        self.problems: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._expanded_at: float | None = None
        self._copies: set[asyncio.Task] = set()
        self._checking: asyncio.Lock | None = None  # one check at a time: the ticker's and a new timer's

    # -- life ----------------------------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load timers and rebuild the library from disk, then run: what is due now starts (or resumes) at once."""
        self.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        timers, rules = await asyncio.to_thread(self.files.load)
        await asyncio.to_thread(self.library.rebuild)
        self.timers = {t.id: t for t in timers}
        self.rules = {r.id: r for r in rules}
        self.problems = self.files.problems + self.library.problems
        for problem in self.problems:
            self.events("recording_problem", {"problem": problem})
        await self.check()
        self._ticker = asyncio.create_task(self._tick(), name="pvr-timers")

    async def async_close(self) -> None:
        """The box stops: recordings end as interrupted (they resume as a new part when the box is back)."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await asyncio.gather(*(r.stop("interrupted") for r in self.recorders.values()))
        self.recorders.clear()

    def submit(self, call: Callable[[], Coroutine[Any, Any, T]]) -> concurrent.futures.Future[T]:
        """From another thread (the TV's): run ``call()`` on the recorder's loop; the future has its answer."""
        if self.loop is None:
            raise RuntimeError("the recorder is not running")
        return asyncio.run_coroutine_threadsafe(call(), self.loop)

    async def view(self) -> PvrView:
        """For the TV: ``pvr.submit(pvr.view)`` from its thread, then draw the copy."""
        free = await asyncio.to_thread(self.free_bytes)
        return PvrView(
            timers=tuple(copy.deepcopy(sorted(self.timers.values(), key=lambda t: t.begin))),
            rules=tuple(copy.deepcopy(list(self.rules.values()))),
            recordings=tuple(copy.deepcopy(self.recordings())),
            series=tuple((key, tuple(m.id for m in metas)) for key, metas in self.series().items()),
            free_bytes=free,
            problems=tuple(self.problems),
        )

    async def _tick(self) -> None:
        while True:
            now = self.clock.time()
            if self._expanded_at is None or not 0 <= now - self._expanded_at < SERIES_EVERY_S:
                try:
                    await self._expand_all()  # hourly, and at once after the clock jumped back
                except Exception:
                    log.warning("series rules: a look at the guide failed", exc_info=True)
                    self._expanded_at = now
            due = [t.begin for t in self.timers.values() if t.state == "scheduled" and t.begin > now]
            wait = max(0.0, min(TICK_S, min(due, default=now + TICK_S) - now))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait + 1.0):  # the clock's sleep, or a wake-up (a new timer)
                    sleeping = asyncio.ensure_future(self.clock.sleep(wait))
                    waking = asyncio.ensure_future(self._wake.wait())
                    try:
                        await asyncio.wait({sleeping, waking}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        sleeping.cancel()
                        waking.cancel()
            try:
                await self.check()
            except Exception:  # a state file that cannot be written, a bug: the next look tries again
                log.warning("recording timers: a check failed", exc_info=True)

    async def check(self) -> None:
        """Start what is due, end what is over, skip what the clock jumped past; by the wall clock now."""
        if self._checking is None:
            self._checking = asyncio.Lock()
        async with self._checking:
            await self._check()

    async def _check(self) -> None:
        now = self.clock.time()
        for timer in list(self.timers.values()):
            recorder = self.recorders.get(timer.id)
            if timer.state == "scheduled" and timer.end <= now:
                self._finish(timer, "missed", "the box was off or its clock jumped past the programme")
            elif timer.state == "scheduled" and timer.begin <= now:
                await self._start(timer, now)
            elif timer.state == "recording" and recorder is None and timer.end > now:
                await self._start(timer, now)  # the box was stopped while it recorded: a new part
            elif timer.state == "recording" and recorder is None:
                self._finish(timer, "done")
            elif recorder is not None and timer.end <= now and not recorder.done:
                await recorder.stop("done")
            if recorder is not None and recorder.done:
                del self.recorders[timer.id]
                state = recorder.meta.state
                self._finish(timer, "failed" if state == "failed" else "done", recorder.meta.reason)

    # -- timers --------------------------------------------------------------------------------------------

    async def schedule_programme(self, channel: str, start: float, programme_id: int | None = None) -> Timer:
        """Record the guide's programme on ``channel`` starting at ``start`` (the id, when given, must match)."""
        p = await self._programme_at(channel, start, programme_id)
        if p.stop <= self.clock.time():
            raise NotFound(f"{p.title} is over")
        pad = self.padding()
        return await self._add(Timer.for_programme(p, pad.before_s, pad.after_s))

    async def schedule_now(self, channel: str) -> Timer:
        """Record what is on ``channel`` now, to its end (from its start when the TV's buffer holds it)."""
        if not self.channel_name(channel):
            raise NotFound(f"no channel with id {channel[:64]!r}")
        now = self.clock.time()
        pairs = await self.ask(lambda g: g.now_next(now, [channel]), {})
        current = pairs.get(channel, (None, None))[0]
        if current is not None:
            timer = Timer.for_programme(current, 0, self.padding().after_s, "now")
        else:
            timer = Timer(new_id(), channel, self.channel_name(channel) or channel, now, now + NOW_WITHOUT_GUIDE_S,
                          kind="now", created=now)  # fmt: skip
        timer.pad_before = max(0, int(timer.start - now))  # it starts now, whatever the programme's start
        return await self._add(timer)

    async def schedule_manual(self, channel: str, start: float, stop: float, title: str | None = None) -> Timer:
        """Record ``channel`` from ``start`` to ``stop`` (UTC epoch), whatever the guide says (no padding)."""
        name = self.channel_name(channel)
        if not name:
            raise NotFound(f"no channel with id {channel[:64]!r}")
        if stop <= max(start, self.clock.time()):
            raise NotFound("that time is over")
        return await self._add(Timer(new_id(), channel, title or name, start, stop, kind="programme",
                                     created=self.clock.time()))  # fmt: skip

    async def schedule_series(self, channel: str, start: float, programme_id: int | None = None) -> SeriesRule:
        """Record every episode of this programme's series on its channel, skipping those already recorded."""
        p = await self._programme_at(channel, start, programme_id)
        pad = self.padding()
        rule = SeriesRule(new_id(), channel, p.title, series_key(p.title), pad.before_s, pad.after_s,
                          created=self.clock.time())  # fmt: skip
        await asyncio.to_thread(self.files.save_rule, rule)
        self.rules[rule.id] = rule
        await self._expand(rule)
        return rule

    async def cancel_timer(self, timer_id: str) -> None:
        # Gone from the timers before anything is awaited: the ticker must not see it "recording" without its
        # recorder meanwhile and start another that nothing would ever stop.
        timer = self.timers.pop(timer_id, None)
        if timer is None:
            raise NotFound(f"no timer {timer_id[:40]!r}")
        recorder = self.recorders.pop(timer_id, None)
        if recorder is not None:
            await recorder.stop("partial", "stopped before its end")
        if timer.rule and timer.rule in self.rules:  # a series episode dropped: not made again at the next look
            self.rules[timer.rule].skipped.append(f"{timer.title} at {timer.start:.0f}: cancelled")
            await asyncio.to_thread(self.files.save_rule, self.rules[timer.rule])
        await asyncio.to_thread(self.files.remove_timer, timer_id)

    async def schedule_instead(self, timer: Timer, drop: str) -> Timer:
        """The household's answer to a conflict: ``drop`` goes (a recording under way stops and is kept) and
        ``timer``, refused for that conflict, is added; TimerConflict again when dropping one was not enough."""
        await self.cancel_timer(drop)
        if timer.kind == "now":  # from the moment of the answer, not of the question
            return await self.schedule_now(timer.channel)
        return await self._add(copy.deepcopy(timer))  # the asker's copy stays its own

    async def cancel_rule(self, rule_id: str) -> None:
        if self.rules.pop(rule_id, None) is None:
            raise NotFound(f"no series rule {rule_id[:40]!r}")
        await asyncio.to_thread(self.files.remove_rule, rule_id)
        for timer in [t for t in self.timers.values() if t.rule == rule_id and t.state == "scheduled"]:
            await self.cancel_timer(timer.id)

    async def guide_changed(self) -> None:
        """After a guide refresh: a moved programme moves its timer; series rules look for new episodes."""
        for timer in [t for t in self.timers.values() if t.state == "scheduled" and t.kind != "now"]:
            found = await self.ask(_around(timer.channel, timer.start), [])
            same = [p for p in found if _same_programme(timer, p)]
            if same and timer.follow(min(same, key=lambda p: abs(p.start - timer.start))):
                log.info("timer %s follows %s to %s", timer.id, timer.title, timer.start)
                clash = conflicts(timer, self.timers.values(), self.max_channels())
                timer.reason = (f"the guide moved it: it now overlaps {', '.join(t.title for t in clash)}; "
                                "drop one") if clash else None  # fmt: skip
                await asyncio.to_thread(self.files.save_timer, timer)
        await self._expand_all()
        self._wake.set()

    async def _programme_at(self, channel: str, start: float, programme_id: int | None) -> Programme:
        found = await self.ask(lambda g: g.window([channel], start, start + 1).get(channel, []), [])
        for p in found:
            if p.start == int(start) and (programme_id is None or p.id == programme_id):
                return p
        raise NotFound(f"no programme on {channel[:64]!r} starting at {start:.0f} in the guide")

    async def _add(self, timer: Timer) -> Timer:
        if any(t.channel == timer.channel and t.start == timer.start and t.pending for t in self.timers.values()):
            raise TimerConflict(timer, [t for t in self.timers.values()
                                        if t.channel == timer.channel and t.start == timer.start], None)  # fmt: skip
        limit = self.max_channels()
        clash = conflicts(timer, self.timers.values(), limit)
        if clash:
            raise TimerConflict(timer, clash, limit)
        await asyncio.to_thread(self.files.save_timer, timer)
        self.timers[timer.id] = timer
        await self.check()
        self._wake.set()
        return timer

    async def _expand_all(self) -> None:
        self._expanded_at = self.clock.time()
        for rule in list(self.rules.values()):
            await self._expand(rule)

    async def _expand(self, rule: SeriesRule) -> None:
        """Timers for the rule's coming episodes (one under way is not joined halfway), skipping those recorded."""
        now = self.clock.time()
        found: list[Programme] = await self.ask(
            lambda g: g.window([rule.channel], now, now + SERIES_DAYS * 86400).get(rule.channel, []), []
        )
        have = self.library.recorded_episodes(rule.series) | {
            t.episode_key for t in self.timers.values() if t.episode_key and series_key(t.title) == rule.series
        }
        taken = {(t.channel, t.start) for t in self.timers.values()}
        for p in found:
            key = episode_key(p)
            if not rule.matches(p) or p.start < now or (key and key in have) or (p.channel, p.start) in taken:
                continue
            if any(s.startswith(f"{p.title} at {p.start:.0f}:") for s in rule.skipped):
                continue
            timer = Timer.for_programme(p, rule.pad_before, rule.pad_after, "series", rule.id)
            clash = conflicts(timer, self.timers.values(), self.max_channels())
            if clash:
                rule.skipped.append(f"{p.title} at {p.start:.0f}: conflicts with {', '.join(t.title for t in clash)}")
                await asyncio.to_thread(self.files.save_rule, rule)
                continue
            await asyncio.to_thread(self.files.save_timer, timer)
            self.timers[timer.id] = timer
            taken.add((p.channel, p.start))
            if key:
                have.add(key)
        await self.check()

    # -- recording -----------------------------------------------------------------------------------------

    async def _start(self, timer: Timer, now: float) -> None:
        if timer.id in self.recorders:
            return
        name = self.channel_name(timer.channel) or timer.channel
        meta = self.library.recordings.get(timer.recording) if timer.recording else None
        try:
            if meta is None:
                meta = Meta.for_timer(timer, new_id(), name)
                await asyncio.to_thread(self.library.create, meta)
            else:
                meta.state = "recording"
                await asyncio.to_thread(self.library.save, meta)
        except OSError as exc:
            self._finish(timer, "failed", f"cannot write the recording: {exc.strerror}")
            return
        timer.state, timer.recording = "recording", meta.id
        await asyncio.to_thread(self.files.save_timer, timer)
        if timer.kind == "now" and self.timeshift is not None and not meta.parts:
            self._copy_buffer(timer, meta)
        recorder = Recorder(self.library, meta, self.reader, self.clock, lambda: timer.end, self.events,
                            max(timer.begin, timer.created if timer.kind == "now" else timer.begin))  # fmt: skip
        self.recorders[timer.id] = recorder
        recorder.start()
        self.events("recording_started", {"id": meta.id, "timer": timer.id, "channel": timer.channel,
                                          "title": timer.title, "state": "recording", "reason": None})  # fmt: skip

    def _copy_buffer(self, timer: Timer, meta: Meta) -> None:
        """What the TV's buffer holds of the programme becomes the recording's first part, beside the live one."""
        hold = self.timeshift
        assert hold is not None
        part = Part(self.library.next_part(meta).name, timer.start, timer.start, source="timeshift")
        meta.parts.append(part)
        path = self.library.folder(meta.id) / part.file

        async def copy() -> None:
            try:
                began = await asyncio.to_thread(hold.copy_since, timer.channel, timer.start, path)
            except OSError as exc:
                began = None
                log.warning("recording %s: the timeshift buffer was not copied: %s", meta.id, exc)
            if began is None or not path.exists():
                meta.parts.remove(part)
                path.unlink(missing_ok=True)
            else:
                part.start, part.end, part.bytes = began, meta.parts[1].start if len(meta.parts) > 1 else began, (
                    path.stat().st_size)  # fmt: skip
            with contextlib.suppress(OSError):
                self.library.save(meta)

        task = asyncio.create_task(copy())
        self._copies.add(task)
        task.add_done_callback(self._copies.discard)

    def _finish(self, timer: Timer, state: str, reason: str | None = None) -> None:
        """A timer's work is over: its recording (if any) stays in the library, the timer file goes."""
        timer.state, timer.reason = state, reason  # type: ignore[assignment]
        self.timers.pop(timer.id, None)
        self.files.remove_timer(timer.id)
        if state == "missed" or (state == "failed" and timer.id not in self.recorders and not timer.recording):
            self.events("recording_failed", {"id": None, "timer": timer.id, "channel": timer.channel,
                                             "title": timer.title, "state": state, "reason": reason})  # fmt: skip

    # -- the library ---------------------------------------------------------------------------------------

    def recordings(self) -> list[Meta]:
        return sorted(self.library.recordings.values(), key=lambda m: m.start, reverse=True)

    def recording(self, recording_id: str) -> Meta:
        meta = self.library.recordings.get(recording_id)
        if meta is None:
            raise NotFound(f"no recording {recording_id[:40]!r}")
        return meta

    async def delete_recording(self, recording_id: str) -> None:
        meta = self.recording(recording_id)
        for timer_id, recorder in list(self.recorders.items()):
            if recorder.meta.id == meta.id:
                await self.cancel_timer(timer_id)
        await asyncio.to_thread(self.library.delete, meta.id)
        self.media.forget(meta.id)

    async def set_position(self, recording_id: str, position: float, watched: bool | None = None) -> Meta:
        self.recording(recording_id)
        return await asyncio.to_thread(self.library.set_position, recording_id, position, watched)

    def series(self) -> dict[str, list[Meta]]:
        """Recordings grouped by series (their title), newest first in each."""
        groups: dict[str, list[Meta]] = {}
        for meta in self.recordings():
            groups.setdefault(meta.series or series_key(meta.title), []).append(meta)
        return groups

    def free_bytes(self) -> int:
        return self.library.free_bytes()


def _around(channel: str, start: float) -> Callable[[ProgrammeGuide], list[Programme]]:
    def query(guide: ProgrammeGuide) -> list[Programme]:
        return guide.window([channel], start - FOLLOW_S, start + FOLLOW_S).get(channel, [])

    return query


def _same_programme(timer: Timer, p: Programme) -> bool:
    if series_key(p.title) != series_key(timer.title):
        return False
    return timer.episode_key is None or episode_key(p) == timer.episode_key


def make_guide_ask(open_guide: Callable[[], ProgrammeGuide | None]) -> GuideAsk:
    """A GuideAsk for tests and tools: the query runs on a worker thread with ``open_guide()``'s guide."""

    async def ask(query: Callable[[ProgrammeGuide], Any], default: Any) -> Any:
        def run() -> Any:
            guide = open_guide()
            return default if guide is None else query(guide)

        return await asyncio.to_thread(run)

    return ask
