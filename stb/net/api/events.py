"""Route: the box's events (channel, playback, volume, standby, guide, devices, recordings) as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from stb.net.api.access import authed, check_token, presented_token
from stb.net.api.context import API, Ctx
from stb.net.api.document import problems
from stb.net.api.sessions import EVENT_STREAMS

KEEPALIVE_S = 15.0
WAKE_S = 1.0  # how often a quiet stream looks whether its client left

router = APIRouter(prefix=API)


@router.get("/events", dependencies=authed, response_class=StreamingResponse,
            summary="Server-sent events: channel, playback, volume, standby, guide, recordings",
            responses=problems(401, 429, ok={"description": "An endless event stream",
                                        "content": {"text/event-stream": {"schema": {"type": "string"}}}}))  # fmt: skip
async def events(request: Request, ctx: Ctx) -> StreamingResponse:
    device = check_token(ctx, presented_token(request))  # checked already (authed): which device this stream is for
    address = request.client.host if request.client else "?"
    session = ctx.sessions.open(device.id if device else None, address, EVENT_STREAMS)  # 429 past the device's cap
    queue = ctx.hub.subscribe()
    loop = asyncio.get_running_loop()

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            quiet_since = loop.time()
            while queue not in ctx.hub.dropped or not queue.empty():
                try:
                    kind, data = await asyncio.wait_for(queue.get(), WAKE_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    if loop.time() - quiet_since >= KEEPALIVE_S:
                        quiet_since = loop.time()
                        yield b": keep-alive\n\n"
                    continue
                quiet_since = loop.time()
                yield f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
        finally:
            ctx.hub.unsubscribe(queue)

    # the device revoked (on the TV or by DELETE /devices/ID): the stream ends within a moment (sessions)
    guarded = ctx.sessions.guard(stream(), session)
    return StreamingResponse(guarded, media_type="text/event-stream", headers={"Cache-Control": "no-store"})
