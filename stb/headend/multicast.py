"""UDP multicast output: every live channel to GROUP on its own port (base port + number - 1).

Plain UDP (no RTP), seven 188-byte TS packets per datagram, TTL 1: what IPTV set-top boxes expect
from ``udp://@GROUP:PORT``. Multicast is only ever sent out of the interface named by the caller
(SO_BINDTODEVICE plus IP_MULTICAST_IF), so it stays on that link; in tests that is a veth inside a
network namespace. There is no default interface on purpose.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct

from stb.errors import StbError
from stb.headend.broadcast import Broadcast
from stb.headend.catalog import CHANNELS

log = logging.getLogger(__name__)

DATAGRAM = 7 * 188  # 1316 bytes: seven TS packets, the IPTV convention, fits any Ethernet MTU
TTL = 1  # never routed off the link


def parse_target(text: str) -> tuple[str, int]:
    """``GROUP:PORT`` → (group, base port), checked: a multicast IPv4 group and room for every channel."""
    group, _, port = text.rpartition(":")
    try:
        address = ipaddress.IPv4Address(group)
        number = int(port)
    except ValueError:
        raise StbError(f"--multicast wants GROUP:PORT (e.g. 239.255.42.1:5000), not {text!r}") from None
    if not address.is_multicast:
        raise StbError(f"{group} is not a multicast group (224.0.0.0/4; 239.255.0.0/16 is for local use)")
    highest = max(c.number for c in CHANNELS) - 1
    if not 1024 <= number <= 65535 - highest:
        raise StbError(f"multicast base port {number} is out of range (1024..{65535 - highest})")
    return group, number


def interface_address(interface: str) -> str | None:
    """The interface's IPv4 address (SIOCGIFADDR), or None when it has none."""
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", interface.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def multicast_socket(interface: str) -> socket.socket:
    """A non-blocking UDP socket that sends multicast out of ``interface`` only, with TTL 1."""
    try:
        index = socket.if_nametoindex(interface)
    except OSError:
        raise StbError(f"no network interface {interface!r}") from None
    address = interface_address(interface)
    if address is None:
        raise StbError(f"interface {interface!r} has no IPv4 address to send multicast from")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        # struct ip_mreqn: multicast address (unused here), the interface's address and its index
        mreqn = struct.pack("4s4si", bytes(4), socket.inet_aton(address), index)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, TTL)
    except OSError as exc:
        sock.close()
        raise StbError(f"cannot send multicast on {interface}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


async def send_channel(broadcast: Broadcast, sock: socket.socket, group: str, port: int) -> None:
    """Forward one channel to its group port for as long as the head-end runs.

    The sender is a viewer of the channel's fan-out like any HTTP client; if it ever falls behind it
    is dropped and simply subscribes again (from the latest keyframe).
    """
    while True:
        pending = b""
        async for chunk in broadcast.stream():
            pending += chunk
            whole = len(pending) - len(pending) % DATAGRAM
            for at in range(0, whole, DATAGRAM):
                try:
                    sock.sendto(pending[at : at + DATAGRAM], (group, port))
                except BlockingIOError:
                    pass  # link full: drop the datagram, as a real source would
                except OSError as exc:  # link down or unroutable: keep going, it may come back
                    log.debug("multicast %s: %s", broadcast.channel_id, exc)
            pending = pending[whole:]
        log.warning("multicast %s fell behind and restarts", broadcast.channel_id)
        await asyncio.sleep(0.1)
