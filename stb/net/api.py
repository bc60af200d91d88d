"""The box's HTTP API under /api/v1 (FastAPI): box info, pairing, line-up, state, actions, guide, events.

Everything but `GET /box` and pairing needs a token (`Authorization: Bearer …`, or `?token=` for
players that cannot send headers; the streams also take a short-lived signed URL, see
:mod:`stb.net.signed`), unless the household turned "open on this LAN" on. Requests
whose Host is a DNS name other than `localhost` or `*.local` are refused, so a web page on the
internet cannot reach the box by rebinding its own name to the box's address. Errors are problem
JSON (RFC 9457). Calls that change or read the Box run on the UI thread through the command queue.

The OpenAPI document states every answer's body and every status code a route can give, errors as
``application/problem+json``, so a client generated from it (and the schemathesis fuzz in the tests)
can rely on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException

from stb import __version__
from stb.actions import ACTIONS
from stb.commands import CommandQueue
from stb.errors import NotFound
from stb.lan.auth import Auth, AuthError, Device
from stb.lineup.logo import fetch as fetch_logo
from stb.lineup.model import ChannelId, Lineup
from stb.net import exports
from stb.net.signed import (
    DEFAULT_LIFETIME_S,
    MAX_LIFETIME_S,
    STREAM_PATH_PATTERN,
    SignatureError,
    StreamSigner,
    scope_of,
)
from stb.relay.errors import ChannelLocked, NothingLive, RelayBusy, UpstreamDown
from stb.relay.relay import Relay
from stb.skin.theme import Theme
from stb.streams import TITLE_MAX, TITLE_PATTERN, URL_PATTERN, fling_problem
from stb.web.routes import add_page

log = logging.getLogger(__name__)

API = "/api/v1"
EVENT_QUEUE = 256  # events kept for a slow event-stream client before it is dropped
KEEPALIVE_S = 15.0
REVOCATION_CHECK_S = 1.0  # an event stream notices its device was removed on the TV within this
TS_MIME = "video/mp2t"
HLS_MIME = "application/vnd.apple.mpegurl"
M3U_MIME = "audio/x-mpegurl"
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
LOGO_CACHE = 512  # logos kept in memory (each at most stb/lineup/logo.MAX_BYTES); a failure is kept too
LOGO_RETRY_S = 600.0


def image_type(data: bytes) -> str | None:
    """PNG, JPEG, GIF or WebP by their magic bytes; anything else (SVG with scripts, HTML) is not served."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


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
    signer: StreamSigner | None = None  # signed stream URLs (None: the box gives none out)
    theme: Callable[[], Theme] | None = None  # the active skin's look, for the web page (None: no page)
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
def _whole(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; strict pydantic would not (it still refuses "5" and true)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class JsonInt:
    """``JsonInt[low, high]``: an integer in a strict body, bounds first (after the validator, pydantic would
    write them into the document as unknown "ge"/"le" keys inside ``| None``)."""

    def __class_getitem__(cls, bounds: tuple[int, int]) -> Any:
        return Annotated[int, Field(ge=bounds[0], le=bounds[1]), BeforeValidator(_whole)]


class _Body(BaseModel):
    """Strict, closed bodies: ``"muted": 0`` or an unknown field is a 422, as the document says, not a guess."""

    model_config = ConfigDict(strict=True, extra="forbid")


class PairRequest(_Body):
    # A visible character, as the document says: the box refuses a name of only spaces (the TV would list nothing).
    name: str = Field(min_length=1, max_length=60, pattern=r"\S", description="How the TV lists this device.")


class PairCode(_Body):
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$", description="The 6 digits on the TV.")


class ZapById(_Body):
    id: str = Field(min_length=1, max_length=128)


class ZapByNumber(_Body):
    number: JsonInt[1, 99999]


class Play(_Body):
    url: str = Field(max_length=2048, pattern=URL_PATTERN,
                     description="A line-up channel's stream URL (zaps to it), or any other http, https, udp or rtp "
                     "stream, played until the next zap and never saved.")  # fmt: skip
    title: str | None = Field(None, max_length=TITLE_MAX, pattern=TITLE_PATTERN,
                              description="The banner's title for a stream not in the line-up; "
                              "left out: the URL's last path part or host.")  # fmt: skip

    @field_validator("url", mode="before")
    @classmethod
    def _stream_url(cls, value: Any) -> Any:
        """The scheme named in one sentence, rather than the pattern."""
        problem = fling_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise PydanticCustomError("stream_url", problem)
        return value


class Handoff(_Body):
    channel: str | None = Field(None, min_length=1, max_length=128,
                                description="The channel id this device took; when the TV shows another one by "
                                "now, it stays on.")  # fmt: skip


class StreamUrlRequest(_Body):
    path: str = Field(max_length=300, pattern=STREAM_PATH_PATTERN, description="/stream/live, /stream/channel/ID, "
                      "/hls/live/index.m3u8 or /hls/channel/ID/index.m3u8 (a segment's path works too)")  # fmt: skip
    expires_in: JsonInt[10, MAX_LIFETIME_S] = Field(DEFAULT_LIFETIME_S, description="Seconds to start playing it in.")

    @field_validator("path", mode="before")
    @classmethod
    def _a_stream(cls, value: Any) -> Any:
        """One short sentence instead of the whole pattern."""
        if isinstance(value, str) and scope_of(value) is None:
            raise PydanticCustomError("stream_path", "not a stream path: /stream/… or /hls/…/index.m3u8")
        return value


class ZapByDirection(_Body):
    direction: Literal["up", "down", "last"]


def _zap_kind(body: Any) -> str | None:
    """Which of the three a body means, so a mistake is reported against that one only."""
    if isinstance(body, dict):
        return next((key for key in ("id", "number", "direction") if key in body), None)
    return next((key for key in ("id", "number", "direction") if hasattr(body, key)), None)


# Exactly one of id, number, direction: three closed bodies, which JSON Schema can say (oneOf).
Zap = Annotated[
    Annotated[ZapById, Tag("id")] | Annotated[ZapByNumber, Tag("number")] | Annotated[ZapByDirection, Tag("direction")],
    Discriminator(_zap_kind, custom_error_type="zap", custom_error_message="give one of id, number, direction"),
]


# Every keymap action but quit: the document lists them, so a client (and the fuzz) knows what a remote can press.
RemoteKey = Literal[tuple(sorted(ACTIONS - {"quit"}))]  # type: ignore[valid-type]


class Key(_Body):
    action: RemoteKey = Field(description="A keymap action, e.g. 'guide' or 'digit_5'.")

    @field_validator("action", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        """One short sentence instead of pydantic's list of all 40 keys."""
        if value not in get_args(RemoteKey):
            raise PydanticCustomError("remote_key", "no remote key '{key}' (the document lists them)", {"key": value})
        return value


class Volume(_Body):
    volume: JsonInt[0, 100] | None = None
    delta: JsonInt[-100, 100] | None = Field(None, description="Ignored when volume is given.")
    muted: bool | None = None


class Standby(_Body):
    on: bool | None = Field(None, description="true: standby, false: wake up; left out: the other way round.")


# -- answers ------------------------------------------------------------------------------------------------
class Problem(BaseModel):
    """An error (RFC 9457): ``title`` names the kind, ``detail`` says what to do."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class StreamUrl(BaseModel):
    url: str = Field(description="The path with sig, exp and dev in its query; relative to the box's address.")
    expires: int = Field(description="Unix time by which a player must start with it (it then keeps working).")


class BoxInfo(BaseModel):
    id: str
    name: str
    model: str
    version: str
    api: str
    capabilities: list[str]
    pairing_required: bool


class PairingStarted(BaseModel):
    pairing_id: str
    expires_in: int = Field(description="Seconds the code on the TV stays valid.")


class Paired(BaseModel):
    token: str = Field(description="Shown once: send it as `Authorization: Bearer …` (or `?token=`).")
    device_id: str
    name: str


class PairedDevice(BaseModel):
    id: str
    name: str
    paired_at: float
    last_seen: float


class ChannelRef(BaseModel):
    id: str
    number: int
    name: str


class LineupChannel(ChannelRef):
    groups: list[str]
    radio: bool
    has_logo: bool


class Stream(BaseModel):
    """A stream flung to the TV that is not in the line-up (its URL is not repeated: it may carry credentials)."""

    title: str
    host: str


class State(BaseModel):
    channel: ChannelRef | None = Field(description="The line-up channel on the TV; null for a flung stream.")
    stream: Stream | None = Field(None, description="A flung stream the TV plays instead of a line-up channel.")
    playback: Literal["idle", "connecting", "playing", "stalled", "failed"]
    volume: int = Field(ge=0, le=100)
    muted: bool
    locked: bool = Field(description="The parental lock hides this channel until the PIN is typed on the TV.")
    standby: bool = Field(description="Dark screen, nothing playing; a zap or standby off wakes the box.")


class HandedOff(BaseModel):
    standby: bool = Field(description="The TV is in standby now.")
    reason: str = Field(description="Why, in one sentence: the setting, or the TV moved on meanwhile.")
    state: State


class Programme(BaseModel):
    id: int
    channel: str
    start: int
    stop: int
    title: str
    sub_title: str | None
    description: str | None
    categories: list[str]
    episode_ns: str | None
    episode_onscreen: str | None
    icon: str | None
    rating_system: str | None
    rating: str | None
    star_rating: str | None
    is_new: bool
    previously_shown: bool
    language: str | None


class NowNext(BaseModel):
    now: Programme | None
    next: Programme | None


MAX_BODY = 64 * 1024  # bytes: every body this API takes is a few dozen
MAX_REQUESTS = 128  # in progress at once (event and relay streams included); past it, 503
MAX_IDS = 200  # channel ids in one query: ~28 KB of URL at most, well under the server's request-head limit
BODY = (400, 413)  # what a route with a body can add: not JSON, too large

PROBLEMS = {
    400: "The body is not JSON",
    413: f"The body is over {MAX_BODY // 1024} KiB",
    401: "Not paired: no token, or a revoked one; or a signed stream URL that is altered, expired or revoked",
    403: "Wrong pairing code, or a channel the parental lock keeps from other screens",
    404: "No such thing (channel, key, pairing, device, HLS segment)",
    409: "Busy: another device is pairing, or too many devices",
    410: "The pairing code expired",
    421: "The Host header names someone else's domain (DNS rebinding)",
    422: "The request does not match this document",
    429: "Pairing locked out after wrong codes (see Retry-After)",
    502: "The channel's source sends nothing (the detail says what it last said)",
    503: "The box did not answer in time, every relay slot is taken, or the TV shows nothing to relay (Retry-After)",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can fail with ``codes`` (421 and 422 always can; 400 with a body)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {code: {"description": PROBLEMS[code], "content": {"application/problem+json": {"schema": schema}}}
            for code in sorted({421, 422, *codes})}  # fmt: skip


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail}, status,
                        headers=headers, media_type="application/problem+json")  # fmt: skip


Seq = Annotated[int, Path(ge=0, le=10**15, description="The segment's media sequence number")]


@dataclass(frozen=True)
class StreamAccess:
    """Who asked for a stream, and the credentials a playlist hands on to its segments ("?token=…", "?sig=…")."""

    device: Device | None
    query: str = ""


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


class Gate:
    """What every request passes before any route: a Host that is someone else's DNS name gets 421, a body
    over MAX_BODY 413 (by its Content-Length, or as a chunked body arrives), and a request past
    MAX_REQUESTS in progress 503, each as problem JSON.

    Plain ASGI rather than ``@app.middleware``: Starlette's BaseHTTPMiddleware cancels a streaming
    response (the relay's, the event stream) when it is not read at once.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.in_progress = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), None)
        length = next((v.decode("latin-1") for k, v in headers if k == b"content-length"), "0")
        if not host_allowed(host):
            await problem(421, "Wrong host", "use the box's address or its .local name")(scope, receive, send)
            return
        if not length.isdigit() or int(length) > MAX_BODY:  # FastAPI would read any size into memory
            await _too_large()(scope, receive, send)
            return
        if self.in_progress >= MAX_REQUESTS:
            busy = problem(503, "Box busy", f"{MAX_REQUESTS} requests are in progress; try again in a moment",
                           {"Retry-After": "1"})  # fmt: skip
            await busy(scope, receive, send)
            return
        self.in_progress += 1
        try:
            if any(k == b"transfer-encoding" for k, _ in headers):  # chunked: no length to check beforehand
                replay = await _capped_body(receive)
                if replay is None:
                    await _too_large()(scope, receive, send)
                    return
                receive = replay
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1


def _too_large() -> JSONResponse:
    """413, and the connection closed: the rest of the body is not read."""
    return problem(413, "Too large", f"a request body here is at most {MAX_BODY} bytes", {"Connection": "close"})


async def _capped_body(receive):
    """Read a body without a length up to MAX_BODY; a ``receive`` that replays it, or None when it is longer."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return None
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> dict:
        return messages.pop(0) if messages else await receive()

    return replay


_BEARER = HTTPBearer(auto_error=False, description="The token from pairing.")
_IN_QUERY = APIKeyQuery(name="token", auto_error=False, description="The token, for players that cannot send headers.")


def create_app(ctx: NetContext) -> FastAPI:
    app = FastAPI(
        title="stb box API", version=__version__, openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None
    )  # fmt: skip  (no docs UI: it would load scripts from a CDN)

    def openapi() -> dict[str, Any]:
        """FastAPI's document, plus the Problem schema every error response refers to."""
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(Gate)

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

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return problem(404, "Not found", str(exc.args[0] if exc.args else exc))

    @app.exception_handler(RelayBusy)
    async def relay_busy(request: Request, exc: RelayBusy):
        return problem(503, "Relay busy", str(exc), {"Retry-After": "10"})

    @app.exception_handler(ChannelLocked)
    async def channel_locked(request: Request, exc: ChannelLocked):
        return problem(403, "Locked", str(exc))

    @app.exception_handler(NothingLive)
    async def nothing_live(request: Request, exc: NothingLive):
        return problem(503, "Nothing live", str(exc), {"Retry-After": "10"})

    @app.exception_handler(UpstreamDown)
    async def upstream_down(request: Request, exc: UpstreamDown):
        return problem(502, "Channel unavailable", str(exc))

    @app.exception_handler(TimeoutError)
    async def busy(request: Request, exc: TimeoutError):
        return problem(503, "Box busy", "the box did not answer in time; try again")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        """A bug: still problem JSON for the client (the traceback goes to the log)."""
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return problem(500, "Box error", "the box could not do that; the log says why")

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

    async def token(
        header: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
        query: Annotated[str | None, Security(_IN_QUERY)],
    ) -> Device | None:
        return check_token(header.credentials if header is not None else query)

    authed = [Depends(token)]

    async def stream_access(
        request: Request,
        header: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
        query: Annotated[str | None, Security(_IN_QUERY)],
        sig: Annotated[str | None, Query(max_length=64, description="A signed URL's signature")] = None,
        exp: Annotated[int | None, Query(ge=0, le=2**40, description="A signed URL's expiry (Unix time)")] = None,
        dev: Annotated[str | None, Query(max_length=64, description="A signed URL's device")] = None,
    ) -> StreamAccess:
        """A token (header or ``?token=``) or a signed URL from ``POST /api/v1/stream-urls``."""
        if header is not None:
            return StreamAccess(check_token(header.credentials))
        if query is not None:
            return StreamAccess(check_token(query), "?" + urlencode({"token": query}))
        if (sig is None and exp is None and dev is None) or ctx.open_on_lan():
            return StreamAccess(check_token(None))
        if sig is None or exp is None or dev is None or ctx.signer is None:
            raise AuthError(401, "Bad stream URL", "a signed stream URL has sig, exp and dev; this one lacks some")
        try:
            device_id = ctx.signer.verify(request.url.path, sig, exp, dev)
        except SignatureError as exc:
            raise AuthError(401, "Bad stream URL", str(exc)) from None
        device = ctx.auth.device(device_id)
        if device is None:
            raise AuthError(401, "Not paired", "the device this stream URL was signed for was removed; pair it again")
        return StreamAccess(device, "?" + urlencode({"sig": sig, "exp": exp, "dev": dev}))

    stream_auth = Depends(stream_access)

    @app.get(f"{API}/box", summary="Who this box is (public)", responses=problems())
    async def box() -> BoxInfo:
        return BoxInfo(**ctx.box_info())

    @app.post(f"{API}/pairing", status_code=202, summary="Ask to pair: the TV shows a 6-digit code",
              responses=problems(*BODY, 409, 429))  # fmt: skip
    async def pair_begin(body: PairRequest) -> PairingStarted:
        pending = ctx.auth.begin(body.name)
        return PairingStarted(pairing_id=pending.id, expires_in=round(pending.expires_at - ctx.auth.clock()))

    @app.post(f"{API}/pairing/{{pairing_id}}", summary="Send the code from the TV; returns the token once",
              responses=problems(*BODY, 403, 404, 409, 410, 429))  # fmt: skip
    async def pair_complete(pairing_id: str, body: PairCode) -> Paired:
        device, secret = ctx.auth.complete(pairing_id[:64], body.code)
        ctx.hub.publish("devices", {"paired": device.name})
        return Paired(token=secret, device_id=device.id, name=device.name)

    @app.get(f"{API}/devices", dependencies=authed, summary="Paired devices", responses=problems(401))
    async def devices() -> list[PairedDevice]:
        return [PairedDevice(id=d.id, name=d.name, paired_at=d.paired_at, last_seen=d.last_seen)
                for d in ctx.auth.devices()]  # fmt: skip

    @app.delete(f"{API}/devices/{{device_id}}", dependencies=authed, status_code=204, response_class=Response,
                summary="Revoke a device", responses=problems(401, 404))  # fmt: skip
    async def revoke(device_id: str) -> Response:
        if not ctx.auth.revoke(device_id[:64]):
            raise NotFound(f"no paired device {device_id[:64]!r}")
        return Response(status_code=204)

    @app.get(f"{API}/lineup", dependencies=authed, summary="The channels (without stream URLs)",
             responses=problems(401, 503))  # fmt: skip
    async def lineup() -> list[LineupChannel]:
        return await ctx.commands.call(ctx.box.api_lineup)

    @app.get(f"{API}/state", dependencies=authed, summary="Channel, playback, volume", responses=problems(401, 503))
    async def state() -> State:
        return await ctx.commands.call(ctx.box.api_state)

    @app.post(f"{API}/actions/zap", dependencies=authed, summary="Zap by id, number, or up/down/last",
              responses=problems(*BODY, 401, 404, 503))  # fmt: skip
    async def zap(body: Zap) -> State:
        how = (getattr(body, "id", None), getattr(body, "number", None), getattr(body, "direction", None))
        return await ctx.commands.call(ctx.box.api_zap, *how)

    @app.post(f"{API}/actions/play", dependencies=authed, summary="Put a stream URL on the TV (fling)",
              responses=problems(*BODY, 401, 503))  # fmt: skip
    async def play(body: Play) -> State:
        return await ctx.commands.call(ctx.box.api_play, body.url, body.title)

    @app.post(f"{API}/actions/handoff", dependencies=authed, responses=problems(*BODY, 401, 503),
              summary="This device took the programme over (stb take): standby if Settings say so")  # fmt: skip
    async def handoff(body: Handoff, request: Request) -> HandedOff:
        device = check_token(presented_token(request))  # who took it, for the TV's notice
        return await ctx.commands.call(ctx.box.api_handoff, body.channel, device.name if device else None)

    @app.post(f"{API}/actions/key", dependencies=authed, summary="Press a remote key (a keymap action)",
              responses=problems(*BODY, 401, 404, 503))  # fmt: skip
    async def key(body: Key) -> State:
        return await ctx.commands.call(ctx.box.api_key, body.action)

    @app.post(f"{API}/actions/volume", dependencies=authed, summary="Set, change or mute the volume",
              responses=problems(*BODY, 401, 503))  # fmt: skip
    async def volume(body: Volume) -> State:
        return await ctx.commands.call(ctx.box.api_volume, body.volume, body.delta, body.muted)

    @app.post(f"{API}/actions/standby", dependencies=authed, summary="Standby on or off (as the power key)",
              responses=problems(*BODY, 401, 503))  # fmt: skip
    async def standby(body: Standby) -> State:
        return await ctx.commands.call(ctx.box.api_standby, body.on)

    @app.get(f"{API}/guide/now", dependencies=authed, summary="Now and next, for all or some channels",
             responses=problems(401))  # fmt: skip
    async def guide_now(
        channel: Annotated[list[ChannelId], Query(max_length=MAX_IDS, description="Line-up ids; none: all")] = [],  # noqa: B006
    ) -> dict[str, NowNext]:
        guide = ctx.guide()
        if guide is None:
            return {}
        pairs = guide.now_next(channel_ids=channel or None)
        return {cid: NowNext(now=_programme(a), next=_programme(b)) for cid, (a, b) in pairs.items()}

    @app.get(f"{API}/guide/window", dependencies=authed, summary="Programmes of channels over a time span",
             responses=problems(401))  # fmt: skip
    async def guide_window(channel: Annotated[list[ChannelId], Query(max_length=MAX_IDS)],
                           start: Annotated[float, Query(ge=0, le=1e10, allow_inf_nan=False,
                                                         description="UTC seconds")],
                           hours: Annotated[float, Query(gt=0, le=48)] = 4) -> dict[str, list[Programme]]:  # fmt: skip
        guide = ctx.guide()
        rows = guide.window(channel, start, start + hours * 3600) if guide is not None else {}
        return {cid: [Programme(**p.as_dict()) for p in programmes] for cid, programmes in rows.items()}

    @app.get(f"{API}/guide/search", dependencies=authed, summary="Search titles and descriptions",
             responses=problems(401))  # fmt: skip
    async def guide_search(q: Annotated[str, Query(min_length=1, max_length=200)],
                           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[Programme]:  # fmt: skip
        guide = ctx.guide()
        return [Programme(**p.as_dict()) for p in guide.search(q, limit=limit)] if guide is not None else []

    @app.get(f"{API}/events", dependencies=authed, response_class=StreamingResponse,
             summary="Server-sent events: channel, playback, volume, standby, guide",
             responses={200: {"description": "An endless event stream", "content": {"text/event-stream": {
                 "schema": {"type": "string"}}}}, **problems(401)})  # fmt: skip
    async def events(request: Request) -> StreamingResponse:
        device = check_token(presented_token(request))  # checked already (authed): which device this stream is for
        queue = ctx.hub.subscribe()
        loop = asyncio.get_running_loop()

        def revoked() -> bool:
            """Removed on the TV since the stream began: it ends (the client's next request gets 401)."""
            return device is not None and all(d.id != device.id for d in ctx.auth.devices())

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                quiet_since = loop.time()
                while queue not in ctx.hub.dropped or not queue.empty():
                    try:
                        kind, data = await asyncio.wait_for(queue.get(), REVOCATION_CHECK_S)
                    except TimeoutError:
                        if revoked() or await request.is_disconnected():
                            return
                        if loop.time() - quiet_since >= KEEPALIVE_S:
                            quiet_since = loop.time()
                            yield b": keep-alive\n\n"
                        continue
                    if revoked():
                        return
                    quiet_since = loop.time()
                    yield f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
            finally:
                ctx.hub.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    def relay() -> Relay:
        if ctx.relay is None:
            raise StarletteHTTPException(404, "this box does not relay streams")
        return ctx.relay

    ts_response = {200: {"content": {TS_MIME: {}}, "description": "MPEG-TS, until the client leaves"}}
    streams = ts_response | problems(401, 403, 404, 502, 503)

    @app.get("/stream/live", response_class=StreamingResponse, responses=streams,
             summary="What the TV shows, following its zaps in one connection (MPEG-TS)")  # fmt: skip
    async def stream_live(access: StreamAccess = stream_auth) -> StreamingResponse:
        return StreamingResponse(relay().live_stream(), media_type=TS_MIME, headers={"Cache-Control": "no-store"})

    @app.get("/stream/channel/{channel_id}", response_class=StreamingResponse,
             responses=streams, summary="Any channel of the line-up, independent of the TV (MPEG-TS)")  # fmt: skip
    async def stream_channel(channel_id: str, access: StreamAccess = stream_auth) -> StreamingResponse:
        try:
            body = await relay().open_channel(channel_id[:128])
        except LookupError as exc:
            raise NotFound(str(exc)) from None
        return StreamingResponse(body, media_type=TS_MIME, headers={"Cache-Control": "no-store"})

    # -- HLS renditions of the same streams, for browsers and phones ----------------------------------
    playlist_answer = {200: {"content": {HLS_MIME: {"schema": {"type": "string"}}}, "description": "HLS playlist"}}
    segment_answer = {200: {"content": {TS_MIME: {}}, "description": "One segment: PAT, PMT, then TS from a keyframe"}}
    playlists = playlist_answer | problems(401, 403, 404, 502, 503)
    segments = segment_answer | problems(401, 404)

    def hls_client(request: Request, access: StreamAccess) -> str:
        """Who counts as one HLS client: an address and a device."""
        return f"{request.client.host if request.client else '?'} {access.device.id if access.device else 'open'}"

    async def playlist(key: str, opener, request: Request, access: StreamAccess) -> Response:
        rendition = await relay().hls.open(key, opener, hls_client(request, access))
        return Response(rendition.playlist(access.query), media_type=HLS_MIME, headers={"Cache-Control": "no-store"})

    def segment(key: str, seq: int, request: Request, access: StreamAccess) -> Response:
        rendition = relay().hls.get(key, hls_client(request, access))
        if rendition is None:
            raise NotFound("this stream's HLS rendition is not running; ask for its index.m3u8 first")
        found = rendition.segment(seq)
        if found is None:
            raise NotFound(f"segment {seq} is not in the playlist (any more, or yet)")
        return Response(found.data, media_type=TS_MIME, headers={"Cache-Control": "private, max-age=60"})

    @app.get("/hls/live/index.m3u8", response_class=Response, responses=playlists,
             summary="What the TV shows as HLS, following its zaps (a discontinuity at each)")  # fmt: skip
    async def hls_live(request: Request, access: StreamAccess = stream_auth) -> Response:
        return await playlist("live", relay().open_live, request, access)

    @app.get("/hls/live/{seq}.ts", response_class=Response, responses=segments, summary="A segment of the live HLS")
    async def hls_live_segment(seq: Seq, request: Request, access: StreamAccess = stream_auth) -> Response:
        return segment("live", seq, request, access)

    @app.get("/hls/channel/{channel_id}/index.m3u8", response_class=Response, responses=playlists,
             summary="Any channel of the line-up as HLS, independent of the TV")  # fmt: skip
    async def hls_channel(channel_id: str, request: Request, access: StreamAccess = stream_auth) -> Response:
        cid = channel_id[:128]
        try:
            return await playlist(f"channel/{cid}", lambda: relay().open_channel(cid, internal=True), request, access)
        except LookupError as exc:
            raise NotFound(str(exc)) from None

    @app.get("/hls/channel/{channel_id}/{seq}.ts", response_class=Response, responses=segments,
             summary="A segment of a channel's HLS")  # fmt: skip
    async def hls_channel_segment(
        channel_id: str, seq: Seq, request: Request, access: StreamAccess = stream_auth
    ) -> Response:
        return segment(f"channel/{channel_id[:128]}", seq, request, access)

    @app.post(f"{API}/stream-urls", dependencies=authed, responses=problems(*BODY, 401, 404),
              summary="A short-lived signed URL of a stream, for players that cannot send the token")  # fmt: skip
    async def stream_url(body: StreamUrlRequest, request: Request) -> StreamUrl:
        if ctx.signer is None:
            raise NotFound("this box does not sign stream URLs")
        device = ctx.auth.check(presented_token(request))  # on an open LAN too: the URL then outlives closing it
        url, expires = ctx.signer.sign(device.id if device else "open", body.path, body.expires_in)
        return StreamUrl(url=url, expires=expires)

    @app.get(f"{API}/relay", dependencies=authed, summary="Relayed channels and clients", responses=problems(401, 404))
    async def relay_stats() -> dict:
        return relay().stats()

    # -- exports for the apps people already use (token in the URL: they cannot send headers) -----------
    def lineup_now() -> Lineup:
        if ctx.lineup is None:
            raise StarletteHTTPException(404, "this box does not export its line-up")
        return ctx.lineup()

    logos: dict[str, tuple[bytes, str] | tuple[float, str]] = {}  # url → (image, type) or (failed at, why)
    image_answer = {"content": {kind: {} for kind in (*IMAGE_TYPES.values(), "image/webp")}, "description": "An image"}

    @app.get(f"{API}/lineup/{{channel_id}}/logo", dependencies=authed, response_class=Response,
             responses={200: image_answer} | problems(401, 404),
             summary="A channel's logo, fetched by the box (a phone cannot reach its files or loopback)")  # fmt: skip
    async def channel_logo(channel_id: str) -> Response:
        channel = lineup_now().by_id(channel_id[:128])
        if channel is None or not channel.logo:
            raise NotFound(f"no logo for channel {channel_id[:64]!r}")
        known = logos.get(channel.logo)
        if known is None or (isinstance(known[0], float) and time.monotonic() - known[0] > LOGO_RETRY_S):
            try:
                data = await asyncio.to_thread(fetch_logo, channel.logo)
                kind = image_type(data)
                known = (data, kind) if kind else (time.monotonic(), "not a PNG, JPEG, GIF or WebP image")
            except (OSError, ValueError) as exc:
                known = (time.monotonic(), str(exc)[:200])
            if len(logos) >= LOGO_CACHE:
                logos.clear()
            logos[channel.logo] = known
        if isinstance(known[0], float):
            raise NotFound(f"{channel.name}'s logo cannot be had: {known[1]}")
        return Response(known[0], media_type=known[1], headers={"Cache-Control": "private, max-age=3600"})

    if ctx.theme is not None:
        add_page(app, ctx.theme)

    def base_url(request: Request) -> str:
        return f"{request.url.scheme}://{request.headers['host']}"  # checked by Gate: ours to echo

    def url_token(request: Request) -> str | None:
        return None if ctx.open_on_lan() else presented_token(request)

    @app.get("/playlist.m3u", dependencies=authed, response_class=Response,
             responses={200: {"content": {M3U_MIME: {}}, "description": "M3U playlist"}} | problems(401, 404),
             summary="The line-up as M3U for VLC or Kodi IPTV Simple, streams through the relay")  # fmt: skip
    async def playlist_m3u(request: Request) -> Response:
        text = exports.playlist(lineup_now(), base_url(request), url_token(request))
        return Response(text, media_type=M3U_MIME, headers={"Cache-Control": "no-store"})

    @app.get("/xmltv.xml", dependencies=authed, response_class=StreamingResponse,
             responses={200: {"content": {"application/xml": {}}, "description": "XMLTV"}} | problems(401, 404),
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

    @app.get(
        "/hdhr/{token}/discover.json",
        summary="HDHomeRun tuner description (Plex, Jellyfin, Emby)",
        responses=problems(401, 404),
    )
    async def hdhr_discover(token: str, request: Request) -> dict:
        value = hdhr_token(token)
        tuners = ctx.relay.max_upstreams if ctx.relay is not None else 1
        return exports.hdhr_discover(ctx.box_info(), base_url(request), value, tuners)

    @app.get("/hdhr/{token}/lineup.json", summary="HDHomeRun channel list", responses=problems(401, 404))
    async def hdhr_lineup(token: str, request: Request) -> list[dict]:
        return exports.hdhr_lineup(lineup_now(), base_url(request), hdhr_token(token))

    @app.get(
        "/hdhr/{token}/lineup_status.json",
        summary="HDHomeRun scan status (never scanning)",
        responses=problems(401, 404),
    )
    async def hdhr_status(token: str) -> dict:
        hdhr_token(token)
        return exports.HDHR_STATUS

    return app


def _programme(programme: Any) -> Programme | None:
    return Programme(**programme.as_dict()) if programme is not None else None
