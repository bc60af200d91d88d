"""Routes: a recording for other screens, as MPEG-TS with byte ranges and as HLS (VOD, or EVENT while it records).

The same doors as the live streams (:mod:`stb.net.api.streams`): a token or a signed URL (``POST
/api/v1/recordings/{id}/stream-urls`` signs both at once), per-device caps, and the end of every stream of a
revoked device. The parental lock is judged at every request (a recording of a locked channel, or rated above
the age limit, is refused while the PIN has not been entered on the TV: 403, as a locked channel). A recording
deleted while it is sent ends its stream at the next read; its playlist and segments are then 404.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from stb.errors import NotFound
from stb.net.api.access import Access, StreamAccess, authed, presented_token
from stb.net.api.context import API, Ctx, NetContext
from stb.net.api.document import problems
from stb.net.api.problems import problem
from stb.net.api.recording_models import RecordingUrls
from stb.net.api.sessions import HLS_CLIENTS, RELAY_STREAMS
from stb.net.api.streams import HLS_MIME, TS_MIME, Seq
from stb.pvr.library import Meta
from stb.pvr.media import RangeNotSatisfiable, Span, lead_in, parse_range, playlist, read_range, spans
from stb.pvr.service import Pvr
from stb.pvr.timers import ID_PATTERN
from stb.relay.errors import ChannelLocked

router = APIRouter()

ABORT = "stb.abort"  # the scope extension that ends an answer short (stb.net.http.ABORT)

Id = Annotated[str, Path(pattern=ID_PATTERN, description="16 hex digits")]
RangeHeader = Annotated[str | None, Header(max_length=200, description="bytes=FIRST-LAST: a part of the recording")]

ts_answer = {"content": {TS_MIME: {}}, "description": "The whole recording as it is on disk now (MPEG-TS)"}
partial = {206: {"content": {TS_MIME: {}}, "description": "The bytes of the Range asked for (Content-Range)"}}
ts_routes = problems(401, 403, 404, 416, 429, ok=ts_answer) | partial
playlist_answer = {"content": {HLS_MIME: {"schema": {"type": "string"}}}, "description": "HLS playlist (VOD or EVENT)"}
segment_answer = {"content": {TS_MIME: {}}, "description": "One segment: PAT, PMT, then the TS between two keyframes"}


def _recording(ctx: NetContext, recording_id: str) -> tuple[Pvr, Meta]:
    """The recording, if the parental lock lets other screens have it now (NotFound, ChannelLocked otherwise)."""
    pvr = ctx.the_pvr()
    meta = pvr.recording(recording_id)
    if ctx.recording_hidden(meta):
        raise ChannelLocked(f"{meta.title} is kept from other screens by the parental lock; enter the PIN on the TV")
    return pvr, meta


@router.get("/stream/recording/{recording_id}", response_class=StreamingResponse, responses=ts_routes,
            summary="A recording as MPEG-TS, with byte ranges (players seek in it)")  # fmt: skip
async def stream_recording(recording_id: Id, request: Request, ctx: Ctx, access: Access,
                           range: RangeHeader = None) -> Response:  # fmt: skip
    pvr, meta = _recording(ctx, recording_id)
    parts = spans(pvr.library.folder(meta.id), meta)
    size = sum(p.size for p in parts)
    try:
        wanted = parse_range(range, size)
    except RangeNotSatisfiable as exc:
        return problem(416, "Range not satisfiable", str(exc), {"Content-Range": f"bytes */{exc.size}"})
    first, last = wanted if wanted is not None else (0, size - 1)
    offsets = None
    if len(parts) > 1:  # later parts follow on the first one's clock: their offsets come from the index
        offsets = (await asyncio.to_thread(_offsets, pvr, meta, parts)) or None
    address = request.client.host if request.client else "?"
    session = ctx.sessions.open(access.device.id if access.device else None, address, RELAY_STREAMS, access.sig)
    body = read_range(parts, first, last, lambda: meta.id in pvr.library.recordings, offsets=offsets)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store", "Content-Length": str(max(0, last - first + 1))}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return SizedStream(ctx.sessions.guard(body, session), last - first + 1, 206 if wanted is not None else 200,
                       headers)  # fmt: skip


class SizedStream(Response):
    """A body of a declared length from an async iterator; one that ends short (the recording was deleted, the
    device revoked) closes the connection through the box's ``stb.abort`` extension, which is how HTTP/1.1 says
    "that was not all" without an error. A client that leaves stops the reading at once."""

    media_type = TS_MIME

    def __init__(self, body: AsyncIterator[bytes], length: int, status: int, headers: dict[str, str]) -> None:
        super().__init__(None, status, headers | {"Content-Length": str(max(0, length))}, TS_MIME)
        self.body_iterator, self.length = body, max(0, length)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        left = asyncio.current_task()
        gone = asyncio.Event()

        async def listen() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            if left is not None:
                left.cancel()  # a read in progress ends now, not at the end of the recording

        listener = asyncio.ensure_future(listen())
        sent = 0
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
        except asyncio.CancelledError:
            if not gone.is_set() or left is None:
                raise
            left.uncancel()
            return
        finally:
            listener.cancel()
            with contextlib.suppress(Exception):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]
        if sent >= self.length:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        abort = scope.get("extensions", {}).get(ABORT)
        if abort is not None:
            abort()
        # else (a server without the extension): returning with the response incomplete closes the connection


def _offsets(pvr: Pvr, meta: Meta, parts: list[Span]) -> list[int]:
    index = pvr.media.of(meta.id)
    index.update(meta, parts)
    return index.offsets


def _hls(ctx: NetContext, request: Request, access: StreamAccess) -> None:
    """The device's cap of HLS clients (answered at once: only checked)."""
    address = request.client.host if request.client else "?"
    ctx.sessions.close(ctx.sessions.open(access.device.id if access.device else None, address, HLS_CLIENTS))


