"""Timeshift on the TV: pause live TV, skip, wind, start over, back to live — on the UI thread.

The channel on screen is written into a rolling buffer by the TV's own relay (:mod:`stb.relay.shift`);
this controller moves the on-screen player about in it. Every move is the player reopened at a moment of
the buffer (a keyframe: the buffer is indexed by them), with the screen keeping the last picture
meanwhile. A pause from live first stands the live picture still, then reopens the player paused at
that moment, so the resume that follows only lets it go (no connection, no buffering). Fast forward and
rewind step through the buffer's keyframes at a steady cadence (a new picture every ``TRICK_STEP_S``),
the way a PVR's trick play does: the buffer is local, so ×32 is as smooth as ×2.

Times are the buffer's clock, ``time.monotonic()``; the programme guide's wall-clock times are turned
into it at the moment they are asked for. The position while playing is an estimate (where the player
was sent, plus the time it has played since), good to about a GOP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from stb.lineup.model import Channel
from stb.player.engine import PlaybackState
from stb.relay.local import relayable
from stb.relay.shift import ShiftWindow

SKIP_S = 10.0
SKIP_LONG_S = 60.0
SPEEDS = (2, 4, 8, 16, 32)
TRICK_STEP_S = 0.35  # trick play opens the next keyframe this often: with the open's own time, a picture each 0.5 s
LIVE_SLACK_S = 3.0  # a position this close to the live edge is live
LIVE_DELAY_S = 0.3  # what the player on the live stream shows lags the newest bytes by about this much
#: The buffer is on this box's own disk and always MPEG-TS: libVLC need not probe what it is.
BUFFER_OPTIONS = (":demux=ts",)


class ShiftFeeds(Protocol):
    """The TV's own relay with its timeshift buffers (stb.relay.local.LocalRelay)."""

    def watch(self, channel: Channel | None) -> None: ...

    def window(self, channel_id: str) -> ShiftWindow | None: ...

    def shift_url(self, channel_id: str, at: float) -> str: ...

    def route(self, channel: Channel) -> Sequence[str]: ...


class Transport(Protocol):
    """What the controller asks of the player on screen (stb.player.recovery.Player)."""

    @property
    def channel(self) -> Channel | None: ...

    @property
    def state(self) -> PlaybackState: ...

    @property
    def paused(self) -> bool: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def play_from(self, urls: Sequence[str], paused: bool = False, options: Sequence[str] = ()) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ShiftView:
    """What the timeshift bar draws: the buffer, where the viewer is in it, how; monotonic seconds."""

    start_at: float
    live_at: float
    position: float
    paused: bool
    speed: int  # 0: normal play; ±2…±32 while winding
    live: bool
    error: str | None

    @property
    def behind_s(self) -> float:
        """How far behind live the picture is ("−12:34" on the bar)."""
        return 0.0 if self.live else max(0.0, self.live_at - self.position)


