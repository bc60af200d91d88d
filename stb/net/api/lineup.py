"""Routes: the line-up (without stream URLs), and channel logos fetched by the box for the web page."""

from __future__ import annotations

import asyncio
import time
import urllib.error
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from stb.errors import NotFound
from stb.lineup.logo import fetch as fetch_logo
from stb.net.api.access import authed
from stb.net.api.context import API, Ctx
from stb.net.api.document import problems
from stb.net.api.models import LineupChannel

IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
LOGO_CACHE = 512  # logos kept in memory (each at most stb/lineup/logo.MAX_BYTES); a failure is kept too
LOGO_RETRY_S = 600.0  # after a definite failure: not found, not an image, too large
LOGO_RETRY_SOON_S = 30.0  # after a time-out or a refused connection: the logo server may just be slow or restarting

router = APIRouter(prefix=API)
logo_router = APIRouter(prefix=API)  # included after the streams: the document keeps its order of paths


def image_type(data: bytes) -> str | None:
    """PNG, JPEG, GIF or WebP by their magic bytes; anything else (SVG with scripts, HTML) is not served."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


class Logos:
    """Logos by URL, fetched once (off the event loop). A failure is remembered: a definite one for
    LOGO_RETRY_S, a time-out or refused connection only for LOGO_RETRY_SOON_S (a phone asking again soon
    should not see a placeholder for ten minutes because the logo server was slow once)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[bytes, str] | tuple[float, str]] = {}  # url → (image, type) or (retry at, why)

    async def get(self, url: str) -> tuple[bytes, str] | tuple[float, str]:
        known = self._known.get(url)
        if known is None or (isinstance(known[0], float) and time.monotonic() >= known[0]):
            try:
                data = await asyncio.to_thread(fetch_logo, url)
                kind = image_type(data)
                known = (
                    (data, kind) if kind else (time.monotonic() + LOGO_RETRY_S, "not a PNG, JPEG, GIF or WebP image")
                )
            except (OSError, ValueError) as exc:
                known = (time.monotonic() + (LOGO_RETRY_SOON_S if _transient(exc) else LOGO_RETRY_S), str(exc)[:200])
            if len(self._known) >= LOGO_CACHE:
                self._known.clear()
            self._known[url] = known
        return known


def _transient(exc: Exception) -> bool:
    """A time-out or a refused or reset connection, as opposed to an answer that says no (an HTTP error)."""
    if isinstance(exc, urllib.error.HTTPError):
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, TimeoutError | ConnectionError)


def logos(request: Request) -> Logos:
    """The app's logo cache (made by ``create_app``)."""
    found: Logos = request.app.state.logos
    return found


@router.get("/lineup", dependencies=authed, summary="The channels (without stream URLs)",
            responses=problems(401, 503))  # fmt: skip
async def lineup(ctx: Ctx) -> list[LineupChannel]:
    return await ctx.commands.call(ctx.box.api_lineup)


image_answer: dict[str, Any] = {
    "content": {kind: {} for kind in (*IMAGE_TYPES.values(), "image/webp")},
    "description": "An image",
}


@logo_router.get(
    "/lineup/{channel_id}/logo",
    dependencies=authed,
    response_class=Response,
    responses=problems(401, 404, ok=image_answer),
    summary="A channel's logo, fetched by the box (a phone cannot reach its files or loopback)",
)
async def channel_logo(channel_id: str, ctx: Ctx, cache: Annotated[Logos, Depends(logos)]) -> Response:
    channel = ctx.current_lineup().by_id(channel_id[:128])
    if channel is None or not channel.logo:
        raise NotFound(f"no logo for channel {channel_id[:64]!r}")
    image, kind = await cache.get(channel.logo)
    if isinstance(image, float):
        raise NotFound(f"{channel.name}'s logo cannot be had: {kind}")
    return Response(image, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})
