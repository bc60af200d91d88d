"""Route: a past programme of a catch-up channel, from the provider's archive through the box.

What the M3U export's ``catchup-source`` points at, so Kodi's IPTV Simple (or any player) gets catch-up
through the box with the same pairing, signed URLs, session caps and parental lock as live streams. The box
builds the provider's URL itself (:mod:`stb.lineup.catchup`: times bounded by the channel's window, nothing
of the request but two numbers reaches it), follows its redirects by :mod:`stb.redirects`' rules, and
proxies the bytes, Range requests included, so players can seek and the provider's URL (its credentials)
never leaves the box.
"""

from __future__ import annotations

import time
from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from stb.errors import NotFound
from stb.lineup.catchup import CatchupError, archive_url, of_channel
from stb.lineup.model import Channel
from stb.net.api.access import Access
from stb.net.api.context import Ctx, NetContext
from stb.net.api.document import head_problems, problems
from stb.net.api.proxied import open_upstream
from stb.net.api.sessions import RELAY_STREAMS
from stb.net.api.streams import ts_head
from stb.redirects import RedirectRefused, resolve
from stb.relay.errors import ChannelLocked, UpstreamDown

TS_MIME = "video/mp2t"
PASSED_ON = ("content-type", "content-length", "content-range", "accept-ranges")
Epoch = Annotated[int, Query(ge=0, le=2**34, description="Unix time (seconds)")]

router = APIRouter()


ARCHIVE_ANSWER = {"content": {TS_MIME: {}}, "description": "The archive"}


@router.head("/catchup/channel/{channel_id}", response_class=Response,
             responses=head_problems(400, 401, 403, 404, 429),
             summary="Whether a past programme can be played, without reading the archive")  # fmt: skip
async def catchup_channel_head(channel_id: str, start: Epoch, ctx: Ctx, access: Access,
                               end: Epoch | None = None) -> Response:  # fmt: skip
    """Kodi's own player asks with HEAD what a URL without an extension is (a 405 made it take it for audio)."""
    _archive(ctx, channel_id, start, end)
    return ts_head()


def _archive(ctx: NetContext, channel_id: str, start: int, end: int | None) -> tuple[Channel, str]:
    """The channel and its provider's URL for the programme; 404 / 403 as the route answers them."""
    source = ctx.the_relay().source(channel_id[:128])
    channel = ctx.current_lineup().by_id(channel_id[:128])
    if source is None or channel is None:
        raise NotFound(f"no channel with id {channel_id[:128]!r}")
    if source.locked:
        raise ChannelLocked(f"{source.name} is locked by the parental lock; enter the PIN on the TV first")
    catchup = of_channel(channel.urls[0], channel.catchup, channel.attributes)
    if catchup is None:
        raise NotFound(f"{channel.name} has no catch-up")
    try:
        url = archive_url(catchup, start, end, int(time.time()), epg_shift_s=int(channel.guide_shift * 3600))
    except CatchupError as exc:
        raise NotFound(str(exc)) from None
    return channel, url


@router.get("/catchup/channel/{channel_id}", response_class=StreamingResponse,
            responses=problems(400, 401, 403, 404, 429, 502, ok=ARCHIVE_ANSWER),
            summary="A past programme from the provider's archive (Kodi catch-up through the box)")  # fmt: skip
async def catchup_channel(channel_id: str, start: Epoch, request: Request, ctx: Ctx, access: Access,
                          end: Epoch | None = None) -> Response:  # fmt: skip
    channel, url = _archive(ctx, channel_id, start, end)
    try:
        url = await resolve(url)
    except RedirectRefused as exc:
        raise UpstreamDown(f"{channel.name}'s archive {exc}") from None
    address = request.client.host if request.client else "?"
    session = ctx.sessions.open(access.device.id if access.device else None, address, RELAY_STREAMS, access.sig)
    headers = dict(channel.headers)
    if (wanted := request.headers.get("range")) is not None:
        headers["Range"] = wanted[:100]
    try:
        upstream = await open_upstream(url, headers)
    except httpx.HTTPError as exc:
        ctx.sessions.close(session)
        raise UpstreamDown(f"{channel.name}'s archive does not answer: {type(exc).__name__}") from None
    answer = upstream.response
    if answer.status_code == 416:  # a range past the end: the player's to know, as from the provider
        ctx.sessions.close(session)
        await upstream.close()
        return Response(status_code=416, headers={k: v for k, v in answer.headers.items()
                                                  if k.lower() == "content-range"})  # fmt: skip
    if answer.status_code not in (200, 206):
        ctx.sessions.close(session)
        await upstream.close()
        raise UpstreamDown(f"{channel.name}'s archive answered {answer.status_code}")
    kept = {k: v for k, v in answer.headers.items() if k.lower() in PASSED_ON}
    kept.setdefault("content-type", TS_MIME)
    return StreamingResponse(ctx.sessions.guard(upstream.body(), session), status_code=answer.status_code,
                             headers=kept | {"Cache-Control": "no-store"})  # fmt: skip
