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
from typing import Any, Protocol, TypeVar

from stb.errors import NotFound
from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.pvr.service import PvrView, TimerConflict
from stb.pvr.timers import SeriesRule, Timer, series_key

log = logging.getLogger(__name__)

T = TypeVar("T")

VIEW_EVERY_S = 5.0  # the recorder's state is asked again this often (and after every change made here)
NO_RECORDER = "Recording needs the box's network side (stb run without --no-network)"

Say = Callable[[str], None]


class PvrPort(Protocol):
    """What the TV asks of the recorder (``stb.pvr.service.Pvr`` satisfies it)."""

    loop: Any  # None until the recorder runs

    def submit(self, call: Callable[[], Coroutine[Any, Any, T]]) -> concurrent.futures.Future[T]: ...

    async def view(self) -> PvrView: ...

    async def schedule_now(self, channel: str) -> Timer: ...

    async def schedule_programme(self, channel: str, start: float, programme_id: int | None = None) -> Timer: ...

    async def schedule_series(self, channel: str, start: float, programme_id: int | None = None) -> SeriesRule: ...

    async def cancel_timer(self, timer_id: str) -> None: ...

    async def cancel_rule(self, rule_id: str) -> None: ...


def refusal(exc: BaseException) -> str:
    """Why the recorder said no, in one line for a notice (a conflict names the timers in the way)."""
    if isinstance(exc, TimerConflict | NotFound):
        return f"Cannot record: {exc}"
    if isinstance(exc, OSError):
        return f"Cannot record: {exc.strerror or exc}"
    return "Cannot record: the recorder failed (see the log)"


class TvRecordings:
    """One per TV; ``pvr`` is set when the box has a network side (None: recording is not available)."""

    def __init__(self, say: Say, pvr: PvrPort | None = None) -> None:
        self.say, self.pvr = say, pvr
        self.view: PvrView | None = None
        self._pending: list[tuple[concurrent.futures.Future[Any], Callable[[Any], None]]] = []
        self._view_asked: concurrent.futures.Future[PvrView] | None = None
        self._view_at: float | None = None
        self._stale = True  # something changed since the view in hand was asked for
        self._starts: dict[str, frozenset[int]] = {}  # channel → its pending timers' programme starts

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
            self.say(f"Every episode of {rule.title} on {channel.name} will be recorded")

        return self._ask(lambda pvr: pvr.schedule_series(channel.id, p.start, p.id), done)

    def cancel(self, timer: Timer) -> bool:
        """Cancel a scheduled timer, or stop one that records (what is recorded so far is kept)."""
        message = f"Recording of {timer.title} stopped" if timer.state == "recording" else (
            f"Recording of {timer.title} cancelled")  # fmt: skip
        return self._ask(lambda pvr: pvr.cancel_timer(timer.id), lambda _: self.say(message))

    def cancel_series(self, rule: SeriesRule) -> bool:
        return self._ask(lambda pvr: pvr.cancel_rule(rule.id), lambda _: self.say(f"Series {rule.title} cancelled"))

    def _ask(self, call: Callable[[PvrPort], Coroutine[Any, Any, Any]], done: Callable[[Any], None]) -> bool:
        pvr = self.pvr
        if pvr is None or pvr.loop is None:
            self.say(NO_RECORDER)
            return False
        try:
            future = pvr.submit(lambda: call(pvr))
        except RuntimeError:  # the recorder stopped between the look and the call
            self.say(NO_RECORDER)
            return False
        self._pending.append((future, done))
        return True

    # -- the frame ---------------------------------------------------------------------------------------
    def step(self, now: float) -> None:
        """On the UI thread, once a frame: answers that arrived, and a fresh view every few seconds."""
        changed = False
        for future, done in [item for item in self._pending if item[0].done()]:
            self._pending.remove((future, done))
            changed = True
            exc = future.exception() if not future.cancelled() else None
            if future.cancelled():
                continue
            if exc is not None:
                if not isinstance(exc, TimerConflict | NotFound | OSError):
                    log.warning("the recorder refused a request", exc_info=exc)
                self.say(refusal(exc))
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
