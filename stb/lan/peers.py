"""Other boxes in the house, seen from this one: who is there, pairing with them, and their live stream.

The browser runs on the network thread's loop (it starts and stops with the network side, on the same
interfaces as the announcer) and replaces ``Peers.boxes`` whole at every change: the UI thread reads
that immutable snapshot each frame and never calls zeroconf. HTTP calls to another box also run on the
network loop; their ``Outcome`` comes back to the UI thread through the command queue, between two
frames, like every other net → UI result. Tokens for other boxes are kept in the state directory
(``box-tokens.json``, the companion's format: readable by the user only, written atomically).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from zeroconf.asyncio import AsyncZeroconf

from stb.commands import CommandQueue
from stb.errors import StbError
from stb.lan.addresses import lan_addresses
from stb.lan.discovery import BoxBrowser, FoundBox
from stb.lan.tokens import API, Tokens

__all__ = ["LiveTarget", "Outcome", "Peers", "live_stream_url", "signed_live_url"]

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 5.0
TOKENS_FILE = "box-tokens.json"


@dataclass(frozen=True)
class Outcome:
    """A finished call to another box, as the UI sees it: a value, or one sentence and the HTTP status."""

    ok: bool
    value: Any = None
    error: str = ""
    status: int | None = None


@dataclass(frozen=True)
class LiveTarget:
    """What this box's player opens to mirror another: its live stream, and what it shows right now."""

    url: str
    channel: str | None


def live_stream_url(root: str, token: str | None) -> str:
    """The other box's ``/stream/live`` with the long-lived token in the URL: only for a box too old to sign."""
    return f"{root}/stream/live?token={token}" if token else f"{root}/stream/live"


