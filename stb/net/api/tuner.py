"""Routes: the box as an HDHomeRun tuner (:mod:`stb.net.hdhr`), for Plex, Jellyfin, Emby, Channels and Kodi.

Two ways in. ``/hdhr/{token}/…`` always: the user pastes that URL, the token in the path (these apps send
no headers). And, only while "Offer this box as a network tuner" is on, the root paths a real HDHomeRun
serves (``/discover.json``, ``/lineup.json``, ``/device.xml``, ``POST /lineup.post``…) with tokenless
streams at ``/auto/v<number>``, so the apps that find tuners by UDP or SSDP add the box with no URL to edit.
Switched off, the root paths answer 404. docs/security.md says what that trade-off means.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from stb.errors import NotFound
from stb.lineup.model import Channel
from stb.net import hdhr
from stb.net.api.access import check_token
from stb.net.api.context import Ctx, NetContext
from stb.net.api.document import problems
from stb.net.api.exports import M3U_MIME, base_url
from stb.net.api.streams import TS_MIME, streams
from stb.net.exports import hdhr_base, stream_url

router = APIRouter()
XML_MIME = "application/xml"
NO_STORE = {"Cache-Control": "no-store"}
Number = Path(ge=1, le=99999, description="The channel's number (GuideNumber)")


def _tuners(ctx: NetContext) -> int:
    """What the relay really reads at once for other screens: its cap."""
    return ctx.relay.max_upstreams if ctx.relay is not None else 1


def _entries(ctx: NetContext, url: Callable[[Channel], str]) -> list[dict]:
    return hdhr.lineup(ctx.current_lineup(), url, frozenset(ctx.favourites()))


# -- at the root, as a real HDHomeRun: only while the switch is on --------------------------------------
def tuner_on(ctx: NetContext) -> None:
    if not ctx.network_tuner():
        raise NotFound("this box is not offered as a network tuner (Settings: Offer this box as a network tuner)")


def _root_url(request: Request) -> Callable[[Channel], str]:
    base = base_url(request)
    return lambda c: f"{base}/auto/v{c.number}"


root = problems(404)


@router.get("/discover.json", responses=root, summary="The network tuner's description (switch on)")
async def discover(request: Request, ctx: Ctx) -> dict:
    tuner_on(ctx)
    return hdhr.discover(ctx.box_info(), base_url(request), _tuners(ctx))


@router.get("/lineup.json", responses=root, summary="The network tuner's channels, tokenless stream URLs (switch on)")
async def lineup_json(request: Request, ctx: Ctx) -> list[dict]:
    tuner_on(ctx)
    return _entries(ctx, _root_url(request))


@router.get("/lineup.xml", response_class=Response, responses=root, summary="The same channels as XML (switch on)")
async def lineup_xml(request: Request, ctx: Ctx) -> Response:
    tuner_on(ctx)
    return Response(hdhr.lineup_xml(_entries(ctx, _root_url(request))), media_type=XML_MIME, headers=NO_STORE)


@router.get("/lineup.m3u", response_class=PlainTextResponse, responses=root,
            summary="The same channels as M3U (switch on)")  # fmt: skip
async def lineup_m3u(request: Request, ctx: Ctx) -> Response:
    tuner_on(ctx)
    return Response(hdhr.lineup_m3u(_entries(ctx, _root_url(request))), media_type=M3U_MIME, headers=NO_STORE)


@router.get("/lineup_status.json", responses=root, summary="Scan status: never scanning (switch on)")
async def lineup_status(ctx: Ctx) -> dict:
    tuner_on(ctx)
    return hdhr.STATUS


@router.post("/lineup.post", response_class=Response, responses=root,
             summary="Plex's channel scan (scan=start|abort): the line-up is known, 200 (switch on)")  # fmt: skip
async def lineup_post(ctx: Ctx, scan: str | None = None, source: str | None = None) -> Response:
    tuner_on(ctx)
    return Response(status_code=200)


@router.get("/device.xml", response_class=Response, responses=root, summary="UPnP device description (switch on)")
async def device_xml(request: Request, ctx: Ctx) -> Response:
    tuner_on(ctx)
    return Response(hdhr.device_xml(ctx.box_info(), base_url(request)), media_type=XML_MIME, headers=NO_STORE)


@router.get("/auto/v{number}", response_class=StreamingResponse, responses=streams,
            summary="A channel by number, tokenless, through the relay (switch on; ?transcode= ignored)")  # fmt: skip
async def auto_stream(ctx: Ctx, number: int = Number, transcode: str | None = None) -> StreamingResponse:
    tuner_on(ctx)
    channel = ctx.current_lineup().by_number(number)
    if channel is None or channel.radio:
        raise NotFound(f"no TV channel number {number}")
    try:
        body = await ctx.the_relay().open_channel(channel.id)
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    return StreamingResponse(body, media_type=TS_MIME, headers={"Cache-Control": "no-store"})


# -- /hdhr/{token}/…: the URL the user pastes, always there ---------------------------------------------
def hdhr_token(ctx: NetContext, token: str) -> str | None:
    """The token in the tuner's URL path, checked; "open" stands for none on an open LAN."""
    value = None if token == "open" else token[:128]
    check_token(ctx, value)
    return None if ctx.open_on_lan() else value


