"""The box's HTTP API under /api/v1 (FastAPI): box info, pairing, line-up, state, actions, guide, events,
streams, exports for other apps, and timers and recordings.

Everything but `GET /box` and pairing needs a token (`Authorization: Bearer …`, or `?token=` for
players that cannot send headers; the streams also take a short-lived signed URL, see
:mod:`stb.net.signed`), unless the household turned "open on this LAN" on. Requests
whose Host is a DNS name other than `localhost` or `*.local` are refused, so a web page on the
internet cannot reach the box by rebinding its own name to the box's address. Errors are problem
JSON (RFC 9457). Calls that change or read the TV go to a :class:`~stb.net.ports.BoxPort` on the UI
thread through the command queue; guide queries run on a guide thread, off the event loop.

One router per resource (``box``, ``lineup``, ``actions``, ``guide``, ``events``, ``streams``,
``exports``, ``tuner``, ``recordings``); each route gets the box's :class:`NetContext` from ``app.state`` by
a dependency, so nothing lives in closures and :func:`create_app` only assembles. The OpenAPI document states every
answer's body and every status code a route can give (:mod:`stb.net.api.document`).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from stb import __version__
from stb.errors import NotFound
from stb.net.api import (
    actions,
    box,
    catchup,
    events,
    exports,
    guide,
    lineup,
    recording_streams,
    recordings,
    streams,
    timeshift_streams,
    tuner,
)
from stb.net.api.context import API, EventHub, NetContext
from stb.net.api.document import with_problem_schema
from stb.net.api.gate import MAX_BODY, Gate, host_allowed
from stb.net.api.limits import MAX_REQUESTS, Limits
from stb.net.api.lineup import Logos
from stb.net.api.problems import add_problem_handlers
from stb.net.api.recording_models import TimerConflictProblem
from stb.net.ports import BoxPort
from stb.pvr.service import TimerConflict
from stb.web.routes import add_page

__all__ = [
    "API", "MAX_BODY", "MAX_REQUESTS", "BoxPort", "EventHub", "Gate", "Limits", "NetContext", "NotFound", "create_app",
    "host_allowed",
]  # fmt: skip


def _include(app: FastAPI, router: APIRouter) -> None:
    """Include ``router``, and keep its routes: FastAPI 0.16x nests an included router in `app.routes`
    instead of copying its routes there, so they cannot be found by walking that list."""
    app.include_router(router)
    app.state.included.extend(router.routes)


def create_app(ctx: NetContext) -> FastAPI:
    """The API of the box that ``ctx`` describes."""
    app = FastAPI(
        title="stb box API", version=__version__, openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None
    )  # fmt: skip  (no docs UI: it would load scripts from a CDN)
    app.state.ctx = ctx
    app.state.logos = Logos()
    with_problem_schema(app, (TimerConflictProblem,))
    app.add_middleware(Gate, limits=ctx.limits)
    add_problem_handlers(app)
    app.state.included = []  # every included route, for a 405's Allow (stb.net.api.problems.allowed_methods)
    for resource in (box, lineup, actions, guide, events, streams):
        _include(app, resource.router)
    _include(app, lineup.logo_router)  # here, and the page after it: the document's order of paths
    if ctx.theme is not None:
        add_page(app, ctx.theme)
    for router in (exports.router, tuner.router, catchup.router, recordings.router, recording_streams.router,
                   timeshift_streams.router):  # fmt: skip
        _include(app, router)
    app.add_exception_handler(TimerConflict, recordings.timer_conflict)  # type: ignore[arg-type]
    return app