class Timeshift:
    """Where the viewer is in the buffer of the channel on screen, and the keys that move them."""

    def __init__(
        self,
        feeds: ShiftFeeds,
        player: Callable[[], Transport],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``player()``: the player on screen now (it changes at zaps)."""
        self.feeds = feeds
        self._player = player
        self._clock = clock
        self._wall = wall
        self.channel: Channel | None = None
        self.live = True
        self.speed = 0
        self._anchor = (0.0, 0.0)  # (position, when) it was last set; playing, it advances with the clock
        self._paused_at: float | None = None
        self._next_trick = 0.0
        self._error: str | None = None  # the buffer's stop, once said

    # -- following the TV --------------------------------------------------------------------------------
    def watch(self, channel: Channel | None) -> None:
        """The TV shows ``channel`` now (a zap, standby, a lock): buffer it; any shifted state is over."""
        self.channel = channel
        self.live, self.speed, self._paused_at = True, 0, None
        self.feeds.watch(channel)

    def leave(self) -> None:
        """Before a zap: a player left paused or behind live must not come back that way as a pre-tuned one."""
        player = self._player()
        if not self.live or player.paused:
            player.stop()

    # -- reading -----------------------------------------------------------------------------------------
    def window(self) -> ShiftWindow | None:
        return self.feeds.window(self.channel.id) if self.channel is not None else None

    def position(self, now: float | None = None) -> float | None:
        """Where the picture is on the buffer's clock (None: nothing buffered)."""
        now = self._clock() if now is None else now
        window = self.window()
        if window is None:
            return None
        if self._paused_at is not None:  # paused longer than the buffer keeps: its oldest moment is next
            return max(self._paused_at, window.start_at)
        if self.live:
            return max(window.start_at, now - LIVE_DELAY_S)
        at, since = self._anchor
        moved = at + (now - since) * (self.speed if self.speed else 1)
        return min(max(moved, window.start_at), window.live_at)

    def view(self, now: float | None = None) -> ShiftView | None:
        """For the bar: the buffer, the position and how it moves; None while nothing is buffered."""
        now = self._clock() if now is None else now
        window, position = self.window(), self.position(now)
        if window is None or position is None:
            return None
        live_at = max(window.live_at, now - LIVE_DELAY_S) if window.error is None else window.live_at
        return ShiftView(window.start_at, live_at, position, self._paused_at is not None, self.speed, self.live,
                         window.error)  # fmt: skip

    @property
    def shifted(self) -> bool:
        return not self.live or self._paused_at is not None

    # -- the keys ----------------------------------------------------------------------------------------
    def toggle_pause(self) -> str | None:
        """Pause, or play on from the pause. Returns why not, for a notice."""
        now = self._clock()
        if self._paused_at is not None:
            return self._resume(now)
        position = self.position(now)
        if position is None or self.channel is None:
            return self._why_not()
        player = self._player()
        player.pause()  # the picture stands still at once…
        self._paused_at, self.speed = position, 0
        if self.live:  # …then the player waits at that moment of the buffer, so playing on is instant
            player.play_from(self._urls(position), paused=True, options=BUFFER_OPTIONS)
            self.live = False
        return None

    def _resume(self, now: float) -> str | None:
        position = self.position(now)
        assert self._paused_at is not None and position is not None
        self._anchor, self._paused_at = (position, now), None
        self._player().resume()
        return None

    def skip(self, seconds: float) -> str | None:
        """Forwards or back by ``seconds``, within the buffer; forwards past the live edge is live."""
        now = self._clock()
        position, window = self.position(now), self.window()
        if position is None or window is None:
            return self._why_not()
        return self.seek(position + seconds, now)

    def seek(self, target: float, now: float | None = None) -> str | None:
        """Play from ``target`` (the buffer's clock); at or past the live edge, live."""
        now = self._clock() if now is None else now
        window = self.window()
        if window is None or self.channel is None:
            return self._why_not()
        self.speed = 0
        if target >= window.live_at - LIVE_SLACK_S and window.error is None:
            return self.go_live()
        target = max(target, window.start_at)
        self._paused_at, self.live = None, False
        self._anchor = (target, now)
        self._player().play_from(self._urls(target), options=BUFFER_OPTIONS)
        return None

    def go_live(self) -> str | None:
        """Back to the live edge."""
        if self.channel is None:
            return None
        was_shifted = self.shifted
        self.live, self.speed, self._paused_at = True, 0, None
        if was_shifted:
            self._player().play_from(list(self.feeds.route(self.channel)))
        return None

    def start_over(self, programme_start: float | None) -> str | None:
        """From the programme's start (wall-clock epoch), or the buffer's first moment if it began before."""
        window = self.window()
        if window is None or programme_start is None:
            return self._why_not() if window is None else "No programme information to start over from"
        now = self._clock()
        at = programme_start - self._wall() + now
        notice = None
        if at < window.start_at:
            at = window.start_at
            held = (now - window.start_at) / 60
            notice = f"Only the last {held:.0f} min are kept: playing from there"
        self.seek(at, now)
        return notice

    def wind(self, direction: int) -> str | None:
        """Fast forward (1) or rewind (-1); each press goes one speed faster, the other way slows down."""
        now = self._clock()
        position = self.position(now)
        if position is None:
            return self._why_not()
        same_way = self.speed != 0 and (self.speed > 0) == (direction > 0)
        speed = direction * (min(abs(self.speed) * 2, SPEEDS[-1]) if same_way else SPEEDS[0])
        if direction > 0 and self.live and self._paused_at is None:
            return "Already live"
        self._paused_at, self.live, self.speed = None, False, speed
        self._anchor = (position, now)
        self._next_trick = now  # the first step at once
        return None

    # -- every frame -------------------------------------------------------------------------------------
    def step(self, now: float) -> str | None:
        """Trick play's steps; the end of the buffer reached by winding or by playing. Returns a notice once when
        the buffer stops (the disk is full): live TV goes on, the past it holds stays."""
        window = self.window()
        error = window.error if window is not None else None
        if error != self._error:
            self._error = error
            if error is not None:
                return f"Timeshift stopped: {error}"
        if self.channel is None or self.live or window is None:
            return None
        if self.speed and now >= self._next_trick:
            self._next_trick = now + TRICK_STEP_S
            position = self.position(now)
            assert position is not None
            if self.speed > 0 and position >= window.live_at - LIVE_SLACK_S:
                self.go_live()
            elif self.speed < 0 and position <= window.start_at:
                self.speed = 0
                self.seek(window.start_at, now)
            else:
                self._anchor = (position, now)
                self._player().play_from(self._urls(position), options=BUFFER_OPTIONS)
        return None

    def _urls(self, at: float) -> list[str]:
        """The buffer from ``at``, with the live stream behind it should the buffer fail."""
        assert self.channel is not None
        return [self.feeds.shift_url(self.channel.id, at), *self.feeds.route(self.channel)]

    def _why_not(self) -> str:
        if self.channel is None:
            return "Nothing to pause"
        if not relayable(self.channel):  # the TV's relay never reads it, so nothing of it is ever buffered
            url = self.channel.urls[0] if self.channel.urls else ""
            if urlsplit(url).path.lower().endswith(".m3u8"):
                return "No pause on this channel: it comes as HLS, and the box keeps only TS streams on disk"
            return "No pause on this channel: the box keeps only streams it reads over HTTP, UDP or RTP on disk"
        window = self.feeds.window(self.channel.id)
        if window is None:
            return "Timeshift is not available for this channel yet"
        return window.error or "Timeshift is not available"
