"""Throw-away test LANs in network namespaces, so multicast and mDNS never touch real interfaces.

    from tests.netns import netns_lan

    def test_something():
        with netns_lan(2) as (a, b):          # skips the test when not root / no `ip netns`
            server = a.popen(["python", "-m", "http.server", "--bind", a.address])
            b.run(["curl", f"http://{a.address}:8000/"], check=True)

or as a fixture, when a module wants one LAN per test: ``lan = netns_lan_fixture(3)`` at module
level gives tests a ``lan`` argument (a list of three hosts).

Each host is a namespace ``stbt-<pid>-<i>`` with ``lo`` up and ``eth0`` (a veth) plugged into a
bridge in a namespace of its own (``stbt-<pid>-br``), so every host sees every other's broadcast
and multicast, as on a home LAN switch. Addresses are 10.123.X.<i>/24 with X picked per run, so
concurrent runs do not collide; multicast is enabled and 224.0.0.0/4 is routed out of eth0 (a
namespace has no default route otherwise). The bridge floods multicast (no IGMP snooping), so a
receiver needs no querier. Everything is removed on exit, even when the test fails, and any
process started with ``Host.popen`` that is still running is killed first.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

SUBNET_PREFIX = "10.123"
_counter = itertools.count(1)


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def netns_unavailable() -> str | None:
    """Why namespaces cannot be made here (a skip reason), or None when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`) to create network namespaces"
    probe = f"stbt-{os.getpid()}-probe"
    result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if result.returncode != 0:
        return f"`ip netns add` does not work here: {result.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@dataclass
class Host:
    """One machine on the test LAN: run commands inside its namespace."""

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
        """subprocess.Popen in the namespace; killed when the LAN is torn down if still running."""
        process = subprocess.Popen(self.command(argv), **kwargs)
        self.processes.append(process)
        return process

    def stop_processes(self, timeout: float = 10.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def netns_lan(hosts: int = 2) -> Iterator[list[Host]]:
    """A LAN of ``hosts`` namespaces on one bridge; skips the calling test when namespaces are unavailable."""
    if not 1 <= hosts <= 250:
        raise ValueError("a test LAN has 1..250 hosts")
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    run = next(_counter)
    tag = f"stbt-{os.getpid()}-{run}"  # unique per process and LAN, so concurrent runs never collide
    subnet = f"{SUBNET_PREFIX}.{random.randrange(1, 255)}"
    bridge_ns = f"{tag}-br"
    made: list[str] = []
    result: list[Host] = []
    try:
        _ip("netns", "add", bridge_ns)
        made.append(bridge_ns)
        _ip("-n", bridge_ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip("-n", bridge_ns, "link", "set", "br0", "up")
        for i in range(1, hosts + 1):
            ns = f"{tag}-{i}"
            _ip("netns", "add", ns)
            made.append(ns)
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
        for host in result:
            host.stop_processes()
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def netns_lan_fixture(hosts: int = 2, name: str = "lan"):
    """A pytest fixture (function scope) yielding ``netns_lan(hosts)``; assign it at module level."""

    @pytest.fixture(name=name)
    def _fixture() -> Iterator[list[Host]]:
        with netns_lan(hosts) as lan:
            yield lan

    return _fixture
