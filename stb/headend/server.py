"""The head-end's HTTP side: live TS per channel, HLS, broken channels, guide, playlist, logos, health.

Every id in a URL is looked up in the catalogue (an allow-list); HLS file names must match a fixed
pattern. Nothing is ever joined from request input into a file system path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from stb.headend import archive, catalog, media
from stb.headend.broadcast import Broadcast
from stb.headend.hls import HlsChannel

log = logging.getLogger(__name__)

TS_MIME = "video/mp2t"
STALL_AFTER_S = 4.0  # the stalling channel sends real stream this long, then nothing
GARBAGE_BYTES_PER_S = 125_000  # ~1 Mbit/s of noise
GARBAGE_TICK_S = 0.1
NO_CACHE = {"Cache-Control": "no-store"}
_HOST = re.compile(r"[A-Za-z0-9.:-]{1,253}")


@dataclass(frozen=True)
class MulticastTarget:
    """Where `--multicast` sends: channel N to ``group`` on ``base_port + N - 1``, out of ``interface`` only."""

    group: str
    base_port: int
    interface: str


class Headend:
    """Every running channel of the head-end; started and stopped with the app's lifespan."""

    def __init__(self, media_directory: Path, multicast: MulticastTarget | None = None) -> None:
        self.media_directory = media_directory
        self.multicast = multicast
        self.live: dict[str, Broadcast] = {}
        self.hls: dict[str, HlsChannel] = {}
        self.started_at: float | None = None
        self._tasks: list[asyncio.Task] = []
        self._sockets: list = []
        self._clips: dict[str, archive.Clip] = {}

    async def clip(self, channel_id: str) -> archive.Clip:
        """The channel's clip indexed for the archive (once; ~0.1 s, off the loop)."""
        if channel_id not in self._clips:
            path = media.clip_path(catalog.BY_ID[channel_id], self.media_directory)
            self._clips[channel_id] = await asyncio.to_thread(archive.Clip, path)
        return self._clips[channel_id]

    async def start(self) -> None:
        for channel in catalog.CHANNELS:
            clip = media.clip_path(channel, self.media_directory)
            self.live[channel.id] = Broadcast(channel.id, clip)
            await self.live[channel.id].start()
            if channel.hls:
                self.hls[channel.id] = HlsChannel(channel.id, clip)
                await self.hls[channel.id].start()
        self.started_at = time.monotonic()
        if self.multicast is not None:
            self._start_multicast(self.multicast)

    def _start_multicast(self, target: MulticastTarget) -> None:
        from stb.headend.multicast import multicast_socket, send_channel

        sock = multicast_socket(target.interface)
        self._sockets.append(sock)
        for channel in catalog.CHANNELS:
            port = target.base_port + channel.number - 1
            task = asyncio.create_task(send_channel(self.live[channel.id], sock, target.group, port))
            self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for sock in self._sockets:
            sock.close()
        await asyncio.gather(*(b.stop() for b in self.live.values()), *(h.stop() for h in self.hls.values()))

    def health(self) -> dict:
        """What /health reports: per channel its viewers, whether its ffmpeg runs, drops and restarts."""
        channels = {
            cid: {
                "clients": len(b.viewers),
                "running": b.running,
                "pid": b.pid,
                "dropped": b.dropped,
                "restarts": b.restarts,
                "bytes_out": b.bytes_out,
            }
            for cid, b in self.live.items()
        }
        return {
            "channels": channels,
            "clients": sum(c["clients"] for c in channels.values()),
            "ffmpeg_processes": sum(b.running for b in self.live.values()) + sum(h.running for h in self.hls.values()),
            "hls": {cid: {"running": h.running, "restarts": h.restarts} for cid, h in self.hls.items()},
            "multicast": None
            if self.multicast is None
            else {"group": self.multicast.group, "base_port": self.multicast.base_port},
            "uptime_s": None if self.started_at is None else round(time.monotonic() - self.started_at, 1),
        }


def _not_found(text: str = "not found") -> Response:
    return PlainTextResponse(text + "\n", status_code=404, headers=NO_CACHE)


def _address(request: Request) -> tuple[str, int]:
    """The host and port the client used to reach us (Host header), for URLs it can follow.

    A Host header that is not a plain name or address falls back to the address it arrived on.
    """
    server_host, server_port = request.scope.get("server") or ("127.0.0.1", 80)
    host, port = request.url.hostname, request.url.port
    if not host or not _HOST.fullmatch(host):
        host, port = server_host, server_port
    return host, port or server_port or 80


def _head(headers: dict[str, str]) -> Response:
    """A HEAD answer of a TS route: its headers, no body, no length unless ``headers`` give one."""
    response = Response(media_type=TS_MIME, headers=headers)
    if "Content-Length" not in headers:
        del response.headers["content-length"]
    return response


