"""The LAN side of "Offer this box as a network tuner": HDHomeRun UDP discovery (and its ``get``s) and SSDP,
running only while the switch is on, on the interfaces the box announces on. The HTTP side is
:mod:`stb.net.api.tuner`, which checks the same switch on each request."""

from __future__ import annotations

import logging
from collections.abc import Callable

from stb import __version__
from stb.net import hdhr
from stb.net.api import NetContext
from stb.net.hdhr_udp import HdhrResponder, Tuner
from stb.net.ssdp import Device, SsdpResponder

log = logging.getLogger(__name__)


class LanTuner:
    def __init__(
        self,
        ctx: NetContext,
        interfaces: list[str] | None,
        http_port: Callable[[], int | None],
        udp_port: int = 65001,
        ssdp_port: int = 1900,
    ) -> None:
        self.ctx, self.interfaces, self.http_port = ctx, interfaces, http_port
        self.udp_port, self.ssdp_port = udp_port, ssdp_port
        self._running: list[HdhrResponder | SsdpResponder] = []
        self.error: str | None = None  # why the last start did not (fully) happen

    @property
    def running(self) -> bool:
        return bool(self._running)

    def _tuner(self) -> Tuner:
        relay = self.ctx.relay
        return Tuner(
            device_id=hdhr.device_id(self.ctx.box_info()["id"]),
            tuners=relay.max_upstreams if relay is not None else 1,
            http_port=self.http_port() or 80,
            hwmodel=hdhr.MODEL,
            version=__version__,
        )

    def _device(self) -> Device:
        return Device(hdhr.upnp_uuid(self.ctx.box_info()["id"]), self.http_port() or 80)

    async def async_set(self, on: bool) -> None:
        """Start or stop both responders (idempotent). A port in use stops nothing else: it is logged and kept
        in ``error``, and the HTTP tuner routes still serve an app given the box's address."""
        if on == self.running:
            return
        if not on:
            for responder in reversed(self._running):
                await responder.async_stop()
            self._running = []
            return
        self.error = None
        for responder in (
            HdhrResponder(self._tuner, self.interfaces, self.udp_port),
            SsdpResponder(self._device, self.interfaces, self.ssdp_port),
        ):
            try:
                await responder.async_start()
            except OSError as exc:
                log.warning("network tuner: %s not answered: %s", type(responder).__name__, exc)
                self.error = str(exc)
                continue
            self._running.append(responder)
