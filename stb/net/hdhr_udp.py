"""HDHomeRun discovery on UDP port 65001, as libhdhomerun speaks it (Kodi's pvr.hdhomerun, Jellyfin's
"detect", the Channels app, ``hdhomerun_config discover``), and the few read-only ``get`` answers of the
control protocol on TCP 65001 (``hdhomerun_config <id> get /sys/model``).

A packet (libhdhomerun's hdhomerun_pkt.h) is: type (u16), payload length (u16), then tag-length-value
items (a length under 128 in one byte, else two: the low 7 bits with 0x80 set, then the rest), then an
Ethernet CRC32 of all that, little-endian; everything else is big-endian. A discover request (0x0002)
names a device type (0x01, or several in 0x2D) and an id (0x02); the reply (0x0003) gives the type, the
id, the tuner count (0x10), the base URL (0x2A), the line-up URL (0x27) and the device auth (0x2B).

Only peers on the subnet of an interface the box announces on get an answer, from the box's address on
that subnet: a request from elsewhere is dropped (no reflection towards other networks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stb.lan.addresses import Ipv4Networks, local_address_for
from stb.net.hdhr import DEVICE_TYPE_TUNER

log = logging.getLogger(__name__)

PORT = 65001
TYPE_DISCOVER_REQ, TYPE_DISCOVER_RPY = 0x0002, 0x0003
TYPE_GETSET_REQ, TYPE_GETSET_RPY = 0x0004, 0x0005
TAG_DEVICE_TYPE, TAG_DEVICE_ID, TAG_GETSET_NAME, TAG_GETSET_VALUE = 0x01, 0x02, 0x03, 0x04
TAG_ERROR_MESSAGE, TAG_TUNER_COUNT, TAG_LINEUP_URL, TAG_BASE_URL = 0x05, 0x10, 0x27, 0x2A
TAG_DEVICE_AUTH_STR, TAG_MULTI_TYPE = 0x2B, 0x2D
WILDCARD = 0xFFFFFFFF
MAX_PACKET = 1460  # HDHOMERUN_MAX_PACKET_SIZE
CONTROL_IDLE_S = 10.0  # a control connection that says nothing for this long is closed


class BadPacket(ValueError):
    """Bytes that are not a whole, intact HDHomeRun packet."""


def frame(kind: int, payload: bytes) -> bytes:
    head = struct.pack(">HH", kind, len(payload)) + payload
    return head + struct.pack("<I", zlib.crc32(head))


def open_frame(data: bytes) -> tuple[int, bytes]:
    """(type, payload) of one packet; BadPacket when it is short, long or its CRC is wrong."""
    if len(data) < 8:
        raise BadPacket("shorter than a header and a CRC")
    kind, length = struct.unpack_from(">HH", data)
    if len(data) != 4 + length + 4:
        raise BadPacket("length does not match")
    if zlib.crc32(data[: 4 + length]) != struct.unpack_from("<I", data, 4 + length)[0]:
        raise BadPacket("CRC mismatch")
    return kind, data[4 : 4 + length]


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n > 0x7FFF:
        raise ValueError("value too long for a TLV")
    length = bytes([n]) if n < 128 else bytes([(n & 0x7F) | 0x80, n >> 7])
    return bytes([tag]) + length + value


def tlvs(payload: bytes) -> Iterator[tuple[int, bytes]]:
    """Each (tag, value); BadPacket when an item runs past the end."""
    at = 0
    while at < len(payload):
        if at + 2 > len(payload):
            raise BadPacket("truncated item")
        tag, n = payload[at], payload[at + 1]
        at += 2
        if n & 0x80:
            if at >= len(payload):
                raise BadPacket("truncated length")
            n = (n & 0x7F) | (payload[at] << 7)
            at += 1
        if at + n > len(payload):
            raise BadPacket("truncated value")
        yield tag, payload[at : at + n]
        at += n


@dataclass(frozen=True)
class Tuner:
    """What the answers say: the id, the tuner count and the HTTP port of the box's root tuner routes."""

    device_id: int
    tuners: int
    http_port: int
    model: str = "hdhomerun5_atsc"  # /sys/model of the model the box poses as (hdhr.MODEL)
    hwmodel: str = "HDHR5-4US"
    version: str = ""


