"""Errors as problem JSON (RFC 9457): the model, the answer, and the exception handlers that turn what the
routes, the box and the relay raise into one."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from stb.errors import NotFound
from stb.lan.auth import AuthError
from stb.relay.errors import ChannelLocked, NothingLive, RelayBusy, UpstreamDown

log = logging.getLogger("stb.net.api")


class Problem(BaseModel):
    """An error (RFC 9457): ``title`` names the kind, ``detail`` says what to do."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem(status: int, title: str, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail}, status,
                        headers=headers, media_type="application/problem+json")  # fmt: skip


async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # Starlette names the methods of the first route on the path only
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem(exc.status_code, "Error", str(exc.detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (GET and POST /timers are two routes)."""
    methods: set[str] = set()
    for route in (*request.app.routes, *getattr(request.app.state, "included", ())):
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return problem(422, "Invalid request", f"{where}: {first['msg']}")


async def auth_problem(request: Request, exc: AuthError) -> JSONResponse:
    headers = {"Retry-After": str(int(exc.retry_after) + 1)} if exc.retry_after else None
    return problem(exc.status, exc.title, exc.detail, headers)


async def not_found(request: Request, exc: NotFound) -> JSONResponse:
    return problem(404, "Not found", str(exc.args[0] if exc.args else exc))


async def relay_busy(request: Request, exc: RelayBusy) -> JSONResponse:
    return problem(503, "Relay busy", str(exc), {"Retry-After": "10"})


async def channel_locked(request: Request, exc: ChannelLocked) -> JSONResponse:
    return problem(403, "Locked", str(exc))


async def nothing_live(request: Request, exc: NothingLive) -> JSONResponse:
    return problem(503, "Nothing live", str(exc), {"Retry-After": "10"})


async def upstream_down(request: Request, exc: UpstreamDown) -> JSONResponse:
    return problem(502, "Channel unavailable", str(exc))


async def busy(request: Request, exc: TimeoutError) -> JSONResponse:
    return problem(503, "Box busy", "the box did not answer in time; try again")


async def crashed(request: Request, exc: Exception) -> JSONResponse:
    """A bug: still problem JSON for the client (the traceback goes to the log)."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return problem(500, "Box error", "the box could not do that; the log says why")


HANDLERS = {
    StarletteHTTPException: http_problem,
    RequestValidationError: validation_problem,
    AuthError: auth_problem,
    NotFound: not_found,
    RelayBusy: relay_busy,
    ChannelLocked: channel_locked,
    NothingLive: nothing_live,
    UpstreamDown: upstream_down,
    TimeoutError: busy,
    Exception: crashed,
}


def add_problem_handlers(app: FastAPI) -> None:
    for kind, handler in HANDLERS.items():
        app.add_exception_handler(kind, handler)  # type: ignore[arg-type]  # each takes its own kind