async def signed_live_url(http: httpx.AsyncClient, root: str, token: str | None) -> str:
    """The other box's ``/stream/live`` as a short-lived signed URL for libVLC (it sends no headers), so
    the long-lived token stays out of URLs and logs; ``?token=`` only for a box from before signed URLs."""
    if not token:
        return live_stream_url(root, None)  # the other box is open on its LAN: nothing to sign
    try:
        signed = await Peers._request(http, "POST", f"{root}{API}/stream-urls", json={"path": "/stream/live"},
                                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    except _Refused as exc:
        if exc.status != 404:
            raise
        return live_stream_url(root, token)
    return f"{root}{signed['url']}"


def _root(box: FoundBox) -> str:
    """http://address:port of ``box``, IPv4 first (a link-local IPv6 needs its scope, which URLs carry badly)."""
    if not box.addresses:
        raise StbError(f"{box.name} announced no address")
    host = box.addresses[0]
    return f"http://[{host.replace('%', '%25')}]:{box.port}" if ":" in host else f"http://{host}:{box.port}"


class Peers:
    """The other boxes, and the calls this box makes to them; see the module's docstring for the threads."""

    def __init__(
        self, own_id: Callable[[], str], commands: CommandQueue, state_dir: Path, interfaces: list[str] | None = None
    ) -> None:
        self.own_id, self.commands, self.interfaces = own_id, commands, interfaces
        self.tokens = Tokens(state_dir / TOKENS_FILE)
        #: Every other box on the LAN, sorted by name; replaced whole on the loop, read by the UI.
        self.boxes: tuple[FoundBox, ...] = ()
        self.error: str | None = None  # why browsing did not start, for the screen to say
        self._loop: asyncio.AbstractEventLoop | None = None
        self._aiozc: AsyncZeroconf | None = None
        self._browser: BoxBrowser | None = None

    # -- loop-only: started and stopped by the network side --------------------------------------------
    async def async_start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            addresses = lan_addresses(self.interfaces)
            self._aiozc = AsyncZeroconf(interfaces=list(addresses.bind), ip_version=addresses.ip_version)
        except Exception as exc:  # no such interface, no address yet: the menu says so, the box plays on
            log.warning("not looking for other boxes: %s", exc)
            self.error = str(exc)
            return
        self._browser = BoxBrowser(self._aiozc, on_change=self._changed)
        self._browser.start()

    async def async_stop(self) -> None:
        browser, aiozc = self._browser, self._aiozc
        self._browser = self._aiozc = None
        if browser is not None:
            await browser.async_cancel()
        if aiozc is not None:
            await aiozc.async_close()
        self.boxes = ()
        self._loop = None

    def _changed(self) -> None:
        if self._browser is not None:
            own = self.own_id()
            self.boxes = tuple(box for box in self._browser.boxes() if box.box_id != own)

    # -- from the UI thread: each call runs on the loop; ``done(outcome)`` runs on the UI thread ----------
    def token_for(self, box_id: str) -> str | None:
        try:
            return self.tokens.get(box_id)
        except StbError as exc:  # a corrupt file: pair again (the next pairing rewrites it)
            log.warning("%s", exc)
            return None

    def begin_pairing(self, box: FoundBox, device_name: str, done: Callable[[Outcome], None]) -> None:
        """Ask ``box`` to pair: its TV shows a code; the outcome's value is the pairing id."""

        async def call(http: httpx.AsyncClient) -> str:
            answer = await self._request(http, "POST", f"{_root(box)}{API}/pairing", json={"name": device_name})
            return answer["pairing_id"]

        self._run(call, done)

    def complete_pairing(self, box: FoundBox, pairing_id: str, code: str, done: Callable[[Outcome], None]) -> None:
        """Send the code the other TV shows; on success the token is kept (never logged) and the value is True."""

        async def call(http: httpx.AsyncClient) -> bool:
            url = f"{_root(box)}{API}/pairing/{pairing_id}"
            answer = await self._request(http, "POST", url, json={"code": code})
            self.tokens.put(box.box_id, answer["token"], box.name)
            return True

        self._run(call, done)

    def open_live(self, box: FoundBox, done: Callable[[Outcome], None]) -> None:
        """Check this box may watch ``box`` (a 401 means pair first) and hand back a ``LiveTarget``."""
        token = self.token_for(box.box_id)

        async def call(http: httpx.AsyncClient) -> LiveTarget:
            root = _root(box)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            state = await self._request(http, "GET", f"{root}{API}/state", headers=headers)
            channel = (state or {}).get("channel") or {}
            return LiveTarget(await signed_live_url(http, root, token), channel.get("name"))

        self._run(call, done)

    def _run(self, call: Callable[[httpx.AsyncClient], Awaitable[Any]], done: Callable[[Outcome], None]) -> None:
        loop = self._loop
        if loop is None:
            self.commands.submit(done, Outcome(False, error="this box is not on the network"))
            return

        async def wrapped() -> Outcome:
            try:
                async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
                    return Outcome(True, await call(http))
            except _Refused as exc:
                return Outcome(False, error=exc.message, status=exc.status)
            except StbError as exc:
                return Outcome(False, error=str(exc))
            except Exception as exc:  # a bug or an odd answer: one line for the TV, details in the log
                log.warning("a call to another box failed", exc_info=True)
                return Outcome(False, error=f"unexpected answer ({type(exc).__name__})")

        def deliver(future: Future) -> None:
            outcome = future.result() if not future.cancelled() else Outcome(False, error="cancelled")
            self.commands.submit(done, outcome)

        try:
            asyncio.run_coroutine_threadsafe(wrapped(), loop).add_done_callback(deliver)
        except RuntimeError:  # the loop is closing: the box is stopping
            self.commands.submit(done, Outcome(False, error="this box is not on the network"))

    @staticmethod
    async def _request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise StbError("the other box did not answer in time") from None
        except httpx.HTTPError:
            raise StbError("cannot reach the other box") from None
        if response.status_code >= 400:
            detail = ""
            with contextlib.suppress(ValueError, AttributeError):
                detail = str(response.json().get("detail") or "")
            raise _Refused(response.status_code, detail or f"the other box said {response.status_code}")
        return response.json() if response.content else None


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message
