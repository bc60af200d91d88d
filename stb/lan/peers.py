"""Other boxes in the house, seen from this one: who is there, pairing with them, and their live stream.

The browser runs on the network thread's loop (it starts and stops with the network side, on the same
interfaces as the announcer) and replaces ``Peers.boxes`` whole at every change: the UI thread reads
that immutable snapshot each frame and never calls zeroconf. HTTP calls to another box also run on the
network loop; their ``Outcome`` comes back to the UI thread through the command queue, between two
frames, like every other net → UI result. Tokens for other boxes are kept in the state directory
(``box-tokens.json``, the companion's format: readable by the user only, written atomically), each with
the certificate its box proved at pairing; a token is sent only over TLS that proves that certificate,
and chosen by it, never by the id a box announces or claims (see ``stb.lan.identity``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
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
from stb.lan.identity import fetch_certificate, pinned_context
from stb.lan.printable import printable
from stb.lan.remote_recordings import RecordingTarget, RemoteRecording, parse_recordings
from stb.lan.tokens import API, Tokens

__all__ = ["LiveTarget", "Outcome", "Peers", "signed_live_url"]

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


async def signed_live_url(http: httpx.AsyncClient, root: str, token: str | None, api_root: str | None = None) -> str:
    """The other box's ``/stream/live`` as a short-lived signed URL for libVLC (it sends no headers), asked
    for at ``api_root`` (the pinned TLS address); never the long-lived token in a URL: a box that cannot
    sign (404) is refused."""
    if not token:
        return f"{root}/stream/live"  # the other box is open on its LAN: nothing to sign
    try:
        signed = await Peers._request(
            http,
            "POST",
            f"{api_root or root}{API}/stream-urls",
            json={"path": "/stream/live"},
            headers={"Authorization": f"Bearer {token}"},
        )
    except _Refused as exc:
        if exc.status != 404:
            raise
        raise StbError("that box is too old to sign stream URLs; update it") from None
    return f"{root}{signed['url']}"


def _root(box: FoundBox, scheme: str = "http", port: int | None = None) -> str:
    """http://address:port of ``box``, IPv4 first (a link-local IPv6 needs its scope, which URLs carry badly)."""
    if not box.addresses:
        raise StbError(f"{box.name} announced no address")
    host, port = box.addresses[0], port or box.port
    return f"{scheme}://[{host.replace('%', '%25')}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class _Proven:
    """Where ``box`` serves its API over TLS, the certificate it presented there, and the token pinned to it."""

    api_root: str  # https://address:tls_port
    cert_pem: str
    token: str | None


