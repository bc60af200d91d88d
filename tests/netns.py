"""Throw-away test LANs in network namespaces, so multicast and mDNS never touch real interfaces.

    with lan(2) as (a, b):
        a.popen([...]); b.run([...])

Each host is a namespace with `lo` up and `eth0` on a bridge namespace, addressed in a private
10.123.X.0/24 picked per run, multicast enabled and routed out of eth0. Everything is removed on
exit, even when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Host:
    namespace: str
    address: str
    interface: str = "eth0"

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.command(argv), **kwargs)

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(argv), **kwargs)


def skip_unless_netns() -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to create network namespaces")


@contextlib.contextmanager
def lan(hosts: int) -> Iterator[list[Host]]:
    skip_unless_netns()
    tag = f"stbt{os.getpid() % 100000}"
    subnet = 10 + os.getpid() % 200
    bridge_ns = f"{tag}-br"
    made: list[str] = []
    try:
        _ip("netns", "add", bridge_ns)
        made.append(bridge_ns)
        _ip("-n", bridge_ns, "link", "add", "br0", "type", "bridge")
        _ip("-n", bridge_ns, "link", "set", "br0", "up")
        result = []
        for i in range(1, hosts + 1):
            ns = f"{tag}-h{i}"
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("link", "add", f"{tag}v{i}", "netns", ns, "type", "veth", "peer", "name", f"p{i}", "netns", bridge_ns)
            _ip("-n", ns, "link", "set", f"{tag}v{i}", "name", "eth0")
            address = f"10.123.{subnet}.{i}"
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up", "multicast", "on")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")
            _ip("-n", bridge_ns, "link", "set", f"p{i}", "master", "br0", "up")
            result.append(Host(ns, address))
        yield result
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
