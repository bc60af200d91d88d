"""Routes: the relay's streams (MPEG-TS and HLS, of what the TV shows or of any channel), signed stream URLs
for players that cannot send a token, and the relay's figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse

from stb.errors import NotFound
from stb.lan.auth import AuthError
from stb.net.api.access import Access, StreamAccess, authed, presented_token
from stb.net.api.context import API, Ctx, NetContext
from stb.net.api.document import BODY, head_problems, problems
from stb.net.api.models import StreamUrl, StreamUrlRequest
from stb.net.api.sessions import HLS_CLIENTS, RELAY_STREAMS, Session
from stb.relay.errors import ChannelLocked
from stb.relay.hls import Opener

TS_MIME = "video/mp2t"
HLS_MIME = "application/vnd.apple.mpegurl"

Seq = Annotated[int, Path(ge=0, le=10**15, description="The segment's media sequence number")]

router = APIRouter()

ts_answer = {"content": {TS_MIME: {}}, "description": "MPEG-TS, until the client leaves"}
streams = problems(401, 403, 404, 429, 502, 503, ok=ts_answer)


def _session(ctx: NetContext, request: Request, access: StreamAccess, kind: str) -> Session:
    """The stream's place among its device's (429 past the device's cap): revocation ends it."""
    address = request.client.host if request.client else "?"
    return ctx.sessions.open(access.device.id if access.device else None, address, kind, access.sig)


def _ts(ctx: NetContext, body: AsyncIterator[bytes], session: Session) -> StreamingResponse:
    guarded = ctx.sessions.guard(body, session)
    return StreamingResponse(guarded, media_type=TS_MIME, headers={"Cache-Control": "no-store"})


@router.get("/stream/live", response_class=StreamingResponse, responses=streams,
            summary="What the TV shows, following its zaps in one connection (MPEG-TS)")  # fmt: skip
async def stream_live(request: Request, ctx: Ctx, access: Access) -> StreamingResponse:
    relay = ctx.the_relay()
    session = _session(ctx, request, access, RELAY_STREAMS)
    return _ts(ctx, relay.live_stream(), session)


@router.get("/stream/channel/{channel_id}", response_class=StreamingResponse,
            responses=streams, summary="Any channel of the line-up, independent of the TV (MPEG-TS)")  # fmt: skip
async def stream_channel(channel_id: str, request: Request, ctx: Ctx, access: Access) -> StreamingResponse:
    relay = ctx.the_relay()
    session = _session(ctx, request, access, RELAY_STREAMS)
    try:
        body = await relay.open_channel(channel_id[:128])
    except LookupError as exc:
        ctx.sessions.close(session)
        raise NotFound(str(exc)) from None
    except BaseException:
        ctx.sessions.close(session)
        raise
    if session.ended:  # revoked while the channel was being opened
        await body.aclose()  # type: ignore[attr-defined]
        raise AuthError(401, "Not paired", "this device was removed on the TV; pair it again")
    return _ts(ctx, body, session)


@router.head("/stream/channel/{channel_id}", response_class=Response,
             responses=head_problems(401, 403, 404, 429),
             summary="What a channel's stream is, without opening it (players that ask first)")  # fmt: skip
async def stream_channel_head(channel_id: str, ctx: Ctx, access: Access) -> Response:
    """Kodi's own player (and others) ask with HEAD what a URL without an extension is; a 405 there made Kodi
    take a channel for audio. Nothing is read from the provider, and no stream is counted."""
    source = ctx.the_relay().source(channel_id[:128])
    if source is None:
        raise NotFound(f"no channel with id {channel_id[:128]!r}")
    if source.locked:
        raise ChannelLocked(f"{source.name} is locked by the parental lock; enter the PIN on the TV first")
    return ts_head()


def ts_head() -> Response:
    """A HEAD answer for an MPEG-TS stream: its type, and no length (``Content-Length: 0`` would say "empty")."""
    response = Response(media_type=TS_MIME, headers={"Cache-Control": "no-store"})
    del response.headers["content-length"]
    return response


# -- HLS renditions of the same streams, for browsers and phones ----------------------------------------
playlist_answer = {"content": {HLS_MIME: {"schema": {"type": "string"}}}, "description": "HLS playlist"}
segment_answer = {"content": {TS_MIME: {}}, "description": "One segment: PAT, PMT, then TS from a keyframe"}
playlists = problems(401, 403, 404, 429, 502, 503, ok=playlist_answer)
segments = problems(401, 404, 429, ok=segment_answer)


def hls_client(request: Request, access: StreamAccess) -> str:
    """Who counts as one HLS client: an address and a device."""
    return f"{request.client.host if request.client else '?'} {access.device.id if access.device else 'open'}"


async def playlist(ctx: NetContext, key: str, opener: Opener, request: Request, access: StreamAccess) -> Response:
    session = _session(ctx, request, access, HLS_CLIENTS)
    try:
        rendition = await ctx.the_relay().hls.open(key, opener, hls_client(request, access))
    finally:
        ctx.sessions.close(session)
    if session.ended:  # revoked while the rendition started
        raise AuthError(401, "Not paired", "this device was removed on the TV; pair it again")
    return Response(rendition.playlist(access.query), media_type=HLS_MIME, headers={"Cache-Control": "no-store"})


def segment(ctx: NetContext, key: str, seq: int, request: Request, access: StreamAccess) -> Response:
    ctx.sessions.close(_session(ctx, request, access, HLS_CLIENTS))  # answered at once: only the cap is checked
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
