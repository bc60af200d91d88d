"""The network side of the box: one background thread with an asyncio loop running the HTTP API.

The loop never touches the Box: requests go through the command queue to the UI thread. Stopping
the box asks uvicorn to finish (open event streams are closed) and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import uvicorn

from stb.errors import StbError
from stb.lan.identity import BoxIdentity
from stb.lan.peers import Peers
from stb.net.announce import Announcer
from stb.net.api import NetContext, create_app
from stb.net.http import for_box

if TYPE_CHECKING:
    from stb.net.lantuner import LanTuner

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# h11's default (16 KiB) cut off a guide query for ~120 long channel ids with a connection reset, not an
# answer; 512 KiB takes the longest request the API documents (api.guide.MAX_IDS ids) many times over, so
# even a malformed one gets its 422 (at most 128 MiB over http.MAX_CONNECTIONS connections). The h11
# protocol is named, not left to "auto": httptools, when installed, has limits of its own, and ours
# (stb.net.http) adds the request time-out and the connection caps. Requests in progress are bounded
# by the API (api.Gate), with a problem JSON 503, not by uvicorn's limit_concurrency, which counted
# idle connections too and answered in plain text.
REQUEST_HEAD_MAX = 512 * 1024


class NetworkSide:
    def __init__(
        self,
        ctx: NetContext,
        host: str,
        port: int,
        announce: Callable[[int], Announcer] | None = None,
        peers: Peers | None = None,
        identity: BoxIdentity | None = None,
        lan_tuner: Callable[[NetworkSide], LanTuner] | None = None,
    ) -> None:
        """``announce(port)`` makes the zeroconf announcer once the port is known (None: no announcement);
        ``peers`` browses for the other boxes while the network side runs (None: it does not look);
        ``identity``: the API is also served over TLS with the box's certificate, on ``port + 1`` (any free
        port when ``port`` is 0), the only way paired devices send their tokens (docs/security.md);
        ``lan_tuner(self)``: the network tuner's UDP discovery and SSDP, run while its switch is on (None: the
        box is not on a LAN, the tuner is only its HTTP routes)."""
        self.ctx, self.host, self.port = ctx, host, port
        self.identity = identity
        self.tls_port: int | None = None
        self._tls_server: uvicorn.Server | None = None
        self.peers = peers
        self.bound_port: int | None = None
        self._make_announcer = announce
        self.announcer: Announcer | None = None
        self.announce_error: str | None = None
        self.initial_channel: str | None = None  # announced with the registration itself
        self.initial_channel_id: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future] = set()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.lan_tuner = lan_tuner(self) if lan_tuner is not None else None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stb-net", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None or self.bound_port is None:
            self.stop()
            reason = self._error or "it did not start in time"
            raise StbError(f"cannot serve the API on {self.host}:{self.port}: {reason}")

    def _run(self) -> None:
        protocol = for_box(self.ctx.limits)
        config = uvicorn.Config(create_app(self.ctx), host=self.host, port=self.port, log_level="warning",
                                lifespan="off", access_log=False, timeout_keep_alive=10,
                                timeout_graceful_shutdown=2, http=protocol,
                                h11_max_incomplete_event_size=REQUEST_HEAD_MAX)  # fmt: skip
        self._server = uvicorn.Server(config)
        if self.identity is not None:
            tls = uvicorn.Config(create_app(self.ctx), host=self.host, port=self.port + 1 if self.port else 0,
                                 log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=10,
                                 timeout_graceful_shutdown=2, http=protocol,
                                 h11_max_incomplete_event_size=REQUEST_HEAD_MAX,
                                 ssl_keyfile=str(self.identity.key_path),
                                 ssl_certfile=str(self.identity.cert_path))  # fmt: skip
            self._tls_server = uvicorn.Server(tls)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.ctx.hub.loop = self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # a port in use, mostly: reported by start()
            self._error = exc
        finally:
            self.ctx.hub.loop = None
            loop.close()
            self._ready.set()

    async def _serve(self) -> None:
        server = self._server
        assert server is not None
        task = asyncio.create_task(self._uvicorn(server))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        tls_task = None
        if server.started and self._tls_server is not None:
            tls_server = self._tls_server
            tls_task = asyncio.create_task(self._uvicorn(tls_server))
            while not tls_server.started and not tls_task.done():
                await asyncio.sleep(0.01)
            if tls_server.started:
                self.tls_port = self.ctx.tls_port = tls_server.servers[0].sockets[0].getsockname()[1]
            else:  # the TLS port is taken: plain HTTP still serves; paired devices say the box cannot prove itself
                log.warning("the API is not served over TLS: port %s is in use", tls_server.config.port)
        if server.started:
            self.bound_port = server.servers[0].sockets[0].getsockname()[1]
            await self._async_pvr(start=True)
            await self._async_tuner(self.ctx.network_tuner())  # before zeroconf's probing, which takes seconds
            await self._async_announce()
            if self.peers is not None:
                await self.peers.async_start()
            self._ready.set()
        try:
            await task
            if tls_task is not None:
                with contextlib.suppress(OSError):
                    await tls_task
        finally:
            if self.peers is not None:
                await self.peers.async_stop()
            await self._async_tuner(False)
        await self._async_pvr(start=False)  # idempotent: stop() has usually stopped it already
        if self.ctx.relay is not None:
            await self.ctx.relay.close()  # idempotent: stop() has usually closed it already
        await self.ctx.sessions.stop()
        if self.announcer is not None:
            await self.announcer.async_stop()  # goodbyes, so other screens drop the box at once
        if not server.started:
            raise OSError(f"could not listen on {self.host}:{self.port} (in use?)")

    async def _uvicorn(self, server: uvicorn.Server) -> None:
        """uvicorn's serve(), with its sys.exit on a failed start (a port in use) turned into an OSError: the
        SystemExit stopped the loop before anyone read the task, and asyncio printed a traceback at exit."""
        try:
            await server.serve()
        except SystemExit:
            raise OSError(f"could not listen on {self.host}:{self.port} (in use?)") from None

    async def _async_pvr(self, start: bool) -> None:
        """The recorder runs on this loop beside the relay it reads from; one that fails leaves the API up."""
        pvr = self.ctx.pvr
        if pvr is None:
            return
        try:
            await (pvr.async_start() if start else pvr.async_close())
        except Exception as exc:
            log.warning("the recorder did not %s: %s", "start" if start else "stop", exc, exc_info=True)

    async def _async_announce(self) -> None:
        """Start the announcer; a failure leaves the API up (reachable by address) and is reported."""
        if self._make_announcer is None or self.bound_port is None:
            return
        try:
            self.announcer = self._make_announcer(self.bound_port)
            await self.announcer.async_update_channel(self.initial_channel, self.initial_channel_id)
            await self.announcer.async_start()
        except Exception as exc:  # no such interface, no address yet…: the TV says so, the API stays
            log.warning("not announced on the LAN: %s", exc)
            self.announce_error = str(exc)
            self.announcer = None
            return
        self._keep(asyncio.ensure_future(self.announcer.async_watch_addresses()))

    async def _async_tuner(self, on: bool) -> None:
        if self.lan_tuner is not None:
            try:
                await self.lan_tuner.async_set(on)
            except Exception as exc:  # the API stays up; the tuner is still reachable by address
                log.warning("the network tuner's discovery did not follow the switch: %s", exc)

    def page_url(self) -> str | None:
        """The web page's address for phones on the LAN (None: not serving, or not on the LAN)."""
        if self.bound_port is None:
            return None
        host = self.host
        if self.announcer is not None and self.announcer.addresses is not None and self.announcer.addresses.ipv4:
            host = self.announcer.addresses.ipv4[0]
        if host in ("0.0.0.0", "::", "", "127.0.0.1", "::1", "localhost"):
            return None  # not announced, or this machine only: no address a phone could open
        return f"http://{host}:{self.bound_port}/"

    def _keep(self, task: asyncio.Future) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def announce_channel(self, channel: str | None, channel_id: str | None = None) -> None:
        """From the UI thread after a zap: the ``ch``/``cid`` TXT keys follow (throttled by the announcer)."""
        loop, announcer = self._loop, self.announcer
        if loop is None or announcer is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: the box is stopping
            loop.call_soon_threadsafe(
                lambda: self._keep(asyncio.ensure_future(announcer.async_update_channel(channel, channel_id)))
            )

    def follow(self, channel_id: str | None) -> None:
        """From the UI thread: the live relay now shows ``channel_id`` (None: nothing, e.g. locked)."""
        loop, relay = self._loop, self.ctx.relay
        if loop is None or relay is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: the box is stopping
            loop.call_soon_threadsafe(relay.follow, channel_id)

    def settings_changed(
        self, name: str, pairing_required: bool, show_channel: bool, network_tuner: bool = False
    ) -> None:
        """From the UI thread when Settings changed: the announcement follows the box's name (a new instance
        name, goodbyes for the old one) and its TXT the "open on this LAN" and privacy choices; the network
        tuner's UDP discovery and SSDP start or stop with its switch."""
        loop, announcer = self._loop, self.announcer
        if loop is None:
            return

        async def apply() -> None:
            await self._async_tuner(network_tuner)
            if announcer is None:
                return
            try:
                await announcer.async_update_settings(pairing_required=pairing_required, show_channel=show_channel)
                await announcer.async_rename(name)
            except Exception as exc:  # the API stays up; the box is still reachable by address
                log.warning("the announcement did not follow the new settings: %s", exc)

        with contextlib.suppress(RuntimeError):  # the loop is closing: the box is stopping
            loop.call_soon_threadsafe(lambda: self._keep(asyncio.ensure_future(apply())))

    def stop(self) -> None:
        loop, relay = self._loop, self.ctx.relay
        if loop is not None and self.ctx.pvr is not None and loop.is_running():
            # recordings end as interrupted before the relay's streams do (else they would note a gap)
            stopping = asyncio.run_coroutine_threadsafe(self._async_pvr(start=False), loop)
            with contextlib.suppress(Exception):
                stopping.result(STOP_TIMEOUT_S)
        if loop is not None and relay is not None and loop.is_running():
            # end the relayed streams first: uvicorn would otherwise wait for them to finish
            closing = asyncio.run_coroutine_threadsafe(relay.close(), loop)
            with contextlib.suppress(Exception):
                closing.result(STOP_TIMEOUT_S)
        if self._tls_server is not None:
            self._tls_server.should_exit = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                log.warning("the network thread did not stop within %.0f s", STOP_TIMEOUT_S)
        self.ctx.guide_thread.close()