@router.get("/hls/recording/{recording_id}/index.m3u8", response_class=Response,
            responses=problems(401, 403, 404, 429, ok=playlist_answer),
            summary="A recording as HLS: VOD, or an EVENT playlist that grows while it records")  # fmt: skip
async def hls_recording(recording_id: Id, request: Request, ctx: Ctx, access: Access) -> Response:
    pvr, meta = _recording(ctx, recording_id)
    _hls(ctx, request, access)
    index = pvr.media.of(meta.id)
    growing = meta.state == "recording"
    cuts = await asyncio.to_thread(index.update, meta, spans(pvr.library.folder(meta.id), meta))
    if meta.id not in pvr.library.recordings:
        raise NotFound(f"{meta.title} was deleted")
    return Response(playlist(cuts, growing, access.query), media_type=HLS_MIME, headers={"Cache-Control": "no-store"})


@router.get("/hls/recording/{recording_id}/{seq}.ts", response_class=Response,
            responses=problems(401, 403, 404, 429, ok=segment_answer),
            summary="A segment of a recording's HLS")  # fmt: skip
async def hls_recording_segment(recording_id: Id, seq: Seq, request: Request, ctx: Ctx, access: Access) -> Response:
    pvr, meta = _recording(ctx, recording_id)
    _hls(ctx, request, access)
    index = pvr.media.of(meta.id)
    found = index.segment(seq)
    if found is None:
        await asyncio.to_thread(index.update, meta, spans(pvr.library.folder(meta.id), meta))
        found = index.segment(seq)
    if found is None:
        raise NotFound(f"segment {seq} is not in this recording's playlist (yet)")
    tables, span, cut, shift = found
    chunks = [c async for c in read_range([span], cut.start, cut.end - 1, lambda: meta.id in pvr.library.recordings,
                                          offsets=[shift])]  # fmt: skip
    if meta.id not in pvr.library.recordings:
        raise NotFound(f"{meta.title} was deleted")
    body = b"".join(chunks)
    return Response(lead_in(tables, body) + body, media_type=TS_MIME, headers={"Cache-Control": "private, max-age=60"})


@router.post(f"{API}/recordings/{{recording_id}}/stream-urls", dependencies=authed,
             responses=problems(401, 403, 404),
             summary="Signed URLs of a recording (MPEG-TS and HLS) and where to resume")  # fmt: skip
async def recording_urls(recording_id: Id, request: Request, ctx: Ctx) -> RecordingUrls:
    _, meta = _recording(ctx, recording_id)
    ts, hls = f"/stream/recording/{meta.id}", f"/hls/recording/{meta.id}/index.m3u8"
    if ctx.signer is None:
        raise NotFound("this box does not sign stream URLs")
    device = ctx.auth.check(presented_token(request))
    dev = device.id if device else "open"
    ts_url, expires = ctx.signer.sign(dev, ts)
    hls_url, _ = ctx.signer.sign(dev, hls)
    return RecordingUrls(ts=ts_url, hls=hls_url, expires=expires, position=meta.position,
                         growing=meta.state == "recording")  # fmt: skip
