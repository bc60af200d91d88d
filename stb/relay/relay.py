"""The box's stream relay: any channel to other screens, and the live stream that follows the TV.

Runs on the network side's asyncio loop. Each upstream channel has one :class:`Feed`, however many
clients watch it. ``/stream/live`` clients share one :class:`LiveOutput`: the TV's channel spliced
once, so at each zap the content changes inside the same connection, on one continuous clock. A feed
nobody watches lingers a few seconds (zapping back, a reconnecting player) and then stops; at most
``max_upstreams`` feeds run for clients, and the TV's own channel is always relayed on top of that
(for the live stream and for ``/stream/channel/<the TV's channel>`` alike), so a mirror or a take
never fails for want of room.

HLS renditions (:mod:`stb.relay.hls`) are clients of this relay like any other: one reads a
channel's stream or the live one, and serves every browser and phone that asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from stb.relay.errors import ChannelLocked, NothingLive, RelayBusy, UpstreamDown
from stb.relay.feed import ChannelSource, Feed
from stb.relay.hls import HlsRenditions
from stb.relay.live import LiveOutput
from stb.ts.fanout import Viewer

log = logging.getLogger(__name__)

DEFAULT_MAX_UPSTREAMS = 4
CLIENT_BACKLOG_BYTES = 2 * 1024 * 1024  # 2 s of an 8 Mbit/s channel (18 s of a demo one); then it is dropped
LINGER_S = 10.0
FIRST_DATA_TIMEOUT_S = 10.0
GIVE_UP_S = 30.0  # a channel's clients are told the end after this long without data (their player may reconnect)


@dataclass(frozen=True)
class RelaySummary:
    """Counts the TV's stream-info overlay shows; replaced whole, so another thread reads it safely."""

    upstreams: int = 0
    clients: int = 0  # other screens: stream connections and HLS clients
    hls_clients: int = 0  # of which HLS (browsers, phones)


