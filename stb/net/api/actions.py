"""Routes: what the TV shows, and the remote's actions (zap, fling, hand-off, keys, volume, standby).

Each runs on the TV's own thread through the command queue and answers the TV's state afterwards.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from stb.net.api.access import authed, check_token, presented_token
from stb.net.api.context import API, Ctx
from stb.net.api.document import BODY, problems
from stb.net.api.models import HandedOff, Handoff, Key, Play, PlayArchive, Standby, State, Volume, Zap
from stb.redirects import RedirectRefused, resolve

router = APIRouter(prefix=API)

# The answers are the port's plain dicts; FastAPI checks them against the response model on the way out.


@router.get("/state", dependencies=authed, summary="Channel, playback, volume", responses=problems(401, 503))
async def state(ctx: Ctx) -> State:
    return await ctx.commands.call(ctx.box.api_state)


@router.post("/actions/zap", dependencies=authed, summary="Zap by id, number, or up/down/last",
             responses=problems(*BODY, 401, 404, 503))  # fmt: skip
async def zap(body: Zap, ctx: Ctx) -> State:
    how = (getattr(body, "id", None), getattr(body, "number", None), getattr(body, "direction", None))
    return await ctx.commands.call(ctx.box.api_zap, *how)


@router.post("/actions/play", dependencies=authed, summary="Put a stream URL on the TV (fling)",
             responses=problems(*BODY, 401, 503))  # fmt: skip
async def play(body: Play, ctx: Ctx) -> State:
    """A URL outside the line-up has its redirects followed here, on the network's thread, each hop checked
    (`stb.redirects`): libVLC, which would follow one into ``file:`` or loopback, gets only the final URL."""
    url = body.url.strip()
    channels = ctx.lineup().channels if ctx.lineup is not None else []
    if not any(url in channel.urls for channel in channels):
        try:
            url = await resolve(url)
        except RedirectRefused as exc:
            raise HTTPException(422, f"body.url: {exc}") from None
    return await ctx.commands.call(ctx.box.api_play, url, body.title)


@router.post("/actions/archive", dependencies=authed, summary="Play a past programme from the catch-up archive",
             responses=problems(*BODY, 401, 404, 503))  # fmt: skip
async def play_archive(body: PlayArchive, ctx: Ctx) -> State:
    return await ctx.commands.call(ctx.box.api_play_archive, body.channel, body.start)


@router.post("/actions/handoff", dependencies=authed, responses=problems(*BODY, 401, 503),
             summary="This device took the programme over (stb take): standby if Settings say so")  # fmt: skip
async def handoff(body: Handoff, request: Request, ctx: Ctx) -> HandedOff:
    device = check_token(ctx, presented_token(request))  # who took it, for the TV's notice
    taker = device.name if device else None
    return await ctx.commands.call(ctx.box.api_handoff, body.channel, taker, body.recording)


@router.post("/actions/key", dependencies=authed, summary="Press a remote key (a keymap action)",
             responses=problems(*BODY, 401, 404, 503))  # fmt: skip
async def key(body: Key, ctx: Ctx) -> State:
    return await ctx.commands.call(ctx.box.api_key, body.action)


@router.post("/actions/volume", dependencies=authed, summary="Set, change or mute the volume",
             responses=problems(*BODY, 401, 503))  # fmt: skip
async def volume(body: Volume, ctx: Ctx) -> State:
    return await ctx.commands.call(ctx.box.api_volume, body.volume, body.delta, body.muted)


@router.post("/actions/standby", dependencies=authed, summary="Standby on or off (as the power key)",
             responses=problems(*BODY, 401, 503))  # fmt: skip
async def standby(body: Standby, ctx: Ctx) -> State:
    return await ctx.commands.call(ctx.box.api_standby, body.on)
