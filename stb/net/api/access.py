"""Who may ask: the pairing token (``Authorization: Bearer …`` or ``?token=``), unless the household turned
"open on this LAN" on; for the streams also a short-lived signed URL (:mod:`stb.net.signed`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from stb.lan.auth import AuthError, Device
from stb.net.api.context import Ctx, NetContext
from stb.net.signed import SignatureError

_BEARER = HTTPBearer(auto_error=False, description="The token from pairing.")
_IN_QUERY = APIKeyQuery(name="token", auto_error=False, description="The token, for players that cannot send headers.")


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:]
    return query_token(request.query_params.get("token"))


def query_token(value: str | None) -> str | None:
    """``?token=`` as sent. An app that appends its own query with a second "?" (Jellyfin's ``?transcode=…``)
    makes ``T?transcode=heavy``: a token has no "?", so what follows one is not part of it."""
    return value.split("?", 1)[0] if value is not None else None


def check_token(ctx: NetContext, value: str | None) -> Device | None:
    """The paired device of ``value`` (None on an open LAN); 401 for no token or a revoked one."""
    if ctx.open_on_lan():
        return None
    device = ctx.auth.check(value)
    if device is None:
        raise AuthError(401, "Not paired", "pair this device first (the TV shows a code)")
    return device


async def token(
    ctx: Ctx,
    header: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    query: Annotated[str | None, Security(_IN_QUERY)],
) -> Device | None:
    return check_token(ctx, header.credentials if header is not None else query_token(query))


authed = [Depends(token)]  # a route's ``dependencies``: a token is needed, the device is not


@dataclass(frozen=True)
class StreamAccess:
    """Who asked for a stream, and the credentials a playlist hands on to its segments ("?token=…", "?sig=…")."""

    device: Device | None
    query: str = ""
    sig: str | None = None  # a signed URL's signature: kept in use while its stream is sent


async def stream_access(
    request: Request,
    ctx: Ctx,
    header: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    query: Annotated[str | None, Security(_IN_QUERY)],
    sig: Annotated[str | None, Query(max_length=64, description="A signed URL's signature")] = None,
    exp: Annotated[int | None, Query(ge=0, le=2**40, description="A signed URL's expiry (Unix time)")] = None,
    dev: Annotated[str | None, Query(max_length=64, description="A signed URL's device")] = None,
) -> StreamAccess:
    """A token (header or ``?token=``) or a signed URL from ``POST /api/v1/stream-urls``."""
    if header is not None:
        return StreamAccess(check_token(ctx, header.credentials))
    query = query_token(query)
    if query is not None:
        return StreamAccess(check_token(ctx, query), "?" + urlencode({"token": query}))
    if (sig is None and exp is None and dev is None) or ctx.open_on_lan():
        return StreamAccess(check_token(ctx, None))
    if sig is None or exp is None or dev is None or ctx.signer is None:
        raise AuthError(401, "Bad stream URL", "a signed stream URL has sig, exp and dev; this one lacks some")
    try:
        device_id = ctx.signer.verify(request.url.path, sig, exp, dev)
    except SignatureError as exc:
        raise AuthError(401, "Bad stream URL", str(exc)) from None
    device = ctx.auth.device(device_id)
    if device is None:
        raise AuthError(401, "Not paired", "the device this stream URL was signed for was removed; pair it again")
    return StreamAccess(device, "?" + urlencode({"sig": sig, "exp": exp, "dev": dev}), sig)


Access = Annotated[StreamAccess, Depends(stream_access)]
