"""The head-end's HTTP side: live TS per channel, HLS, broken channels, guide, playlist, logos."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from stb.headend import catalog, media
from stb.headend.broadcast import Broadcast
from stb.headend.hls import HlsChannel

TS_MIME = "video/mp2t"
STALL_AFTER_S = 4.0
GARBAGE_BYTES_PER_S = 125_000  # ~1 Mbit/s of noise


class Headend:
    """Every running channel of the head-end; started and stopped with the app's lifespan."""

    def __init__(self, media_directory: Path) -> None:
        self.media_directory = media_directory
        self.live: dict[str, Broadcast] = {}
        self.hls: dict[str, HlsChannel] = {}
        self.extra_tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for channel in catalog.CHANNELS:
            clip = media.clip_path(channel, self.media_directory)
            broadcast = Broadcast(channel.id, clip)
            self.live[channel.id] = broadcast
            await broadcast.start()
            if channel.hls:
                self.hls[channel.id] = HlsChannel(channel.id, clip)
                await self.hls[channel.id].start()

    async def stop(self) -> None:
        for task in self.extra_tasks:
            task.cancel()
        for channel in [*self.live.values(), *self.hls.values()]:
            await channel.stop()


def create_app(headend: Headend) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await headend.start()
        try:
            yield
        finally:
            await headend.stop()

    def base_url(request: Request) -> tuple[str, int]:
        host = request.url.hostname or "127.0.0.1"
        return host, request.url.port or 80

    async def live(request: Request) -> Response:
        broadcast = headend.live.get(request.path_params["channel_id"])
        if broadcast is None:
            return PlainTextResponse("no such channel\n", status_code=404)
        return StreamingResponse(broadcast.stream(), media_type=TS_MIME, headers={"Cache-Control": "no-store"})

    async def hls(request: Request) -> Response:
        channel = headend.hls.get(request.path_params["channel_id"])
        path = channel.file(request.path_params["name"]) if channel else None
        if path is None:
            return PlainTextResponse("not found\n", status_code=404)
        kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else TS_MIME
        return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})

    async def stall(request: Request) -> Response:
        """Real TS for a few seconds, then silence on an open connection: the classic stalled stream."""

        async def body() -> AsyncIterator[bytes]:
            async for chunk in headend.live[catalog.CHANNELS[0].id].stream(limit_seconds=STALL_AFTER_S):
                yield chunk
            while True:
                await asyncio.sleep(3600)

        return StreamingResponse(body(), media_type=TS_MIME)

    async def garbage(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            while True:
                yield os.urandom(GARBAGE_BYTES_PER_S // 10)
                await asyncio.sleep(0.1)

        return StreamingResponse(body(), media_type=TS_MIME)

    async def dead(request: Request) -> Response:
        return PlainTextResponse("this channel is off the air\n", status_code=404)

    async def xmltv(request: Request) -> Response:
        from stb.headend.xmltv import demo_guide

        return Response(demo_guide(), media_type="application/xml")

    async def playlist(request: Request) -> Response:
        from stb.lineup.m3u import write_m3u

        host, port = base_url(request)
        return Response(write_m3u(catalog.demo_lineup(host, port)), media_type="audio/x-mpegurl")

    async def logo(request: Request) -> Response:
        channel = catalog.BY_ID.get(request.path_params["channel_id"])
        path = media.logo_path(channel, headend.media_directory) if channel else None
        if path is None or not path.is_file():
            return PlainTextResponse("not found\n", status_code=404)
        return FileResponse(path, media_type="image/png")

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "channels": {cid: len(b.viewers) for cid, b in headend.live.items()},
                "ffmpeg_processes": len(headend.live) + len(headend.hls),
                "restarts": sum(b.restarts for b in headend.live.values()),
            }
        )

    routes = [
        Route("/live/{channel_id}.ts", live),
        Route("/hls/{channel_id}/{name}", hls),
        Route("/broken/dead.ts", dead),
        Route("/broken/stall.ts", stall),
        Route("/broken/garbage.ts", garbage),
        Route("/xmltv.xml", xmltv),
        Route("/playlist.m3u", playlist),
        Route("/logo/{channel_id}.png", logo),
        Route("/health", health),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
