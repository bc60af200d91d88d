"""What the API's routes share: the box's side of things (:class:`NetContext`), handed to each route by
a dependency (``ctx: Ctx``) from ``app.state``, and the hub that fans box events out to event streams."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from stb.commands import CommandQueue
from stb.lan.auth import Auth
from stb.lineup.model import Lineup
from stb.net.api.limits import Limits
from stb.net.api.sessions import StreamSessions
from stb.net.guide import GuideThread
from stb.net.ports import BoxPort, GuideReader
from stb.net.signed import StreamSigner
from stb.pvr.library import Meta
from stb.pvr.service import Pvr
from stb.relay.relay import Relay
from stb.skin.theme import Theme
from stb.tv.answers import BoxInfoDict

API = "/api/v1"
EVENT_QUEUE = 256  # events kept for a slow event-stream client before it is dropped

Event = tuple[str, dict[str, Any]]


class EventHub:
    """Box events to every event-stream client; a client that stops reading is dropped, not waited for."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue[Event]] = set()
        self.dropped: set[asyncio.Queue[Event]] = set()  # too slow: their stream ends

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """From any thread."""
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the box is stopping
                loop.call_soon_threadsafe(self._fan_out, kind, data)

    def _fan_out(self, kind: str, data: dict[str, Any]) -> None:
        for q in list(self._clients):
            try:
                q.put_nowait((kind, data))
            except asyncio.QueueFull:
                self._clients.discard(q)
                self.dropped.add(q)

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(EVENT_QUEUE)
        self._clients.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self._clients.discard(q)
        self.dropped.discard(q)

    @property
    def clients(self) -> int:
        return len(self._clients)


@dataclass
class NetContext:
    """What the API needs from the box, with the calls that must run on the UI thread."""

    box_info: Callable[[], BoxInfoDict]  # id, name, model… (plain data, safe to read from any thread)
    commands: CommandQueue  # runs the box's methods on the thread that owns the TV
    auth: Auth
    box: BoxPort  # what the commands call (the App, or a fake in the fast tests)
    guide: Callable[[], GuideReader | None]  # called on the guide thread: its reader there, or None (no guide)
    open_on_lan: Callable[[], bool]
    network_tuner: Callable[[], bool] = lambda: False  # "Offer this box as a network tuner" (stb.net.api.tuner)
    favourites: Callable[[], tuple[str, ...]] = lambda: ()  # channel ids
    relay: Relay | None = None
    pvr: Pvr | None = None  # timers and recordings, run on the API's loop beside the relay (None: no recorder)
    #: The parental rule for a recording another screen asks for (its channel's lock and age, its rating), now.
    recording_hidden: Callable[[Meta], bool] = lambda meta: False
    #: The TV's own relay's URL of a channel's timeshift buffer, so many seconds behind live (None: no buffer).
    timeshift_url: Callable[[str, float], str | None] = lambda channel_id, behind: None
    lineup: Callable[[], Lineup] | None = None  # the exports read it from the network thread (replaced whole)
    signer: StreamSigner | None = None  # signed stream URLs (None: the box gives none out)
    theme: Callable[[], Theme] | None = None  # the active skin's look, for the web page (None: no page)
    hub: EventHub = field(default_factory=EventHub)
    fingerprint: str | None = None  # the box's certificate, as the TV shows it at pairing (None: no identity)
    tls_port: int | None = None  # where the API is served over TLS with that certificate (set once bound)
    guide_thread: GuideThread = field(init=False)  # where the guide queries run, off the event loop
    limits: Limits = field(default_factory=Limits)  # what one address or device may hold at once
    sessions: StreamSessions = field(init=False)  # open streams per device: caps, revocation, signed URLs in use

    def __post_init__(self) -> None:
        self.guide_thread = GuideThread(self.guide)
        self.sessions = StreamSessions(self.auth, self.signer, self.limits)

    def current_lineup(self) -> Lineup:
        """The line-up now (404 on a box that does not export it)."""
        if self.lineup is None:
            raise StarletteHTTPException(404, "this box does not export its line-up")
        return self.lineup()

    def the_pvr(self) -> Pvr:
        if self.pvr is None:
            raise StarletteHTTPException(404, "this box does not record")
        return self.pvr

    def the_relay(self) -> Relay:
        if self.relay is None:
            raise StarletteHTTPException(404, "this box does not relay streams")
        return self.relay


def context(request: Request) -> NetContext:
    """The box's context, put on the app by ``create_app``."""
    ctx: NetContext = request.app.state.ctx
    return ctx


Ctx = Annotated[NetContext, Depends(context)]
