"""SSDP for the network tuner: answers M-SEARCH for a MediaServer (as Plex and Emby look for HDHomeRuns)
with LOCATION at the box's ``/device.xml``, and says ``ssdp:alive``/``ssdp:byebye`` on the chosen links.

A small asyncio datagram responder rather than a UPnP framework: the box needs one device, one answer and
no control point (async-upnp-client would bring aiohttp, voluptuous and a device model for this). As with
the UDP tuner discovery, only peers on the subnet of an interface the box announces on get an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from stb import __version__
from stb.lan.addresses import Ipv4Networks, local_address_for
from stb.net.hdhr import UPNP_DEVICE_TYPE

log = logging.getLogger(__name__)

GROUP, PORT = "239.255.255.250", 1900
MAX_AGE_S = 1800
REANNOUNCE_S = 600.0
SERVER = f"Linux/1 UPnP/1.0 stb/{__version__}"
MAX_REQUEST = 2048


@dataclass(frozen=True)
class Device:
    uuid: str  # without "uuid:"
    http_port: int


def search_targets(device: Device) -> dict[str, str]:
    """ST -> USN for everything the box answers to."""
    udn = f"uuid:{device.uuid}"
    return {"upnp:rootdevice": f"{udn}::upnp:rootdevice", udn: udn, UPNP_DEVICE_TYPE: f"{udn}::{UPNP_DEVICE_TYPE}"}


def parse_msearch(data: bytes) -> str | None:
    """The ST of an ``ssdp:discover`` M-SEARCH, else None (anything malformed included)."""
    if len(data) > MAX_REQUEST:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    if not lines or lines[0].strip().upper() != "M-SEARCH * HTTP/1.1":
        return None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().upper()] = value.strip()
    if headers.get("MAN", "").strip('"') != "ssdp:discover":
        return None
    return headers.get("ST")


def answers(st: str, device: Device, local_ip: str) -> list[bytes]:
    """The unicast replies to an M-SEARCH for ``st`` (one per target for ``ssdp:all``)."""
    targets = search_targets(device)
    chosen = targets if st == "ssdp:all" else {st: targets[st]} if st in targets else {}
    location = f"http://{local_ip}:{device.http_port}/device.xml"
    return [
        (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age={MAX_AGE_S}\r\nEXT:\r\nLOCATION: {location}\r\n"
         f"SERVER: {SERVER}\r\nST: {target}\r\nUSN: {usn}\r\n\r\n").encode()
        for target, usn in chosen.items()
    ]  # fmt: skip


def notify(kind: str, device: Device, local_ip: str) -> list[bytes]:
    location = f"http://{local_ip}:{device.http_port}/device.xml"
    return [
        (f"NOTIFY * HTTP/1.1\r\nHOST: {GROUP}:{PORT}\r\nCACHE-CONTROL: max-age={MAX_AGE_S}\r\n"
         f"LOCATION: {location}\r\nNT: {target}\r\nNTS: {kind}\r\nSERVER: {SERVER}\r\nUSN: {usn}\r\n\r\n").encode()
        for target, usn in search_targets(device).items()
    ]  # fmt: skip


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, responder: SsdpResponder) -> None:
        self.responder = responder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        st = parse_msearch(data)
        if st is None or self.transport is None:
            return
        peer = str(addr[0])
        local = local_address_for(peer, self.responder.networks())
        if local is None:
            return
        for reply in answers(st, self.responder.device(), local):
            self.transport.sendto(reply, (peer, addr[1]))


class SsdpResponder:
    """Joins the SSDP group on each chosen interface while started; answers M-SEARCH, announces itself."""

    def __init__(self, device: Callable[[], Device], interfaces: list[str] | None, port: int = PORT) -> None:
        self.device, self.interfaces, self.port = device, interfaces, port
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._task: asyncio.Task | None = None
        self.networks = Ipv4Networks(interfaces)

    async def async_start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(AttributeError, OSError):  # another SSDP stack on this machine may share it
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
            sock.bind(("0.0.0.0", self.port))
            for network in self.networks():
                membership = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(str(network.ip)))
                with contextlib.suppress(OSError):  # already joined on that link (two addresses)
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        except OSError:
            sock.close()
            raise
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._sock = sock
        self._task = asyncio.ensure_future(self._announce_every(REANNOUNCE_S))

    def _notify(self, kind: str) -> None:
        sock, transport = self._sock, self._transport
        if sock is None or transport is None:
            return
        for network in self.networks():
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(network.ip)))
                for message in notify(kind, self.device(), str(network.ip)):
                    sock.sendto(message, (GROUP, PORT))

    async def _announce_every(self, seconds: float) -> None:
        while True:
            self._notify("ssdp:alive")
            await asyncio.sleep(seconds)

    async def async_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._notify("ssdp:byebye")
        if self._transport is not None:
            self._transport.close()
        self._transport = self._sock = None
