"""Fast zapping: the channel on screen plus the likely next ones pre-tuned in muted players.

A zap to a pre-tuned channel only changes which player is on screen and which one is heard:
no connection, no buffering, no waiting for a keyframe. Any other zap retunes a spare player
while the screen keeps the last picture. After each zap, once the new channel shows, the spare
players are re-aimed at the new likely next channels, one libVLC call per frame so that no
frame of the UI waits for more than one of them.

Everything here runs on the UI thread; libVLC's threads only post to the engine's queue. The players
come from a :class:`~stb.player.ports.PlayerSource` (the libVLC engine, or a fake in the tests) and the
clocks are injectable, so the zap strategy is tested in milliseconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stb.lineup.model import Channel
from stb.player.playback import PlaybackState
from stb.player.ports import PlayerSource
from stb.player.recovery import Player

log = logging.getLogger(__name__)

REAIM_AFTER_S = 1.0  # re-aim even if the new channel has shown no picture by then
CPU_WINDOW_S = 5.0  # how often the CPU budget is checked
CPU_CALM_S = 30.0  # under half the budget this long: one more pre-tuned channel is allowed again


@dataclass(frozen=True)
class PlaybackChanged:
    """The on-screen channel's playback state changed (for the UI and, later, the API's events)."""

    channel: Channel
    state: PlaybackState
    error: str | None


class Zapper:
    """Owns 1 + ``pretune`` players; ``active`` is the one on screen and heard."""

    def __init__(
        self,
        engine: PlayerSource,
        pretune: int,
        likely_next: Callable[[Channel], list[Channel]],
        cpu_budget: float = 1.0,
        cpu_clock: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``cpu_budget``: the whole process's CPU, in cores, above which pre-tuned channels are shed
        one at a time (least likely first); they come back when the load stays under half of it.
        ``clock`` stamps zaps; it must be the clock of the ``now`` given to :meth:`step`."""
        if pretune < 0:
            raise ValueError("pretune must be 0 or more")
        self.engine = engine
        self.pretune = pretune
        self.allowed = pretune  # pre-tuned channels the CPU budget allows right now
        self.pretuning = True  # the viewer's setting
        self.cpu_budget = cpu_budget
        self._cpu_clock = cpu_clock
        self._clock = clock
        self._cpu_mark: tuple[float, float] | None = None  # (wall, cpu) at the start of the window
        self._calm_since: float | None = None
        self.likely_next = likely_next
        self.players = [engine.create_player(f"player-{i}") for i in range(1 + pretune)]
        self._by_name = {p.name: p for p in self.players}
        self.active = self.players[0]
        self.volume, self.muted = 100, False
        self._reaim_from: float | None = None  # when the last zap happened, until re-aimed
        self._last_active_state = PlaybackState.IDLE

    def set_routes(self, routes: Callable[[Channel], Sequence[str]]) -> None:
        """Where every player reads a channel from (the TV's keyframe cache first, when the box has one)."""
        for player in self.players:
            player.routes = routes

    # -- queries -------------------------------------------------------------------------------------
    @property
    def pretuned(self) -> dict[str, PlaybackState]:
        """Channel id → state of every spare player that holds a channel."""
        return {p.channel.id: p.state for p in self.players if p is not self.active and p.channel is not None}

    def holder(self, channel: Channel) -> Player | None:
        return next((p for p in self.players if p.channel is not None and p.channel.id == channel.id), None)

    # -- actions -------------------------------------------------------------------------------------
    def zap(self, channel: Channel) -> bool:
        """Put ``channel`` on screen; returns True when it came from a pre-tuned player (instant)."""
        held = self.holder(channel)
        instant = held is not None and held.state is PlaybackState.PLAYING
        previous = self.active
        if held is None or held.state is PlaybackState.IDLE:
            held = self._spare_for(channel)
            held.tune(channel, audible=True)
        elif held.state is PlaybackState.FAILED:  # the viewer asks now: do not wait out its back-off
            held.tune(channel, audible=True)
        else:
            held.set_audible(True)
        if previous is not held and previous.channel is not None:
            previous.set_audible(False)
        self.active = held
        self._apply_audio()
        self._reaim_from = self._clock()
        return instant

    def set_pretuning(self, on: bool) -> None:
        """Pre-tuning on or off (the Settings screen); off stops the spare players, one per frame."""
        self.pretuning = on
        self._reaim_from = self._clock()

    def stop_all(self) -> None:
        """Standby: every player stops, pre-tuned ones too, so no stream is held open upstream and nothing
        is heard. Nothing is re-aimed until the next ``zap`` (``_wanted`` is empty without a channel)."""
        for player in self.players:
            if player.channel is not None or player.state is not PlaybackState.IDLE:
                player.stop()
        self._reaim_from = None
        self._last_active_state = PlaybackState.IDLE

    def set_audio(self, volume: int, muted: bool) -> None:
        self.volume, self.muted = volume, muted
        self._apply_audio()

    def step(self, now: float) -> list[PlaybackChanged]:
        """Once per UI frame: deliver libVLC's messages, run time-outs, re-aim one spare player."""
        messages = self.engine.messages
        while not messages.empty():
            message = messages.get_nowait()
            player = self._by_name.get(message.player)
            if player is not None:
                player.handle(message)
        for player in self.players:
            player.poll(now)
        self._check_cpu(now)
        if self._reaim_from is not None and (
            self.active.state is PlaybackState.PLAYING or now - self._reaim_from > REAIM_AFTER_S
        ):
            self._reaim_one()
        events = []
        active = self.active
        if active.channel is not None and active.state is not self._last_active_state:
            events.append(PlaybackChanged(active.channel, active.state, active.error))
        self._last_active_state = active.state
        return events

    def release(self) -> None:
        for player in self.players:
            player.release()

    # -- internals -----------------------------------------------------------------------------------
    def _check_cpu(self, now: float) -> None:
        """Shed a pre-tuned channel when the process runs over budget; allow it back when calm."""
        cpu = self._cpu_clock()
        if self._cpu_mark is None:
            self._cpu_mark = (now, cpu)
            return
        wall0, cpu0 = self._cpu_mark
        if now - wall0 < CPU_WINDOW_S:
            return
        self._cpu_mark = (now, cpu)
        cores = (cpu - cpu0) / (now - wall0)
        if cores > self.cpu_budget and self.allowed > 0:
            self.allowed -= 1
            self._calm_since = None
            self._reaim_from = now
            log.warning("CPU at %.0f%% of a core: pre-tuning %d channels now", cores * 100, self.allowed)
        elif cores < self.cpu_budget / 2 and self.allowed < self.pretune:
            self._calm_since = self._calm_since or now
            if now - self._calm_since >= CPU_CALM_S:
                self.allowed += 1
                self._calm_since = None
                self._reaim_from = now
        else:
            self._calm_since = None

    def _wanted(self) -> list[Channel]:
        if self.allowed == 0 or not self.pretuning or self.active.channel is None:
            return []
        return self.likely_next(self.active.channel)[: self.allowed]

    def _spare_for(self, channel: Channel) -> Player:
        """The player to tune ``channel`` on: the one holding what is least likely needed next."""
        if self.pretune == 0:
            return self.active
        wanted = {c.id for c in self.likely_next(channel)[: self.allowed]}
        spares = [p for p in self.players if p is not self.active]
        # Keep spares holding a channel likely after this one (the current channel becomes "last").
        free = [p for p in spares if p.channel is None or p.channel.id not in wanted]
        pool = free or spares
        return min(pool, key=lambda p: (p.channel is not None, p.state is PlaybackState.PLAYING, p.tuned_at))

    def _reaim_one(self) -> None:
        """One step of re-aiming: tune a spare at a wanted channel nobody holds, else stop a spare
        holding an unwanted one (it would only cost CPU); done when neither is left."""
        wanted = self._wanted()
        wanted_ids = {c.id for c in wanted}
        held = {p.channel.id for p in self.players if p.channel is not None}
        missing = [c for c in wanted if c.id not in held]
        spares = [p for p in self.players if p is not self.active]
        idle = [p for p in spares if p.channel is None or p.channel.id not in wanted_ids]
        if missing and idle:
            player = min(idle, key=lambda p: (p.channel is not None, p.tuned_at))
            player.tune(missing[0], audible=False)
            player.set_audio(0, True)
            return
        unwanted = [p for p in idle if p.channel is not None]
        if unwanted:
            unwanted[0].stop()
            return
        self._reaim_from = None

    def _apply_audio(self) -> None:
        for player in self.players:
            if player is self.active:
                player.set_audio(self.volume, self.muted)
            else:
                player.set_audio(0, True)