class Relay:
    def __init__(
        self,
        channels: Callable[[str], ChannelSource | None],
        max_upstreams: int = DEFAULT_MAX_UPSTREAMS,
        backlog_bytes: int = CLIENT_BACKLOG_BYTES,
        linger_s: float = LINGER_S,
        stall_s: float = 8.0,
        first_data_s: float = FIRST_DATA_TIMEOUT_S,
        give_up_s: float = GIVE_UP_S,
    ) -> None:
        """``channels(id)`` looks a channel up in the line-up (None: no such channel)."""
        self._channels = channels
        self.max_upstreams = max_upstreams
        self.backlog_bytes = backlog_bytes
        self.linger_s = linger_s
        self.stall_s = stall_s
        self.first_data_s = first_data_s
        self.give_up_s = give_up_s
        self.live_connections = 0  # ever opened: a mirror that keeps one connection across zaps adds 1
        self.feeds: dict[str, Feed] = {}
        self.kept: set[str] = set()  # channels read even with nobody watching (the TV's keyframe cache)
        self.live: ChannelSource | None = None  # what the TV shows, when the relay may show it too
        self.summary = RelaySummary()
        self.live_output: LiveOutput | None = None  # runs while anyone reads the live stream
        self._reaper: asyncio.Task | None = None
        self._stopping: set[asyncio.Future] = set()
        self._closed = False
        self.hls = HlsRenditions(on_change=self._summarise)

    # -- the TV ------------------------------------------------------------------------------------

    def follow(self, channel_id: str | None) -> None:
        """The TV now shows ``channel_id`` (None: nothing the relay may show, e.g. parental lock)."""
        source = self._channels(channel_id) if channel_id else None
        if source == self.live:
            return
        self.live = source
        if self.live_output is not None:
            self.live_output.follow(source)

    def keep(self, sources: list[ChannelSource]) -> None:
        """Read these channels whoever watches them, so a client joins at their latest keyframe at once.

        The caller budgets them (``max_upstreams`` still caps what clients may add); channels no longer
        kept linger like any feed nobody watches, then stop.
        """
        self.kept = {source.id for source in sources}
        for source in sources:
            self._feed(source, for_tv=True)

    # -- clients -----------------------------------------------------------------------------------

    def source(self, channel_id: str) -> ChannelSource | None:
        """What the relay knows of a channel (its lock now included), for routes that serve it another way."""
        return self._channels(channel_id)

    async def open_channel(
        self, channel_id: str, internal: bool = False, recording: bool = False
    ) -> AsyncIterator[bytes]:
        """A channel's stream for one client. Raises LookupError, ChannelLocked, RelayBusy or UpstreamDown first.

        ``internal``: the reader is the box's own (an HLS rendition, a recording), not counted as another screen.
        ``recording``: the box's recorder, which records a locked channel too (the lock applies when it is played).
        """
        source = self._channels(channel_id)
        if source is None:
            raise LookupError(f"no channel with id {channel_id!r}")
        if source.locked and not recording:
            raise ChannelLocked(f"{source.name} is locked by the parental lock; enter the PIN on the TV first")
        feed = self._feed(source, for_tv=False)
        viewer = feed.subscribe(self.backlog_bytes)
        viewer.internal = internal
        self._summarise()
        sending = False
        try:
            sending = await feed.wait_first_data(self.first_data_s)
        finally:
            if not sending:  # nothing came, or the client left while waiting
                feed.unsubscribe(viewer)
                self._summarise()
        if not sending:
            raise UpstreamDown(f"{source.name} sends no usable stream: {feed.error or 'no answer'}")
        return self._drain(feed, viewer)

    async def _drain(self, feed: Feed, viewer: Viewer) -> AsyncIterator[bytes]:
        try:
            while (chunk := await viewer.next()) is not None:
                yield chunk
        finally:
            feed.unsubscribe(viewer)
            self._summarise()

    async def open_live(self) -> AsyncIterator[bytes]:
        """The live stream for an HLS rendition: SPLICE marks each zap. Raises NothingLive or UpstreamDown first."""
        if self.live is None:
            raise NothingLive("the TV shows nothing to relay now (standby, or the parental lock)")
        source = self.live
        feed = self._feed(source, for_tv=True)
        if not await feed.wait_first_data(self.first_data_s):
            raise UpstreamDown(f"{source.name} sends no usable stream: {feed.error or 'no answer'}")
        return self.live_stream(internal=True, marks=True)

    async def live_stream(self, internal: bool = False, marks: bool = False) -> AsyncIterator[bytes]:
        """What the TV shows, continuously: spliced at each zap; ends only when this client falls behind.

        ``marks``: yield SPLICE (empty bytes) before each channel's first bytes, for a reader that cuts there.
        """
        self.live_connections += 1
        output = self.live_output
        if output is None:
            output = self.live_output = LiveOutput(lambda source: self._feed(source, for_tv=True), self.backlog_bytes)
            output.start(self.live)
        viewer = output.subscribe(self.backlog_bytes)
        viewer.internal, viewer.marks = internal, marks
        self._summarise()
        try:
            while not self._closed and (chunk := await viewer.next()) is not None:
                if chunk or marks:
                    yield chunk
            if viewer.dropped:
                log.info("relay: dropped a live client that stopped reading")
        finally:
            output.unsubscribe(viewer)
            if not output.viewers and self.live_output is output:
                self.live_output = None  # nobody reads it: its feed may linger and stop
                self._stop_later(output.stop())
            self._summarise()

    # -- feeds -------------------------------------------------------------------------------------

    def _feed(self, source: ChannelSource, for_tv: bool) -> Feed:
        feed = self.feeds.get(source.id)
        if feed is not None and feed.source == source:
            feed.idle_since = None
            return feed
        if feed is not None:  # the line-up changed the channel's URLs: start over
            self._stop_feed(feed)
        self._ensure_reaper()
        busy = [f for f in self.feeds.values() if not self._is_tvs(f.source) and f.name not in self.kept]
        if not for_tv and not self._is_tvs(source) and len(busy) >= self.max_upstreams:
            idle = [f for f in busy if not f.viewers]
            if not idle:
                raise RelayBusy(f"the relay already reads {len(busy)} channels (the limit is {self.max_upstreams})")
            self._stop_feed(min(idle, key=lambda f: f.idle_since or 0.0))
        feed = Feed(source, self.stall_s)
        feed.start()
        self.feeds[source.id] = feed
        return feed

    def _is_tvs(self, source: ChannelSource) -> bool:
        """The TV shows this channel: it is relayed on top of the cap (the live stream, a take of it)."""
        return self.live is not None and source.id == self.live.id

    def _stop_feed(self, feed: Feed) -> None:
        self.feeds.pop(feed.name, None)
        self._stop_later(feed.stop())

    def _stop_later(self, stopping) -> None:
        task = asyncio.ensure_future(stopping)
        self._stopping.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._stopping.discard)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap())

    async def _reap(self) -> None:
        """Stop feeds nobody has watched for ``linger_s``; end the clients of a channel down for ``give_up_s``.

        Without the second, a client of a head-end that died for good kept an open connection that never
        sent another byte. The live stream's clients stay: they follow the TV, and its next zap feeds them.
        """
        loop = asyncio.get_running_loop()
        while self.feeds and not self._closed:
            await asyncio.sleep(min(1.0, self.linger_s / 2, self.give_up_s / 2))
            now = loop.time()
            live_viewers = self.live_output.inputs if self.live_output is not None else set()
            for feed in list(self.feeds.values()):
                if feed.down_since is not None and now - feed.down_since >= self.give_up_s:
                    for viewer in feed.viewers - live_viewers:
                        log.info("relay %s: no data for %.0f s, ending a client's stream", feed.name, self.give_up_s)
                        feed.unsubscribe(viewer)
                if feed.viewers or feed.name in self.kept:
                    feed.idle_since = None
                elif feed.idle_since is None:
                    feed.idle_since = now
                elif now - feed.idle_since >= self.linger_s:
                    self._stop_feed(feed)
            self._summarise()

    def _summarise(self) -> None:
        screens = sum(not v.internal for f in self.feeds.values() for v in f.viewers)
        if self.live_output is not None:
            screens += sum(not v.internal for v in self.live_output.viewers)
        hls = self.hls.clients() if self.hls.renditions else 0
        self.summary = RelaySummary(len(self.feeds), screens + hls, hls)

    def stats(self) -> dict:
        return {
            "max_upstreams": self.max_upstreams,
            "upstreams": len(self.feeds),
            "clients": sum(len(f.viewers) for f in self.feeds.values()),
            "live_clients": len(self.live_output.viewers) if self.live_output is not None else 0,
            "live_channel": self.live.id if self.live else None,
            "live_connections": self.live_connections,
            "channels": {cid: feed.stats() for cid, feed in self.feeds.items()},
            "hls": self.hls.stats(),
        }

    async def close(self) -> None:
        """Stop every feed and end every client's stream (the box is stopping)."""
        self._closed = True
        await self.hls.close()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        if self.live_output is not None:
            await self.live_output.stop()
            self.live_output = None
        feeds, self.feeds = list(self.feeds.values()), {}
        await asyncio.gather(*(feed.stop() for feed in feeds), *self._stopping)
        self._summarise()
