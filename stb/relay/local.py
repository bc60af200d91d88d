"""The TV's keyframe cache: channels it may zap to, read ahead and served to its own players on loopback.

A zap to a channel nobody reads waits for the provider's next keyframe (half a GOP on average at the
live edge of an ordinary server). The cache keeps a few likely channels read — no decoding, only the
latest GOP in memory (:class:`~stb.ts.packets.JoinPoint`) — and a player tuned to one of them is
given its loopback URL first: it starts with PAT, PMT and that keyframe at once. The channel's own
URLs stay behind it, so a cache that fails costs one attempt, never the channel.

It runs whatever the Settings switches say, because it is also the TV's only way to the network: libVLC
follows a server's redirect into ``file:`` or the box's loopback, and opens whatever an HLS playlist names.
So :meth:`LocalRelay.route` hands libVLC loopback URLs only: a line-up TS channel's feed here first, then each
of its http(s) URLs through :mod:`stb.relay.guard` (redirects and playlist URIs checked; also a flung stream,
another box's, an HLS channel). Multicast is read by libVLC itself: it has no redirects.

With timeshift on, every TS channel the TV plays goes through this relay only, and the channel on screen is
also written into a rolling buffer that ``/shift/<id>?at=<t>`` serves from any moment (:mod:`stb.relay.shift`).

Its own thread and asyncio loop run a :class:`~stb.relay.relay.Relay` and a small loopback HTTP
server (uvicorn + Starlette, the stack the API already uses). The UI thread only calls `keep`, `route`,
`watch`, `summary` and `window`, which hand work to the loop or read state replaced whole or locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from stb.errors import StbError
from stb.lineup.model import Channel
from stb.relay.errors import ChannelLocked, RelayBusy, UpstreamDown
from stb.relay.feed import ChannelSource
from stb.relay.guard import Guard, GuardRefused, is_guarded
from stb.relay.relay import Relay
from stb.relay.shift import ShiftWindow, ShiftWriters, buffers_directory
from stb.relay.upstream import UpstreamError
from stb.timeshift.buffer import DEFAULT_LIMITS, Limits

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
SUMMARY_EVERY_S = 1.0


@dataclass(frozen=True)
class CacheSummary:
    """What the stream details show of the cache; replaced whole, read from any thread."""

    channels: int = 0  # read ahead now
    ready: tuple[str, ...] = ()  # of which these have a keyframe to start from
    bits_per_s: float = 0.0  # what reading them costs, over the last second or so
    gop_bytes: int = 0  # the GOPs held in memory


def relayable(channel: Channel) -> bool:
    """A channel this relay reads cheaply: TS over HTTP or multicast (HLS would cost an ffmpeg remux each)."""
    url = channel.urls[0] if channel.urls else ""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "udp", "rtp") and not parts.path.lower().endswith(".m3u8")


class LocalRelay:
    """Reads the channels it is told to keep and serves them to the TV's players on 127.0.0.1."""

    def __init__(
        self,
        channels: Callable[[str], ChannelSource | None],
        max_clients: int = 8,
        shift_root: Path | None = None,
        shift_limits: Limits = DEFAULT_LIMITS,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        """``shift_root``: timeshift on, its buffers in a folder of this box's own under it; ``on_refused(why)``:
        the guard refused a redirect or a playlist's URI (called on the relay's thread)."""
        self._channels = channels
        self.guard = Guard(on_refused)
        self._max_clients = max_clients
        self._shift_root = shift_root
        self._shift_limits = shift_limits
        self.shift: ShiftWriters | None = None
        self.port: int | None = None
        self.summary = CacheSummary()
        self._relay: Relay | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._last_bytes: dict[str, int] = {}

    # -- the UI thread's side ----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stb-keyframe-cache", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT_S) or self.port is None:
            raise StbError(f"the keyframe cache did not start: {self._error or 'time-out'}")

    def keep(self, sources: Sequence[ChannelSource]) -> None:
        """Read these channels ahead (in this order of likelihood); the others stop after a while."""
        loop, relay = self._loop, self._relay
        if loop is None or relay is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: the box is stopping
            loop.call_soon_threadsafe(relay.keep, list(sources))

    def route(self, channel: Channel) -> Sequence[str]:
        """Where a player reads ``channel``: loopback URLs of this relay for everything over http(s).

        A line-up TS channel: its feed here (which tries the channel's URLs itself), then each URL through the
        guard (a stream the feed cannot relay, e.g. not MPEG-TS); with timeshift, the feed only. A multicast
        channel: as it is, unless the cache holds a keyframe of it. Anything else (HLS, a flung stream, another
        box's): each http(s) URL through the guard. Not running: the channel's own URLs.
        """
        if self.port is None:
            return channel.urls
        guarded = [self.guarded(url, channel.headers) for url in channel.urls]
        if not relayable(channel) or self._channels(channel.id) is None:
            return guarded  # HLS, or no line-up channel (a flung stream, another box's, a recording's file)
        if self._shift_root is not None:
            return [self.url(channel.id)]
        multicast = not is_guarded(channel.urls[0])
        if multicast and channel.id not in self.summary.ready:
            return guarded  # libVLC joins the group itself: relaying it would only cost a copy
        return [self.url(channel.id), *guarded]

    def guarded(self, url: str, headers: dict[str, str] | None = None) -> str:
        """``url`` as libVLC reads it: through the guard when it is http(s), else as it is (multicast, a file)."""
        return self.guard.register(url, headers) if is_guarded(url) else url

    def feed_stats(self, channel_id: str) -> dict | None:
        """The feed's figures for ``channel_id`` (connects, state…), None when it is not read here."""
        relay = self._relay
        feed = relay.feeds.get(channel_id) if relay is not None else None
        return feed.stats() if feed is not None else None

    def url(self, channel_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/channel/{quote(channel_id, safe='')}"

    # -- timeshift -----------------------------------------------------------------------------------
    @property
    def timeshift(self) -> bool:
        return self._shift_root is not None

    def watch(self, channel: Channel | None) -> None:
        """The TV shows ``channel`` now (None: nothing to buffer): write it into its timeshift buffer."""
        loop = self._loop
        if loop is None or self.shift is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._watch, channel.id if channel is not None and relayable(channel) else None)

    def window(self, channel_id: str) -> ShiftWindow | None:
        """What ``channel_id``'s timeshift buffer holds (None: no buffer, or nothing in it yet)."""
        return self.shift.window(channel_id) if self.shift is not None else None

    def copy_since(self, channel_id: str, since: float, into: Path) -> float | None:
        """The recorder's "record now": what the timeshift buffer holds of the channel since ``since`` (wall clock)."""
        return self.shift.copy_since(channel_id, since, into) if self.shift is not None else None

    def shift_url(self, channel_id: str, at: float) -> str:
        """``channel_id`` from the keyframe at or before ``at`` (``time.monotonic()``), then on to live."""
        return f"http://127.0.0.1:{self.port}/shift/{quote(channel_id, safe='')}?at={at:.3f}"

    def taken_url(self, channel_id: str, behind: float) -> str | None:
        """For another screen that takes the TV's timeshifted channel over (``stb take``): ``behind`` seconds before
        the buffer's live edge, then on to live, the channel written on while it reads. None: no buffer of it."""
        if self.window(channel_id) is None:
            return None
        return f"http://127.0.0.1:{self.port}/shift/{quote(channel_id, safe='')}?behind={max(0.0, behind):.3f}&hold=1"

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is not None and server is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(setattr, server, "should_exit", True)
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.port = None

    # -- the loop's side ---------------------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # a port or a library failure: start() reports it
            self._error = exc
            self._started.set()
        finally:
            self._loop = None
            loop.close()

    async def _serve(self) -> None:
        self._relay = relay = Relay(self._channels, max_upstreams=self._max_clients)
        if self._shift_root is not None:
            self.shift = ShiftWriters(relay, buffers_directory(self._shift_root), self._shift_limits)
        routes = [Route("/channel/{channel_id}", self._channel), Route("/shift/{channel_id}", self._shifted),
                  Route("/g/{token}/{name}", self._guarded)]  # fmt: skip
        app = Starlette(routes=routes)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                access_log=False)  # fmt: skip
        self._server = server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        summaries = asyncio.create_task(self._summarise_forever())
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if serving.done():
            await serving  # raises why it could not start
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self.guard.base = f"http://127.0.0.1:{self.port}"
        self._started.set()
        try:
            await serving
        finally:
            summaries.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await summaries
            if self.shift is not None:
                await self.shift.close()
            await relay.close()
            await self.guard.close()

    def _watch(self, channel_id: str | None) -> None:
        assert self.shift is not None and self._relay is not None
        source = self._channels(channel_id) if channel_id is not None else None
        self._relay.follow(source.id if source is not None else None)  # the TV's channel: never refused for room
        self.shift.watch(source)

    async def _channel(self, request: Request) -> Response:
        assert self._relay is not None
        channel_id = request.path_params["channel_id"]
        try:
            body = await self._relay.open_channel(channel_id, internal=True)
        except LookupError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        except (UpstreamDown, RelayBusy, ChannelLocked) as exc:  # the player goes on to the channel's own URLs
            return PlainTextResponse(str(exc), status_code=502)
        return StreamingResponse(body, media_type="video/mp2t", headers={"Cache-Control": "no-store"})

    async def _guarded(self, request: Request) -> Response:
        try:
            opened = await self.guard.open(request.path_params["token"], request.headers.get("range"))
        except LookupError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        except GuardRefused as exc:
            return PlainTextResponse(str(exc), status_code=403)
        except UpstreamError as exc:  # the player goes on to the channel's next URL
            return PlainTextResponse(str(exc), status_code=502)
        headers = {"Cache-Control": "no-store"}
        if opened.body is not None:
            return Response(opened.body, media_type=opened.content_type, headers=headers)
        assert opened.stream is not None
        return StreamingResponse(opened.stream, status_code=opened.status, media_type=opened.content_type,
                                 headers={**headers, **opened.headers})  # fmt: skip

    async def _shifted(self, request: Request) -> Response:
        if self.shift is None:
            return PlainTextResponse("timeshift is off", status_code=404)
        try:
            query = request.query_params
            at = float(query["at"]) if "at" in query else None
            behind = float(query["behind"]) if "behind" in query else None
            body = self.shift.open(request.path_params["channel_id"], at, behind, hold=query.get("hold") == "1")
        except ValueError:
            return PlainTextResponse("at and behind must be numbers of seconds", status_code=400)
        except LookupError as exc:
            return PlainTextResponse(str(exc), status_code=404)
        return StreamingResponse(body, media_type="video/mp2t", headers={"Cache-Control": "no-store"})

    async def _summarise_forever(self) -> None:
        while True:
            self._summarise()
            if self.shift is not None:
                self.shift.tidy()
            await asyncio.sleep(SUMMARY_EVERY_S)

    def _summarise(self) -> None:
        relay = self._relay
        if relay is None:
            return
        kept = [relay.feeds[cid] for cid in relay.kept if cid in relay.feeds]
        ready = tuple(f.name for f in relay.feeds.values() if f.state == "playing" and f.join_point.ready)
        counted = {f.name: f.bytes_out for f in kept}
        bits = sum(max(0, n - self._last_bytes.get(name, n)) for name, n in counted.items()) * 8 / SUMMARY_EVERY_S
        self._last_bytes = counted
        gop = sum(f.join_point.gop_bytes for f in relay.feeds.values())
        self.summary = CacheSummary(len(kept), ready, bits, gop)
