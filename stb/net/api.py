"""The box's HTTP API under /api/v1 (FastAPI): box info, pairing, line-up, state, actions, guide, events.

Everything but `GET /box` and pairing needs a token (`Authorization: Bearer …`, or `?token=` for
players that cannot send headers), unless the household turned "open on this LAN" on. Requests
whose Host is a DNS name other than `localhost` or `*.local` are refused, so a web page on the
internet cannot reach the box by rebinding its own name to the box's address. Errors are problem
JSON (RFC 9457). Calls that change or read the Box run on the UI thread through the command queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from stb import __version__
from stb.lineup.model import Lineup
from stb.net import exports
from stb.net.auth import Auth, AuthError, Device
from stb.net.commands import CommandQueue
from stb.relay.relay import Relay, RelayBusy, UpstreamDown

API = "/api/v1"
EVENT_QUEUE = 256  # events kept for a slow event-stream client before it is dropped
KEEPALIVE_S = 15.0
TS_MIME = "video/mp2t"


@dataclass
class NetContext:
    """What the API needs from the box, with the calls that must run on the UI thread."""

    box_info: Callable[[], dict]  # id, name, model… (plain data, safe to read from any thread)
    commands: CommandQueue
    auth: Auth
    box: Any  # the object whose methods the commands call on the UI thread (the App)
    guide: Callable[[], Any]  # a Guide for the network thread, or None
    open_on_lan: Callable[[], bool]
    relay: Relay | None = None
    lineup: Callable[[], Lineup] | None = None  # the exports read it from the network thread (replaced whole)
    hub: EventHub = field(default_factory=lambda: EventHub())


class EventHub:
    """Box events to every event-stream client; a client that stops reading is dropped, not waited for."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue] = set()
        self.dropped: set[asyncio.Queue] = set()  # too slow: their stream ends

    def publish(self, kind: str, data: dict) -> None:
        """From any thread."""
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the box is stopping
                loop.call_soon_threadsafe(self._fan_out, kind, data)

    def _fan_out(self, kind: str, data: dict) -> None:
        for q in list(self._clients):
            try:
                q.put_nowait((kind, data))
            except asyncio.QueueFull:
                self._clients.discard(q)
                self.dropped.add(q)

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(EVENT_QUEUE)
        self._clients.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._clients.discard(q)
        self.dropped.discard(q)

    @property
    def clients(self) -> int:
        return len(self._clients)


# -- request bodies ----------------------------------------------------------------------------------------
class PairRequest(BaseModel):
    name: str = Field(min_length=1, max_length=60, description="How the TV lists this device.")


class PairCode(BaseModel):
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$", description="The 6 digits on the TV.")


class Zap(BaseModel):
    id: str | None = Field(None, max_length=128)
    number: int | None = Field(None, ge=1, le=99999)
    direction: Literal["up", "down", "last"] | None = None


class Key(BaseModel):
    action: str = Field(min_length=1, max_length=40, description="A keymap action, e.g. 'guide' or 'digit_5'.")


class Play(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="A stream URL of one of the line-up's channels.")


class Volume(BaseModel):
    volume: int | None = Field(None, ge=0, le=100)
    delta: int | None = Field(None, ge=-100, le=100)
    muted: bool | None = None


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail}, status,
                        headers=headers, media_type="application/problem+json")  # fmt: skip


