"""Routes: the box in the formats other apps already read (:mod:`stb.net.exports`): M3U and XMLTV for VLC
and Kodi (the HDHomeRun tuner is :mod:`stb.net.api.tuner`). Their token is in the URL: these apps cannot
send headers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from stb.net import exports
from stb.net.api.access import authed, presented_token
from stb.net.api.context import Ctx, NetContext
from stb.net.api.document import problems

M3U_MIME = "audio/x-mpegurl"

router = APIRouter()


def base_url(request: Request) -> str:
    """The box as the client reached it: the address and port of the socket the request arrived on.

    Never the Host header (issue 19): a client names the host, so a forged one would put any address
    into the URLs the box hands out. The socket's local address is the interface the client can reach.
    """
    server = request.scope.get("server")
    if not server or server[1] is None:
        return f"{request.url.scheme}://127.0.0.1"
    host, port = str(server[0]), int(server[1])
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{port}"


def url_token(ctx: NetContext, request: Request) -> str | None:
    return None if ctx.open_on_lan() else presented_token(request)


@router.get("/playlist.m3u", dependencies=authed, response_class=Response,
            responses=problems(401, 404, ok={"content": {M3U_MIME: {}}, "description": "M3U playlist"}),
            summary="The line-up as M3U for VLC or Kodi IPTV Simple, streams through the relay")  # fmt: skip
async def playlist_m3u(request: Request, ctx: Ctx) -> Response:
    text = exports.playlist(ctx.current_lineup(), base_url(request), url_token(ctx, request))
    return Response(text, media_type=M3U_MIME, headers={"Cache-Control": "no-store"})


@router.get("/xmltv.xml", dependencies=authed, response_class=StreamingResponse,
            responses=problems(401, 404, ok={"content": {"application/xml": {}}, "description": "XMLTV"}),
            summary="The guide as XMLTV, channel ids as in /playlist.m3u")  # fmt: skip
async def xmltv_xml(request: Request, ctx: Ctx) -> StreamingResponse:
    lineup = ctx.current_lineup()
    has_guide = await ctx.guide_thread.ask(lambda guide: True, False)
    guide = ctx.guide_thread.current() if has_guide else None
    pieces = exports.xmltv(guide, lineup, time.time(), base_url(request), url_token(ctx, request))

    async def stream() -> AsyncIterator[bytes]:
        try:  # one channel a step, each on the guide thread (its SQLite connection is there)
            while (piece := await ctx.guide_thread.run(next, pieces, None)) is not None:
                yield piece
        finally:
            pieces.close()

    return StreamingResponse(stream(), media_type="application/xml", headers={"Cache-Control": "no-store"})
