"""The live stream: what the TV shows, spliced once and fanned out to every `/stream/live` client.

One :class:`LiveOutput` reads the TV's channel from its :class:`~stb.relay.feed.Feed` and runs the
one :class:`~stb.ts.splice.Splicer`, so a live client costs what a `/stream/channel` client costs
(the splice used to run once per client: 3.6× the cost at 50 clients). Every client, and the live
HLS rendition, reads the same output through a fan-out: a client that joins starts at the output's
latest keyframe, and all of them see one continuous clock across the TV's zaps.

At a zap the new channel's feed is opened first and the old one keeps playing until the new one
reaches its next keyframe (make before break): a player never waits on an upstream's connect, and
the new channel joins at a keyframe that comes in real time, not with its cached GOP (sent at once,
that GOP ran the output ahead of real time and VLC showed each zap later than the one before; see
:mod:`stb.ts.keyframe`). Only when nothing is being sent (the first channel, after standby) does the
output start with the cached GOP, for a picture at once. While the TV shows nothing the relay may show
(standby, the parental lock) the output sends nothing and its clients wait; the clock then moves
on by the pause, so the next pictures are not late for a player that waited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from stb.relay.feed import ChannelSource, Feed
from stb.ts.fanout import FanOut, Viewer
from stb.ts.keyframe import NextKeyframe
from stb.ts.splice import Splicer

log = logging.getLogger(__name__)

SWITCH_WAIT_S = 10.0  # the old channel goes on at most this long while the new one does not send
PAUSE_S = 0.3  # a silence longer than this moves the output's clock on by as much at the next splice


class _Input(Viewer):
    """The output's subscription to one channel's feed: wakes the output whenever something comes."""

    def __init__(self, limit_bytes: int, wake: asyncio.Event) -> None:
        super().__init__(limit_bytes)
        self.internal = True
        self._wake = wake

    def offer(self, chunk: bytes) -> bool:
        taken = super().offer(chunk)
        self._wake.set()
        return taken

    def close(self) -> None:
        super().close()
        self._wake.set()


@dataclass
class _Reading:
    source: ChannelSource
    feed: Feed
    viewer: _Input
    join: NextKeyframe | None = None  # where it joins the output, while it waits for its keyframe
    head: bytes = b""  # its data from the join point on, once found, until it is spliced in


class LiveOutput(FanOut):
    """The spliced live stream, read once and published to every live viewer."""

    def __init__(self, open_feed: Callable[[ChannelSource], Feed], input_bytes: int,
                 switch_wait_s: float = SWITCH_WAIT_S) -> None:  # fmt: skip
        """``open_feed(source)``: the relay's feed of a channel (started if need be)."""
        super().__init__("live")
        self._open_feed = open_feed
        self._input_bytes = input_bytes
        self.switch_wait_s = switch_wait_s
        self.target: ChannelSource | None = None  # what the TV shows
        self.current: _Reading | None = None  # what the output sends
        self.next: _Reading | None = None  # what it switches to once that sends
        self.splicer = Splicer()
        self._wake = asyncio.Event()
        self._switch_by = 0.0
        self._last_sent: float | None = None
        self._task: asyncio.Task | None = None

    @property
    def showing(self) -> str | None:
        """The id of the channel the output sends now (a zap shows here once it is spliced in)."""
        return self.current.source.id if self.current is not None else None

    @property
    def inputs(self) -> set[Viewer]:
        """The output's own subscriptions to feeds (not clients)."""
        return {r.viewer for r in (self.current, self.next) if r is not None}

    def start(self, target: ChannelSource | None) -> None:
        self.target = target
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name="relay-live")

    def follow(self, target: ChannelSource | None) -> None:
        self.target = target
        self._wake.set()

    async def stop(self) -> None:
        task = self._task
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        for reading in (self.current, self.next):
            if reading is not None:
                reading.feed.unsubscribe(reading.viewer)
        self.current = self.next = None
        self.close_viewers()

    # -- private ----------------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                now = loop.time()
                self._retarget(now)
                self._maybe_switch(now)
                self._pass_on(now)
        except Exception:  # a bug: the clients' streams end (their players reconnect) instead of hanging
            log.warning("relay: the live output failed", exc_info=True)
            self.close_viewers()

    def _retarget(self, now: float) -> None:
        """Follow the TV: open the new channel's feed, or stop sending while the TV shows nothing relayable."""
        target = self.target
        if self.current is not None and (self.current.viewer.closed or self.current.viewer.dropped):
            self._drop("current")  # its feed stopped (the line-up changed it), or we fell behind: read it anew
        wanted = self.next or self.current
        if target is None:
            self._drop("next")
            self._drop("current")
            return
        if wanted is not None and wanted.source == target:
            return
        if self.current is not None and self.current.source == target:
            self._drop("next")  # zapped back before the switch
            return
        self._drop("next")
        feed = self._open_feed(target)
        viewer = _Input(self._input_bytes, self._wake)
        if self.current is None:  # nothing is being sent: start with the cached GOP, for a picture at once
            feed.subscribe(self._input_bytes, viewer=viewer)
            self.next = _Reading(target, feed, viewer)
        else:  # the old channel plays on until the new one's next keyframe
            point = feed.join_point
            # a feed that has sent nothing yet starts with its upstream's cached GOP, all at once: skip it
            join = NextKeyframe(point.pat, point.pmt, skip=1 if point.pat is None else 0)
            feed.subscribe(self._input_bytes, fast_join=False, viewer=viewer)
            self.next = _Reading(target, feed, viewer, join)
        self._switch_by = now + self.switch_wait_s
        asyncio.get_running_loop().call_at(self._switch_by, self._wake.set)

    def _maybe_switch(self, now: float) -> None:
        coming = self.next
        if coming is None:
            return
        if coming.join is not None:
            while not coming.join.open and (chunk := coming.viewer.take()) is not None:
                coming.head = coming.join.offer(chunk)
        joined = coming.viewer.backlog > 0 if coming.join is None else coming.join.open
        ready = joined or coming.viewer.closed or coming.viewer.dropped
        if self.current is not None and not ready and now < self._switch_by:
            return  # the old channel goes on until the new one sends (from its next keyframe)
        if coming.join is not None and not coming.join.open:
            coming.head = coming.feed.join_point.join_data()  # no keyframe in time: its cached GOP after all
        self._drop("current")
        self.current, self.next = coming, None
        silent = now - self._last_sent if self._last_sent is not None else 0.0
        self.splicer.splice(coming.source.name, pause_s=silent if silent > PAUSE_S else 0.0)
        self.mark()
        head, coming.head, coming.join = coming.head, b"", None
        if head:
            self._send(head, now)

    def _pass_on(self, now: float) -> None:
        if self.current is None:
            return
        viewer = self.current.viewer
        while (chunk := viewer.take()) is not None:
            self._send(chunk, now)
        if viewer.closed or viewer.dropped:
            self._wake.set()  # read it anew (see _retarget)

    def _send(self, chunk: bytes, now: float) -> None:
        out = self.splicer.feed(chunk)
        if out:
            self.publish(out)
            self._last_sent = now

    def _drop(self, which: str) -> None:
        reading = getattr(self, which)
        if reading is not None:
            reading.feed.unsubscribe(reading.viewer)
            setattr(self, which, None)
