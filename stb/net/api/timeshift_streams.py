"""Route: the TV's timeshifted channel for another screen that takes it over (``stb take`` behind live).

The TV keeps its channel in a rolling buffer on the box's disk (:mod:`stb.relay.shift`); a screen that takes a
paused or rewound programme over asks for it ``behind`` seconds before the buffer's live edge and gets MPEG-TS
from the keyframe there, on to live, exactly as the TV would have played it. The buffer is written on while
that screen reads, whatever the TV does next (standby when taken). The bytes come from the TV's own relay on
loopback; here they get what every stream of the API gets: pairing or a signed URL, the device's session
cap, revocation, and the parental lock.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from stb.errors import NotFound
from stb.net.api.access import Access
from stb.net.api.context import Ctx
from stb.net.api.document import problems
from stb.net.api.proxied import open_upstream
from stb.net.api.sessions import RELAY_STREAMS
from stb.relay.errors import ChannelLocked, UpstreamDown

TS_MIME = "video/mp2t"
MAX_BEHIND_S = 24 * 3600.0  # more than any buffer holds: the oldest moment kept is where it starts then
Behind = Annotated[float, Query(ge=0, le=MAX_BEHIND_S, description="Seconds before the live edge to start at")]

router = APIRouter()

ANSWER = {"content": {TS_MIME: {}}, "description": "MPEG-TS from the buffer's keyframe there, on to live"}


@router.get("/stream/timeshift/{channel_id}", response_class=StreamingResponse,
            responses=problems(401, 403, 404, 422, 429, 502, ok=ANSWER),
            summary="The TV's channel from its timeshift buffer, seconds behind live (taking it over)")  # fmt: skip
async def stream_timeshift(channel_id: str, request: Request, ctx: Ctx, access: Access,
                           behind: Behind = 0.0) -> StreamingResponse:  # fmt: skip
    channel_id = channel_id[:128]
    source = ctx.the_relay().source(channel_id)
    if source is None:
        raise NotFound(f"no channel with id {channel_id!r}")
    if source.locked:
        raise ChannelLocked(f"{source.name} is locked by the parental lock; enter the PIN on the TV first")
    url = ctx.timeshift_url(channel_id, behind)
    if url is None:
        raise NotFound(f"the box keeps no timeshift buffer of {source.name} (the TV does not show it, or "
                       "pausing live TV is off)")  # fmt: skip
    address = request.client.host if request.client else "?"
    session = ctx.sessions.open(access.device.id if access.device else None, address, RELAY_STREAMS, access.sig)
    try:
        upstream = await open_upstream(url)
    except httpx.HTTPError as exc:
        ctx.sessions.close(session)
        raise UpstreamDown(f"the TV's relay does not answer: {type(exc).__name__}") from None
    if upstream.response.status_code != 200:
        ctx.sessions.close(session)
        why = (await upstream.response.aread()).decode(errors="replace")[:200]
        await upstream.close()
        raise NotFound(f"{source.name}: {why}")
    return StreamingResponse(ctx.sessions.guard(upstream.body(), session), media_type=TS_MIME,
                             headers={"Cache-Control": "no-store"})  # fmt: skip