def _token_url(request: Request, value: str | None) -> Callable[[Channel], str]:
    base = base_url(request)
    return lambda c: stream_url(base, c.id, value)


scoped = problems(401, 404)


@router.get(
    "/hdhr/{token}/discover.json", responses=scoped, summary="HDHomeRun tuner description (Plex, Jellyfin, Emby)"
)
async def hdhr_discover(token: str, request: Request, ctx: Ctx) -> dict:
    value = hdhr_token(ctx, token)
    return hdhr.discover(ctx.box_info(), hdhr_base(base_url(request), value), _tuners(ctx))


@router.get("/hdhr/{token}/lineup.json", responses=scoped, summary="HDHomeRun channel list")
async def hdhr_lineup(token: str, request: Request, ctx: Ctx) -> list[dict]:
    return _entries(ctx, _token_url(request, hdhr_token(ctx, token)))


@router.get(
    "/hdhr/{token}/lineup.xml", response_class=Response, responses=scoped, summary="HDHomeRun channel list (XML)"
)
async def hdhr_lineup_xml(token: str, request: Request, ctx: Ctx) -> Response:
    entries = _entries(ctx, _token_url(request, hdhr_token(ctx, token)))
    return Response(hdhr.lineup_xml(entries), media_type=XML_MIME, headers=NO_STORE)


@router.get("/hdhr/{token}/lineup.m3u", response_class=PlainTextResponse, responses=scoped,
            summary="HDHomeRun channel list (M3U)")  # fmt: skip
async def hdhr_lineup_m3u(token: str, request: Request, ctx: Ctx) -> Response:
    entries = _entries(ctx, _token_url(request, hdhr_token(ctx, token)))
    return Response(hdhr.lineup_m3u(entries), media_type=M3U_MIME, headers=NO_STORE)


@router.get("/hdhr/{token}/lineup_status.json", responses=scoped, summary="HDHomeRun scan status (never scanning)")
async def hdhr_status(token: str, ctx: Ctx) -> dict:
    hdhr_token(ctx, token)
    return hdhr.STATUS


@router.post("/hdhr/{token}/lineup.post", response_class=Response, responses=scoped,
             summary="Plex's channel scan: the line-up is already known, 200")  # fmt: skip
async def hdhr_lineup_post(token: str, ctx: Ctx, scan: str | None = None, source: str | None = None) -> Response:
    hdhr_token(ctx, token)
    return Response(status_code=200)


@router.get("/hdhr/{token}/device.xml", response_class=Response, responses=scoped, summary="UPnP device description")
async def hdhr_device_xml(token: str, request: Request, ctx: Ctx) -> Response:
    value = hdhr_token(ctx, token)
    xml = hdhr.device_xml(ctx.box_info(), hdhr_base(base_url(request), value))
    return Response(xml, media_type=XML_MIME, headers=NO_STORE)
