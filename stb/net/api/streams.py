"""Routes: the relay's streams (MPEG-TS and HLS, of what the TV shows or of any channel), signed stream URLs
for players that cannot send a token, and the relay's figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse

from stb.errors import NotFound
from stb.net.api.access import Access, StreamAccess, authed, presented_token
from stb.net.api.context import API, Ctx, NetContext
from stb.net.api.document import BODY, problems
from stb.net.api.models import StreamUrl, StreamUrlRequest
from stb.relay.hls import Opener

TS_MIME = "video/mp2t"
HLS_MIME = "application/vnd.apple.mpegurl"

Seq = Annotated[int, Path(ge=0, le=10**15, description="The segment's media sequence number")]

router = APIRouter()

ts_answer = {"content": {TS_MIME: {}}, "description": "MPEG-TS, until the client leaves"}
streams = problems(401, 403, 404, 502, 503, ok=ts_answer)


@router.get("/stream/live", response_class=StreamingResponse, responses=streams,
            summary="What the TV shows, following its zaps in one connection (MPEG-TS)")  # fmt: skip
async def stream_live(ctx: Ctx, access: Access) -> StreamingResponse:
    live = ctx.the_relay().live_stream()
    return StreamingResponse(live, media_type=TS_MIME, headers={"Cache-Control": "no-store"})


@router.get("/stream/channel/{channel_id}", response_class=StreamingResponse,
            responses=streams, summary="Any channel of the line-up, independent of the TV (MPEG-TS)")  # fmt: skip
async def stream_channel(channel_id: str, ctx: Ctx, access: Access) -> StreamingResponse:
    try:
        body = await ctx.the_relay().open_channel(channel_id[:128])
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    return StreamingResponse(body, media_type=TS_MIME, headers={"Cache-Control": "no-store"})


# -- HLS renditions of the same streams, for browsers and phones ----------------------------------------
playlist_answer = {"content": {HLS_MIME: {"schema": {"type": "string"}}}, "description": "HLS playlist"}
segment_answer = {"content": {TS_MIME: {}}, "description": "One segment: PAT, PMT, then TS from a keyframe"}
playlists = problems(401, 403, 404, 502, 503, ok=playlist_answer)
segments = problems(401, 404, ok=segment_answer)


def hls_client(request: Request, access: StreamAccess) -> str:
    """Who counts as one HLS client: an address and a device."""
    return f"{request.client.host if request.client else '?'} {access.device.id if access.device else 'open'}"


async def playlist(ctx: NetContext, key: str, opener: Opener, request: Request, access: StreamAccess) -> Response:
    rendition = await ctx.the_relay().hls.open(key, opener, hls_client(request, access))
    return Response(rendition.playlist(access.query), media_type=HLS_MIME, headers={"Cache-Control": "no-store"})


def segment(ctx: NetContext, key: str, seq: int, request: Request, access: StreamAccess) -> Response:
    rendition = ctx.the_relay().hls.get(key, hls_client(request, access))
    if rendition is None:
        raise NotFound("this stream's HLS rendition is not running; ask for its index.m3u8 first")
    found = rendition.segment(seq)
    if found is None:
        raise NotFound(f"segment {seq} is not in the playlist (any more, or yet)")
    return Response(found.data, media_type=TS_MIME, headers={"Cache-Control": "private, max-age=60"})


@router.get("/hls/live/index.m3u8", response_class=Response, responses=playlists,
            summary="What the TV shows as HLS, following its zaps (a discontinuity at each)")  # fmt: skip
async def hls_live(request: Request, ctx: Ctx, access: Access) -> Response:
    return await playlist(ctx, "live", ctx.the_relay().open_live, request, access)


@router.get("/hls/live/{seq}.ts", response_class=Response, responses=segments, summary="A segment of the live HLS")
async def hls_live_segment(seq: Seq, request: Request, ctx: Ctx, access: Access) -> Response:
    return segment(ctx, "live", seq, request, access)


@router.get("/hls/channel/{channel_id}/index.m3u8", response_class=Response, responses=playlists,
            summary="Any channel of the line-up as HLS, independent of the TV")  # fmt: skip
async def hls_channel(channel_id: str, request: Request, ctx: Ctx, access: Access) -> Response:
    cid = channel_id[:128]

    def opener() -> Awaitable[AsyncIterator[bytes]]:
        return ctx.the_relay().open_channel(cid, internal=True)

    try:
        return await playlist(ctx, f"channel/{cid}", opener, request, access)
    except LookupError as exc:
        raise NotFound(str(exc)) from None


@router.get("/hls/channel/{channel_id}/{seq}.ts", response_class=Response, responses=segments,
            summary="A segment of a channel's HLS")  # fmt: skip
async def hls_channel_segment(channel_id: str, seq: Seq, request: Request, ctx: Ctx, access: Access) -> Response:
    return segment(ctx, f"channel/{channel_id[:128]}", seq, request, access)


@router.post(f"{API}/stream-urls", dependencies=authed, responses=problems(*BODY, 401, 404),
             summary="A short-lived signed URL of a stream, for players that cannot send the token")  # fmt: skip
async def stream_url(body: StreamUrlRequest, request: Request, ctx: Ctx) -> StreamUrl:
    if ctx.signer is None:
        raise NotFound("this box does not sign stream URLs")
    device = ctx.auth.check(presented_token(request))  # on an open LAN too: the URL then outlives closing it
    url, expires = ctx.signer.sign(device.id if device else "open", body.path, body.expires_in)
    return StreamUrl(url=url, expires=expires)


@router.get(f"{API}/relay", dependencies=authed, summary="Relayed channels and clients", responses=problems(401, 404))
async def relay_stats(ctx: Ctx) -> dict:
    return ctx.the_relay().stats()
