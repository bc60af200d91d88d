"""UDP multicast output: every live channel to GROUP on its own port (base port + number - 1).

Multicast is only ever sent on the interface named by the caller, with TTL 1, so it stays on that
link (in tests, a network namespace's veth); there is no default interface on purpose.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import struct

from stb.errors import StbError
from stb.headend.broadcast import Broadcast

log = logging.getLogger(__name__)

DATAGRAM = 7 * 188  # 1316 bytes: seven TS packets, the IPTV convention, fits any Ethernet MTU


def parse_target(text: str) -> tuple[str, int]:
    group, _, port = text.rpartition(":")
    try:
        address = ipaddress.IPv4Address(group)
        number = int(port)
    except ValueError:
        raise StbError(f"--multicast wants GROUP:PORT (e.g. 239.255.42.1:5000), not {text!r}") from None
    if not address.is_multicast:
        raise StbError(f"{group} is not a multicast group (224.0.0.0/4)")
    if not 1 <= number <= 65535 - 100:
        raise StbError(f"multicast port {number} is out of range")
    return group, number


def multicast_socket(interface: str) -> socket.socket:
    try:
        index = socket.if_nametoindex(interface)
    except OSError:
        raise StbError(f"no network interface {interface!r}") from None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", bytes(4), bytes(4), index))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setblocking(False)
    return sock


async def send_channel(broadcast: Broadcast, sock: socket.socket, group: str, port: int) -> None:
    """Forward one channel to its group port for as long as the head-end runs."""
    pending = b""
    while True:
        async for chunk in broadcast.stream():
            pending += chunk
            while len(pending) >= DATAGRAM:
                with contextlib.suppress(BlockingIOError):  # link full: drop, as a real source would
                    sock.sendto(pending[:DATAGRAM], (group, port))
                pending = pending[DATAGRAM:]
        log.warning("multicast %s fell behind and restarts", broadcast.channel_id)