def host_allowed(host_header: str | None) -> bool:
    """IP literals, localhost and *.local names only: a DNS name of someone else's is a rebinding attempt."""
    if not host_header:
        return False
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostCheck:
    """Refuses a Host that is someone else's DNS name (421), before any route runs.

    Plain ASGI rather than ``@app.middleware``: Starlette's BaseHTTPMiddleware cancels a streaming
    response (the relay's, the event stream) when it is not read at once.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
            if not host_allowed(host):
                response = problem(421, "Wrong host", "use the box's address or its .local name")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(ctx: NetContext) -> FastAPI:
    app = FastAPI(
        title="stb box API", version=__version__, openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None
    )  # fmt: skip  (no docs UI: it would load scripts from a CDN)

    app.add_middleware(HostCheck)

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, "Error", str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_problem(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return problem(422, "Invalid request", f"{where}: {first['msg']}")

    @app.exception_handler(AuthError)
    async def auth_problem(request: Request, exc: AuthError):
        headers = {"Retry-After": str(int(exc.retry_after) + 1)} if exc.retry_after else None
        return problem(exc.status, exc.title, exc.detail, headers)

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError):
        return problem(404, "Not found", str(exc.args[0] if exc.args else exc))

    @app.exception_handler(RelayBusy)
    async def relay_busy(request: Request, exc: RelayBusy):
        return problem(503, "Relay busy", str(exc), {"Retry-After": "10"})

    @app.exception_handler(UpstreamDown)
    async def upstream_down(request: Request, exc: UpstreamDown):
        return problem(502, "Channel unavailable", str(exc))

    @app.exception_handler(TimeoutError)
    async def busy(request: Request, exc: TimeoutError):
        return problem(503, "Box busy", "the box did not answer in time; try again")

    def presented_token(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header[7:] if header.lower().startswith("bearer ") else request.query_params.get("token")

    def check_token(value: str | None) -> Device | None:
        if ctx.open_on_lan():
            return None
        device = ctx.auth.check(value)
        if device is None:
            raise AuthError(401, "Not paired", "pair this device first (the TV shows a code)")
        return device

    async def token(request: Request) -> Device | None:
        return check_token(presented_token(request))

    authed = [Depends(token)]

    @app.get(f"{API}/box", summary="Who this box is (public)")
    async def box() -> dict:
        return ctx.box_info()

    @app.post(f"{API}/pairing", status_code=202, summary="Ask to pair: the TV shows a 6-digit code")
    async def pair_begin(body: PairRequest) -> dict:
        pending = ctx.auth.begin(body.name)
        return {"pairing_id": pending.id, "expires_in": round(pending.expires_at - time.time())}

    @app.post(f"{API}/pairing/{{pairing_id}}", summary="Send the code from the TV; returns the token once")
    async def pair_complete(pairing_id: str, body: PairCode) -> dict:
        device, secret = ctx.auth.complete(pairing_id[:64], body.code)
        ctx.hub.publish("devices", {"paired": device.name})
        return {"token": secret, "device_id": device.id, "name": device.name}

    @app.get(f"{API}/devices", dependencies=authed, summary="Paired devices")
    async def devices() -> list[dict]:
        return [{"id": d.id, "name": d.name, "paired_at": d.paired_at, "last_seen": d.last_seen}
                for d in ctx.auth.devices()]  # fmt: skip

    @app.delete(f"{API}/devices/{{device_id}}", dependencies=authed, status_code=204, summary="Revoke a device")
    async def revoke(device_id: str) -> None:
        if not ctx.auth.revoke(device_id[:64]):
            raise LookupError(f"no paired device {device_id[:64]!r}")

    @app.get(f"{API}/lineup", dependencies=authed, summary="The channels (without stream URLs)")
    async def lineup() -> list[dict]:
        return await ctx.commands.call(ctx.box.api_lineup)

    @app.get(f"{API}/state", dependencies=authed, summary="Channel, playback, volume")
    async def state() -> dict:
        return await ctx.commands.call(ctx.box.api_state)

    @app.post(f"{API}/actions/zap", dependencies=authed, summary="Zap by id, number, or up/down/last")
    async def zap(body: Zap) -> dict:
        if sum(v is not None for v in (body.id, body.number, body.direction)) != 1:
            raise AuthError(422, "Invalid request", "give exactly one of id, number, direction")
        return await ctx.commands.call(ctx.box.api_zap, body.id, body.number, body.direction)

    @app.post(f"{API}/actions/play", dependencies=authed, summary="Put the line-up channel with this URL on the TV")
    async def play(body: Play) -> dict:
        return await ctx.commands.call(ctx.box.api_play, body.url)

    @app.post(f"{API}/actions/key", dependencies=authed, summary="Press a remote key (a keymap action)")
    async def key(body: Key) -> dict:
        return await ctx.commands.call(ctx.box.api_key, body.action)

    @app.post(f"{API}/actions/volume", dependencies=authed, summary="Set, change or mute the volume")
    async def volume(body: Volume) -> dict:
        return await ctx.commands.call(ctx.box.api_volume, body.volume, body.delta, body.muted)

    @app.get(f"{API}/guide/now", dependencies=authed, summary="Now and next, for all or some channels")
    async def guide_now(channel: list[str] | None = Query(None, max_length=1000)) -> dict:  # noqa: B008
        guide = ctx.guide()
        if guide is None:
            return {}
        pairs = guide.now_next(channel_ids=channel)
        return {cid: {"now": a.as_dict() if a else None, "next": b.as_dict() if b else None}
                for cid, (a, b) in pairs.items()}  # fmt: skip

    @app.get(f"{API}/guide/window", dependencies=authed, summary="Programmes of channels over a time span")
    async def guide_window(channel: list[str] = Query(..., max_length=100), start: float = Query(...),  # noqa: B008
                           hours: float = Query(4, gt=0, le=48)) -> dict:  # fmt: skip
        guide = ctx.guide()
        rows = guide.window(channel, start, start + hours * 3600) if guide is not None else {}
        return {cid: [p.as_dict() for p in programmes] for cid, programmes in rows.items()}

    @app.get(f"{API}/guide/search", dependencies=authed, summary="Search titles and descriptions")
    async def guide_search(q: str = Query(min_length=1, max_length=200), limit: int = Query(50, ge=1, le=200)):
        guide = ctx.guide()
        return [p.as_dict() for p in guide.search(q, limit=limit)] if guide is not None else []

    @app.get(f"{API}/events", dependencies=authed, summary="Server-sent events: channel, playback, volume, guide")
    async def events(request: Request) -> StreamingResponse:
        queue = ctx.hub.subscribe()

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                while queue not in ctx.hub.dropped or not queue.empty():
                    try:
                        kind, data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield b": keep-alive\n\n"
                        continue
                    yield f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
            finally:
                ctx.hub.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    def relay() -> Relay:
        if ctx.relay is None:
            raise StarletteHTTPException(404, "this box does not relay streams")
        return ctx.relay

    ts_response = {200: {"content": {TS_MIME: {}}, "description": "MPEG-TS, until the client leaves"}}

    @app.get("/stream/live", dependencies=authed, response_class=StreamingResponse, responses=ts_response,
             summary="What the TV shows, following its zaps in one connection (MPEG-TS)")  # fmt: skip
    async def stream_live() -> StreamingResponse:
        return StreamingResponse(relay().live_stream(), media_type=TS_MIME, headers={"Cache-Control": "no-store"})

    @app.get("/stream/channel/{channel_id}", dependencies=authed, response_class=StreamingResponse,
             responses=ts_response, summary="Any channel of the line-up, independent of the TV (MPEG-TS)")  # fmt: skip
    async def stream_channel(channel_id: str) -> StreamingResponse:
        body = await relay().open_channel(channel_id[:128])
        return StreamingResponse(body, media_type=TS_MIME, headers={"Cache-Control": "no-store"})

    @app.get(f"{API}/relay", dependencies=authed, summary="Relayed channels and clients")
    async def relay_stats() -> dict:
        return relay().stats()

    # -- exports for the apps people already use (token in the URL: they cannot send headers) -----------
    def lineup_now() -> Lineup:
        if ctx.lineup is None:
            raise StarletteHTTPException(404, "this box does not export its line-up")
        return ctx.lineup()

    def base_url(request: Request) -> str:
        return f"{request.url.scheme}://{request.headers['host']}"  # checked by HostCheck: ours to echo

    def url_token(request: Request) -> str | None:
        return None if ctx.open_on_lan() else presented_token(request)

    @app.get("/playlist.m3u", dependencies=authed, response_class=PlainTextResponse,
             summary="The line-up as M3U for VLC or Kodi IPTV Simple, streams through the relay")  # fmt: skip
    async def playlist_m3u(request: Request) -> PlainTextResponse:
        text = exports.playlist(lineup_now(), base_url(request), url_token(request))
        return PlainTextResponse(text, media_type="audio/x-mpegurl", headers={"Cache-Control": "no-store"})

    @app.get("/xmltv.xml", dependencies=authed, response_class=StreamingResponse,
             responses={200: {"content": {"application/xml": {}}, "description": "XMLTV"}},
             summary="The guide as XMLTV, channel ids as in /playlist.m3u")  # fmt: skip
    async def xmltv_xml() -> StreamingResponse:
        pieces = exports.xmltv(ctx.guide(), lineup_now(), time.time())

        async def stream() -> AsyncIterator[bytes]:
            for piece in pieces:  # one channel at a time, on this thread (the guide's connection is ours)
                yield piece
                await asyncio.sleep(0)

        return StreamingResponse(stream(), media_type="application/xml", headers={"Cache-Control": "no-store"})

    def hdhr_token(token: str) -> str | None:
        """The token in the tuner's URL path, checked; "open" stands for none on an open LAN."""
        value = None if token == "open" else token[:128]
        check_token(value)
        return None if ctx.open_on_lan() else value

    @app.get("/hdhr/{token}/discover.json", summary="HDHomeRun tuner description (Plex, Jellyfin, Emby)")
    async def hdhr_discover(token: str, request: Request) -> dict:
        value = hdhr_token(token)
        tuners = ctx.relay.max_upstreams if ctx.relay is not None else 1
        return exports.hdhr_discover(ctx.box_info(), base_url(request), value, tuners)

    @app.get("/hdhr/{token}/lineup.json", summary="HDHomeRun channel list")
    async def hdhr_lineup(token: str, request: Request) -> list[dict]:
        return exports.hdhr_lineup(lineup_now(), base_url(request), hdhr_token(token))

    @app.get("/hdhr/{token}/lineup_status.json", summary="HDHomeRun scan status (never scanning)")
    async def hdhr_status(token: str) -> dict:
        hdhr_token(token)
        return exports.HDHR_STATUS

    return app