def create_app(headend: Headend) -> Starlette:
    """The Starlette app; its lifespan starts and stops the channels."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await headend.start()
        try:
            yield
        finally:
            await headend.stop()

    async def serve_archive(request: Request, channel_id: str, start: int, duration: int | None) -> Response:
        """A stretch of the channel's archive as seekable TS (byte ranges), or a 4xx saying why not."""
        if channel_id not in catalog.BY_ID:
            return _not_found("no such channel")
        try:
            seconds = archive.check_times(start, duration, int(time.time()))
            span = (await headend.clip(channel_id)).span(start, seconds)
            wanted = archive.byte_range(request.headers.get("range"), span.size)
        except archive.ArchiveRefused as e:
            status = 416 if "range" in str(e) else 404
            return PlainTextResponse(f"{e}\n", status_code=status, headers=NO_CACHE)
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
        if request.method == "HEAD":  # what GET would say, without making the span's bytes
            return _head(headers | {"Content-Length": str(span.size)})
        if wanted is None:
            headers["Content-Length"] = str(span.size)
            return StreamingResponse(span.read(), media_type=TS_MIME, headers=headers)
        first, stop = wanted
        headers |= {"Content-Length": str(stop - first), "Content-Range": f"bytes {first}-{stop - 1}/{span.size}"}
        return StreamingResponse(span.read(first, stop), status_code=206, media_type=TS_MIME, headers=headers)

    async def live(request: Request) -> Response:
        utc = request.query_params.get("utc")
        if utc is not None:  # catchup="shift": ?utc=START&lutc=NOW on the live URL
            if not utc.isdigit() or len(utc) > 10:
                return PlainTextResponse("utc must be epoch seconds\n", status_code=400, headers=NO_CACHE)
            return await serve_archive(request, request.path_params["channel_id"], int(utc), None)
        broadcast = headend.live.get(request.path_params["channel_id"])
        if broadcast is None:
            return _not_found("no such channel")
        if request.method == "HEAD":  # Kodi asks first; a HEAD that streamed kept it waiting 20 s
            return _head(NO_CACHE)
        fast_join = request.query_params.get("join") != "live"  # ?join=live: no keyframe head start
        return StreamingResponse(broadcast.stream(fast_join=fast_join), media_type=TS_MIME, headers=NO_CACHE)

    async def flussonic(request: Request) -> Response:
        """Flussonic's archive names: archive-START-DURATION.ts, timeshift_abs-START.ts; mpegts is live."""
        channel_id = request.path_params["channel_id"]
        m = archive.FLUSSONIC_NAME.fullmatch(request.path_params["name"])
        if m is None:
            return _not_found()
        if m.group(0) == "mpegts":
            return await live(request)
        if m.group(1):
            return await serve_archive(request, channel_id, int(m.group(1)), int(m.group(2)))
        return await serve_archive(request, channel_id, int(m.group(3)), None)

    async def hls(request: Request) -> Response:
        channel = headend.hls.get(request.path_params["channel_id"])
        path = channel.file(request.path_params["name"]) if channel else None
        if path is None:
            return _not_found()
        if path.suffix == ".m3u8":  # read now: ffmpeg replaces it every second
            return Response(path.read_bytes(), media_type="application/vnd.apple.mpegurl", headers=NO_CACHE)
        return FileResponse(path, media_type=TS_MIME)

    async def stall(request: Request) -> Response:
        """Real TS for a few seconds, then silence on an open connection: the classic stalled stream."""
        source = headend.live[catalog.CHANNELS[0].id]

        async def body() -> AsyncIterator[bytes]:
            async for chunk in source.stream(limit_seconds=STALL_AFTER_S):
                yield chunk
            while True:  # ends when the client goes away (Starlette cancels us)
                await asyncio.sleep(3600)

        return StreamingResponse(body(), media_type=TS_MIME, headers=NO_CACHE)

    async def garbage(request: Request) -> Response:
        """Random bytes at a steady ~1 Mbit/s: a stream that flows but never decodes."""

        async def body() -> AsyncIterator[bytes]:
            while True:
                yield os.urandom(int(GARBAGE_BYTES_PER_S * GARBAGE_TICK_S))
                await asyncio.sleep(GARBAGE_TICK_S)

        return StreamingResponse(body(), media_type=TS_MIME, headers=NO_CACHE)

    async def dead(request: Request) -> Response:
        return _not_found("this channel is off the air")

    async def xmltv(request: Request) -> Response:
        from stb.headend.xmltv import demo_guide

        host, port = _address(request)
        guide = await asyncio.to_thread(demo_guide, None, host, port)  # a fresh day takes ~0.3 s to build
        return Response(guide, media_type="application/xml", headers={"Cache-Control": "max-age=3600"})

    async def playlist(request: Request) -> Response:
        from stb.lineup.m3u_write import write_m3u

        host, port = _address(request)
        return Response(write_m3u(catalog.demo_lineup(host, port)), media_type="audio/x-mpegurl", headers=NO_CACHE)

    async def logo(request: Request) -> Response:
        channel = catalog.BY_ID.get(request.path_params["channel_id"])
        path = media.logo_path(channel, headend.media_directory) if channel else None
        if path is None or not path.is_file():
            return _not_found()
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    async def health(request: Request) -> Response:
        return JSONResponse(headend.health(), headers=NO_CACHE)

    routes = [
        Route("/live/{channel_id}.ts", live),
        Route("/hls/{channel_id}/{name}", hls),
        Route("/archive/{channel_id}/{name}", flussonic),
        Route("/broken/dead", dead),
        Route("/broken/dead.ts", dead),
        Route("/broken/stall.ts", stall),
        Route("/broken/garbage.ts", garbage),
        Route("/xmltv.xml", xmltv),
        Route("/playlist.m3u", playlist),
        Route("/logo/{channel_id}.png", logo),
        Route("/health", health),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
