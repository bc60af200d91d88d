"""Throw-away LANs in network namespaces, so multicast and mDNS never touch the machine's real interfaces.

    from stb.netns import netns_lan

    with netns_lan(2) as (a, b):              # StbError (NetnsUnavailable) when not root / no `ip`
        server = a.popen(["python", "-m", "http.server", "--bind", a.address])
        b.run(["curl", f"http://{a.address}:8000/"], check=True)

Used by the tests (``tests/netns.py`` turns "unavailable" into a skip) and by ``stb bench discovery``.

Each host is a namespace ``<prefix>-<pid>-<n>-<i>`` with ``lo`` up and ``eth0`` (a veth) plugged into a
bridge in a namespace of its own (``<prefix>-<pid>-<n>-br``), so every host sees every other's broadcast
and multicast, as on a home LAN switch. Addresses are ``<subnet_prefix>.X.<i>/24`` with X picked per LAN;
multicast is enabled and 224.0.0.0/4 is routed out of eth0 (a namespace has no default route
otherwise). The bridge floods multicast (no IGMP snooping), so a receiver needs no querier.
Everything is removed on exit, even on an error or Ctrl-C, and any process started with
``Host.popen`` that is still running is stopped first.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from stb.errors import StbError

__all__ = [
    "Host",
    "NetnsUnavailable",
    "netns_lan",
    "netns_unavailable",
    "remove_stale",
    "require_netns",
    "wait_for_addresses",
]

_counter = itertools.count(1)


class NetnsUnavailable(StbError):
    """Network namespaces cannot be made here (not root, no iproute2, or the kernel refuses)."""


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise StbError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def netns_unavailable() -> str | None:
    """Why namespaces cannot be made here (one line), or None when they can (tried with ``ip netns add``)."""
    if os.geteuid() != 0:
        return "cannot make network namespaces: that needs root"
    if shutil.which("ip") is None:
        return "cannot make network namespaces: iproute2 (`ip`) is not installed"
    probe = f"stbprobe-{os.getpid()}-{threading.get_ident()}"
    result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if result.returncode != 0:
        return f"cannot make network namespaces: `ip netns add` failed: {' '.join(result.stderr.split())}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def require_netns() -> None:
    """Raise NetnsUnavailable, saying why, unless namespaces can be made here."""
    reason = netns_unavailable()
    if reason is not None:
        raise NetnsUnavailable(reason)


@dataclass
class Host:
    """One machine on the LAN: run commands inside its namespace."""

    namespace: str
    address: str
    interface: str = "eth0"
    processes: list[subprocess.Popen] = field(default_factory=list)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped to run in this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        """subprocess.run in the namespace (captured text output unless told otherwise)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.command(argv), **kwargs)

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        """subprocess.Popen in the namespace; stopped when the LAN is torn down if still running."""
        process = subprocess.Popen(self.command(argv), **kwargs)
        self.processes.append(process)
        return process

    def stop_processes(self, timeout: float = 10.0) -> None:
        """SIGTERM what still runs, then SIGKILL what has not ended within ``timeout`` seconds."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tentative_ipv6(self) -> bool:
        """True while an IPv6 address of the host is still in duplicate address detection."""
        done = subprocess.run(
            ["ip", "-n", self.namespace, "-6", "addr", "show", "dev", self.interface, "tentative"],
            capture_output=True,
            text=True,
        )
        return bool(done.stdout.strip())


def wait_for_addresses(hosts: list[Host], timeout: float = 5.0) -> bool:
    """Wait until no host has a tentative IPv6 address (a second or two after the links come up).

    Until then a host announces and browses on IPv4 only, which would make its first seconds
    unlike the rest. False when some address is still tentative after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while any(host.tentative_ipv6() for host in hosts):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM (delivered afterwards) so a second Ctrl-C cannot cut a teardown short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def netns_lan(hosts: int = 2, *, prefix: str = "stbn", subnet_prefix: str = "10.123") -> Iterator[list[Host]]:
    """A LAN of ``hosts`` namespaces on one bridge; raises NetnsUnavailable when namespaces cannot be made.

    ``prefix`` names the namespaces (tests and benchmarks use their own, so ``remove_stale`` can
    tell theirs apart); ``subnet_prefix`` is the first two octets of the addresses.
    """
    if not 1 <= hosts <= 250:
        raise ValueError("a namespace LAN has 1..250 hosts")
    require_netns()
    tag = f"{prefix}-{os.getpid()}-{next(_counter)}"  # unique per process and LAN: concurrent runs never collide
    subnet = f"{subnet_prefix}.{random.randrange(1, 255)}"
    bridge_ns = f"{tag}-br"
    made: list[str] = []
    result: list[Host] = []
    try:
        made.append(bridge_ns)  # listed before it exists: an interrupt during `ip netns add` still removes it
        _ip("netns", "add", bridge_ns)
        _ip("-n", bridge_ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip("-n", bridge_ns, "link", "set", "br0", "up")
        for i in range(1, hosts + 1):
            ns = f"{tag}-{i}"
            made.append(ns)
            _ip("netns", "add", ns)
            # made inside the host's namespace: the root namespace never sees the link
            _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"port{i}", "netns", bridge_ns)
            address = f"{subnet}.{i}"
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up", "multicast", "on")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")
            _ip("-n", bridge_ns, "link", "set", f"port{i}", "master", "br0", "up")
            result.append(Host(ns, address))
        yield result
    finally:
        with _signals_held():
            for host in result:
                host.stop_processes()
            for ns in reversed(made):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def remove_stale(prefix: str) -> list[str]:
    """Delete namespaces named ``<prefix>-<pid>-…`` whose process is gone (a run killed with SIGKILL).

    Only that prefix is touched, so other tools' namespaces, and live runs', are left alone.
    Returns the names removed.
    """
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-\S+")
    removed = []
    for line in listed.stdout.splitlines():
        match = pattern.match(line.strip())
        if match is None or _alive(int(match.group(1))):
            continue
        name = match.group(0)
        if subprocess.run(["ip", "netns", "del", name], capture_output=True).returncode == 0:
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
