"""Route: the box's events (channel, playback, volume, standby, guide, devices) as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from stb.net.api.access import authed, check_token, presented_token
from stb.net.api.context import API, Ctx
from stb.net.api.document import problems

KEEPALIVE_S = 15.0
REVOCATION_CHECK_S = 1.0  # an event stream notices its device was removed on the TV within this

router = APIRouter(prefix=API)


@router.get("/events", dependencies=authed, response_class=StreamingResponse,
            summary="Server-sent events: channel, playback, volume, standby, guide",
            responses=problems(401, ok={"description": "An endless event stream",
                                        "content": {"text/event-stream": {"schema": {"type": "string"}}}}))  # fmt: skip
async def events(request: Request, ctx: Ctx) -> StreamingResponse:
    device = check_token(ctx, presented_token(request))  # checked already (authed): which device this stream is for
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