async def _prove(http: httpx.AsyncClient, box: FoundBox, tokens: Tokens) -> _Proven:
    """Ask ``box`` where its TLS is, take the certificate it presents there, and the token pinned to that."""
    info = await Peers._request(http, "GET", f"{_root(box)}{API}/box")
    tls_port = info.get("tls_port") if isinstance(info, dict) else None
    if not isinstance(tls_port, int) or not 0 < tls_port < 65536:
        raise StbError("that box cannot prove which box it is (no TLS); update it")
    cert = await asyncio.to_thread(fetch_certificate, box.addresses[0], tls_port)
    pinned = tokens.pinned(cert)
    return _Proven(_root(box, "https", tls_port), pinned.cert_pem if pinned else cert, pinned.token if pinned else None)


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
        self._pairing_certs: dict[str, str] = {}  # pairing id -> the certificate the box presented (loop only)

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
        """Whether this box paired with a box of that id (a hint for the menu; what is sent is chosen by key)."""
        try:
            return self.tokens.get(box_id)
        except StbError as exc:  # a corrupt file: pair again (the next pairing rewrites it)
            log.warning("%s", exc)
            return None

    def begin_pairing(self, box: FoundBox, device_name: str, done: Callable[[Outcome], None]) -> None:
        """Ask ``box`` to pair: its TV shows a code; the outcome's value is the pairing id."""

        async def call(http: httpx.AsyncClient) -> str:
            proven = await _prove(http, box, self.tokens)
            async with _pinned_client(proven.cert_pem) as tls:
                answer = await self._request(tls, "POST", f"{proven.api_root}{API}/pairing",
                                             json={"name": device_name})  # fmt: skip
            self._pairing_certs[answer["pairing_id"]] = proven.cert_pem
            return answer["pairing_id"]

        self._run(call, done)

    def complete_pairing(self, box: FoundBox, pairing_id: str, code: str, done: Callable[[Outcome], None]) -> None:
        """Send the code the other TV shows; on success the token is kept (never logged) and the value is True."""

        async def call(http: httpx.AsyncClient) -> bool:
            cert = self._pairing_certs.get(pairing_id)
            if cert is None:
                raise StbError("this pairing is over; start again")
            proven = await _prove(http, box, self.tokens)
            async with _pinned_client(cert) as tls:  # the code goes to the box that showed it, no other
                answer = await self._request(tls, "POST", f"{proven.api_root}{API}/pairing/{pairing_id}",
                                             json={"code": code})  # fmt: skip
            self._pairing_certs.pop(pairing_id, None)
            self.tokens.put(box.box_id, answer["token"], box.name, cert)
            return True

        self._run(call, done)

    async def _authorised(self, http: httpx.AsyncClient, box: FoundBox) -> tuple[_Proven, dict[str, str]]:
        """``box`` proven by its certificate, and the headers that carry the token pinned to it (none: open box)."""
        proven = await _prove(http, box, self.tokens)
        if proven.token is None and box.pairing_required and self.token_for(box.box_id) is not None:
            raise StbError(f"{box.name} does not prove the key it had at pairing: not sending it the token")
        return proven, {"Authorization": f"Bearer {proven.token}"} if proven.token else {}

    def open_live(self, box: FoundBox, done: Callable[[Outcome], None]) -> None:
        """Check this box may watch ``box`` (a 401 means pair first) and hand back a ``LiveTarget``."""

        async def call(http: httpx.AsyncClient) -> LiveTarget:
            proven, headers = await self._authorised(http, box)
            async with _pinned_client(proven.cert_pem) as tls:
                state = await self._request(tls, "GET", f"{proven.api_root}{API}/state", headers=headers)
                channel = (state or {}).get("channel") or {}
                url = await signed_live_url(tls, _root(box), proven.token, proven.api_root)
            return LiveTarget(url, channel.get("name"))

        self._run(call, done)

    # -- another box's recordings (the multi-room DVR) -----------------------------------------------------
    def list_recordings(self, box: FoundBox, done: Callable[[Outcome], None]) -> None:
        """``box``'s recordings (a list of ``RemoteRecording``, newest first; a 401 means pair first)."""

        async def call(http: httpx.AsyncClient) -> list[RemoteRecording]:
            proven, headers = await self._authorised(http, box)
            async with _pinned_client(proven.cert_pem) as tls:
                answer = await self._request(tls, "GET", f"{proven.api_root}{API}/recordings", headers=headers)
            return parse_recordings(answer)

        self._run(call, done)

    def open_recording(self, box: FoundBox, recording: RemoteRecording, done: Callable[[Outcome], None]) -> None:
        """A signed URL of ``recording``'s HLS on ``box`` and where it resumes now (a ``RecordingTarget``)."""

        async def call(http: httpx.AsyncClient) -> RecordingTarget:
            proven, headers = await self._authorised(http, box)
            urls = f"{proven.api_root}{API}/recordings/{recording.id}/stream-urls"
            async with _pinned_client(proven.cert_pem) as tls:
                signed = await self._request(tls, "POST", urls, headers=headers)
            # HLS, not the TS route: libVLC knows a VOD playlist's length and seeks in it by time (start-time,
            # skips); over HTTP its TS demuxer knows no length and only seeks by byte fraction
            path = signed.get("hls") if isinstance(signed, dict) else None
            if not isinstance(path, str) or not path.startswith(f"/hls/recording/{recording.id}/index.m3u8?"):
                raise StbError(f"{box.name} gave no stream for {recording.title}")
            position = signed.get("position")
            at = float(position) if isinstance(position, int | float) and 0 <= position <= 10**7 else 0.0
            return RecordingTarget(recording, f"{_root(box)}{path}", at)

        self._run(call, done)

    def save_position(self, box: FoundBox, recording_id: str, position: float, watched: bool | None) -> None:
        """Tell ``box`` where this screen stopped (one resume position per recording, for every screen)."""

        async def call(http: httpx.AsyncClient) -> None:
            proven, headers = await self._authorised(http, box)
            body: dict[str, Any] = {"position": round(max(0.0, position), 1)}
            if watched is not None:
                body["watched"] = watched
            async with _pinned_client(proven.cert_pem) as tls:
                await self._request(tls, "PUT", f"{proven.api_root}{API}/recordings/{recording_id}/position",
                                    headers=headers, json=body)  # fmt: skip

        def logged(outcome: Outcome) -> None:
            if not outcome.ok:
                log.warning("%s did not keep the resume position: %s", printable(box.name), outcome.error)

        self._run(call, logged)

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
        except httpx.ConnectError as exc:
            if "CERTIFICATE" in str(exc).upper():
                raise StbError("this is not the box paired with: its key differs") from None
            raise StbError("cannot reach the other box") from None
        except httpx.HTTPError:
            raise StbError("cannot reach the other box") from None
        if response.status_code >= 400:
            detail = ""
            with contextlib.suppress(ValueError, AttributeError):
                detail = str(response.json().get("detail") or "")
            raise _Refused(response.status_code, detail or f"the other box said {response.status_code}")
        return response.json() if response.content else None


def _pinned_client(cert_pem: str) -> httpx.AsyncClient:
    context: ssl.SSLContext = pinned_context(cert_pem)
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, verify=context)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message
