"""Routes: the guide (now/next, a window of channels × hours, search).

Each query runs on the guide thread (:class:`stb.net.guide.GuideThread`), never on the event loop
that also feeds relay clients and event streams: a slow search delays other guide queries at most.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stb.lineup.model import ChannelId
from stb.net.api.access import authed
from stb.net.api.context import API, Ctx
from stb.net.api.document import problems
from stb.net.api.models import NowNext, Programme, programme
from stb.net.ports import GuideReader

MAX_IDS = 200  # channel ids in one query: ~28 KB of URL at most, well under the server's request-head limit

router = APIRouter(prefix=API)


@router.get(
    "/guide/now", dependencies=authed, responses=problems(401), summary="Now and next, for all or some channels"
)
async def guide_now(
    ctx: Ctx,
    channel: Annotated[list[ChannelId], Query(max_length=MAX_IDS, description="Line-up ids; none: all")] = [],  # noqa: B006
) -> dict[str, NowNext]:
    def ask(guide: GuideReader) -> dict[str, NowNext]:
        pairs = guide.now_next(channel_ids=channel or None)
        return {cid: NowNext(now=programme(a), next=programme(b)) for cid, (a, b) in pairs.items()}

    return await ctx.guide_thread.ask(ask, {})


@router.get(
    "/guide/window", dependencies=authed, responses=problems(401), summary="Programmes of channels over a time span"
)
async def guide_window(ctx: Ctx, channel: Annotated[list[ChannelId], Query(max_length=MAX_IDS)],
                       start: Annotated[float, Query(ge=0, le=1e10, allow_inf_nan=False, description="UTC seconds")],
                       hours: Annotated[float, Query(gt=0, le=48)] = 4) -> dict[str, list[Programme]]:  # fmt: skip
    def ask(guide: GuideReader) -> dict[str, list[Programme]]:
        rows = guide.window(channel, start, start + hours * 3600)
        return {cid: [Programme(**p.as_dict()) for p in programmes] for cid, programmes in rows.items()}

    return await ctx.guide_thread.ask(ask, {})


@router.get("/guide/search", dependencies=authed, responses=problems(401), summary="Search titles and descriptions")
async def guide_search(ctx: Ctx, q: Annotated[str, Query(min_length=1, max_length=200)],
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[Programme]:  # fmt: skip
    def ask(guide: GuideReader) -> list[Programme]:
        return [Programme(**p.as_dict()) for p in guide.search(q, limit=limit)]

    return await ctx.guide_thread.ask(ask, [])