def discover_reply(request: bytes, tuner: Tuner, local_ip: str) -> bytes | None:
    """The reply to a discover request asking for a tuner (or anything) with our id (or any); None to stay
    silent. Raises BadPacket for bytes that are not a packet."""
    kind, payload = open_frame(request)
    if kind != TYPE_DISCOVER_REQ:
        return None
    types: list[int] = []
    wanted_id = WILDCARD
    for tag, value in tlvs(payload):
        if tag == TAG_DEVICE_TYPE and len(value) == 4:
            types.append(struct.unpack(">I", value)[0])
        elif tag == TAG_MULTI_TYPE and len(value) % 4 == 0:
            types.extend(struct.unpack(f">{len(value) // 4}I", value))
        elif tag == TAG_DEVICE_ID and len(value) == 4:
            wanted_id = struct.unpack(">I", value)[0]
    if types and not ({WILDCARD, DEVICE_TYPE_TUNER} & set(types)):
        return None
    if wanted_id not in (WILDCARD, tuner.device_id):
        return None
    base = f"http://{local_ip}:{tuner.http_port}"
    body = (
        tlv(TAG_DEVICE_TYPE, struct.pack(">I", DEVICE_TYPE_TUNER))
        + tlv(TAG_DEVICE_ID, struct.pack(">I", tuner.device_id))
        + tlv(TAG_TUNER_COUNT, bytes([max(1, min(tuner.tuners, 255))]))
        + tlv(TAG_BASE_URL, base.encode())
        + tlv(TAG_LINEUP_URL, f"{base}/lineup.json".encode())
        + tlv(TAG_DEVICE_AUTH_STR, b"")
    )
    return frame(TYPE_DISCOVER_RPY, body)


def getset_reply(request: bytes, tuner: Tuner) -> bytes | None:
    """The reply to a control ``get`` (a ``set`` is refused: nothing here can be changed)."""
    kind, payload = open_frame(request)
    if kind != TYPE_GETSET_REQ:
        return None
    name = value = None
    for tag, item in tlvs(payload):
        if tag == TAG_GETSET_NAME:
            name = item.rstrip(b"\0").decode("ascii", "replace")
        elif tag == TAG_GETSET_VALUE:
            value = item
    if name is None:
        return None
    known = {"/sys/model": tuner.model, "/sys/hwmodel": tuner.hwmodel, "/sys/version": tuner.version}
    # Jellyfin asks each tuner's lock key to show which are free: none is ever locked here
    known.update({f"/tuner{i}/lockkey": "none" for i in range(max(1, min(tuner.tuners, 255)))})
    reply = tlv(TAG_GETSET_NAME, name.encode()[:200] + b"\0")
    if value is not None:
        reply += tlv(TAG_ERROR_MESSAGE, b"ERROR: this tuner is read-only\0")
    elif name in known:
        reply += tlv(TAG_GETSET_VALUE, known[name].encode() + b"\0")
    else:
        reply += tlv(TAG_ERROR_MESSAGE, b"ERROR: unknown getset variable\0")
    return frame(TYPE_GETSET_RPY, reply)


class _Discovery(asyncio.DatagramProtocol):
    def __init__(self, responder: HdhrResponder) -> None:
        self.responder = responder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        peer = str(addr[0])
        local = local_address_for(peer, self.responder.networks())
        if local is None or self.transport is None:
            return
        try:
            reply = discover_reply(data, self.responder.tuner(), local)
        except BadPacket:
            return
        if reply is not None:
            self.transport.sendto(reply, (peer, addr[1]))


class HdhrResponder:
    """Answers discovery on UDP 65001 and control ``get`` on TCP 65001 while started (the switch is on)."""

    def __init__(self, tuner: Callable[[], Tuner], interfaces: list[str] | None, port: int = PORT) -> None:
        self.tuner, self.interfaces, self.port = tuner, interfaces, port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self.networks = Ipv4Networks(interfaces)

    async def async_start(self) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.bind(("0.0.0.0", self.port))  # broadcasts reach only a socket bound to the wildcard
        except OSError:
            sock.close()
            raise
        transport, _ = await loop.create_datagram_endpoint(lambda: _Discovery(self), sock=sock)
        self._udp = transport
        hosts = [str(n.ip) for n in self.networks()]
        if hosts:
            try:
                self._tcp = await asyncio.start_server(self._control, hosts, self.port, reuse_address=True)
            except OSError as exc:  # discovery still works; only `get` is missing
                log.warning("the tuner's control port %s is not served: %s", self.port, exc)

    async def _control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(4), CONTROL_IDLE_S)
                length = struct.unpack(">H", head[2:])[0]
                if length > MAX_PACKET:
                    break
                rest = await asyncio.wait_for(reader.readexactly(length + 4), CONTROL_IDLE_S)
                try:
                    reply = getset_reply(head + rest, self.tuner())
                except BadPacket:
                    break
                if reply is None:
                    break
                writer.write(reply)
                await asyncio.wait_for(writer.drain(), CONTROL_IDLE_S)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def async_stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2)
            self._tcp = None
