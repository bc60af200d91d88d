"""The addresses of this machine's LAN interfaces, for announcing (the box) and browsing (the box and laptops)."""

from __future__ import annotations

import contextlib
import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path

import ifaddr
from zeroconf import IPVersion

from stb.errors import StbError

_IF_INET6 = Path("/proc/net/if_inet6")
_IFA_F_DADFAILED, _IFA_F_TENTATIVE = 0x08, 0x40


@dataclass(frozen=True)
class LanAddresses:
    """The addresses of the chosen interfaces, and how to hand them to ``AsyncZeroconf``."""

    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]  # without scope: what AAAA records carry
    bind: tuple[str, ...]  # AsyncZeroconf(interfaces=...): every IPv4 address, one IPv6 address per link

    @property
    def ip_version(self) -> IPVersion:
        if self.ipv4 and self.ipv6:
            return IPVersion.All
        return IPVersion.V6Only if self.ipv6 else IPVersion.V4Only

    @property
    def advertised(self) -> list[str]:
        return [*self.ipv4, *self.ipv6]


def lan_addresses(interfaces: list[str] | None = None) -> LanAddresses:
    """IPv4 and usable IPv6 addresses of the named interfaces (None: every non-loopback one).

    IPv6 addresses still in duplicate address detection ("tentative": the first second or two
    after a link comes up) cannot be bound yet, so they are left out until they are usable.
    Raises StbError for an unknown interface or when no address is left.
    """
    adapters = {adapter.name: adapter for adapter in ifaddr.get_adapters()}
    if interfaces is not None:
        unknown = [name for name in interfaces if name not in adapters]
        if unknown:
            raise StbError(f"no network interface named {unknown[0]!r} (have: {', '.join(sorted(adapters))})")
        chosen = [adapters[name] for name in dict.fromkeys(interfaces)]
    else:
        chosen = list(adapters.values())
    unusable = _unusable_ipv6()
    ipv4: list[str] = []
    ipv6: list[str] = []
    bind6: list[str] = []
    for adapter in chosen:
        link6: list[str] = []
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                if interfaces is None and ipaddress.ip_address(ip.ip).is_loopback:
                    continue
                ipv4.append(ip.ip)
            else:
                address = ip.ip[0].split("%", 1)[0]
                parsed = ipaddress.ip_address(address)
                if (interfaces is None and parsed.is_loopback) or parsed in unusable:
                    continue
                link6.append(address)
        if link6:
            ipv6.extend(link6)
            # one socket per link; link-local is always there and does not change with prefixes
            bind6.append(min(link6, key=lambda a: not ipaddress.ip_address(a).is_link_local))
    if not ipv4 and not ipv6:
        where = ", ".join(interfaces) if interfaces is not None else "any non-loopback interface"
        raise StbError(f"no IPv4 or IPv6 address on {where}")
    return LanAddresses(tuple(ipv4), tuple(dict.fromkeys(ipv6)), tuple([*ipv4, *bind6]))


def _unusable_ipv6() -> set[ipaddress.IPv6Address]:
    """IPv6 addresses that are tentative or failed DAD (Linux; elsewhere: none known)."""
    try:
        lines = _IF_INET6.read_text().splitlines()
    except OSError:
        return set()
    result = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 5 and len(fields[0]) == 32:
            with contextlib.suppress(ValueError):
                if int(fields[4], 16) & (_IFA_F_TENTATIVE | _IFA_F_DADFAILED):
                    result.add(ipaddress.IPv6Address(int(fields[0], 16)))
    return result


def lan_ipv4_networks(interfaces: list[str] | None = None) -> list[ipaddress.IPv4Interface]:
    """The IPv4 address and network of each chosen interface (None: every non-loopback one); an unknown
    interface is left out. What a LAN responder (UDP tuner discovery, SSDP) answers for, and from."""
    result = []
    for adapter in ifaddr.get_adapters():
        if interfaces is not None and adapter.name not in interfaces:
            continue
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                iface = ipaddress.IPv4Interface(f"{ip.ip}/{ip.network_prefix}")
                if interfaces is None and iface.ip.is_loopback:
                    continue
                result.append(iface)
    return result


def local_address_for(peer: str, networks: list[ipaddress.IPv4Interface]) -> str | None:
    """This machine's address on ``peer``'s subnet (None: the peer is on none of ``networks``)."""
    try:
        address = ipaddress.IPv4Address(peer)
    except ValueError:
        return None
    return next((str(n.ip) for n in networks if address in n.network), None)


class Ipv4Networks:
    """:func:`lan_ipv4_networks`, read again at most every ``every_s``: a LAN responder asks on each packet,
    and a flood of packets must not turn into a flood of interface listings."""

    def __init__(self, interfaces: list[str] | None, every_s: float = 2.0) -> None:
        self.interfaces, self.every_s = interfaces, every_s
        self._networks: list[ipaddress.IPv4Interface] = []
        self._read_at: float | None = None

    def __call__(self) -> list[ipaddress.IPv4Interface]:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self.every_s:
            self._networks, self._read_at = lan_ipv4_networks(self.interfaces), now
        return self._networks
