"""Throw-away test LANs in network namespaces (``stb.netns``), skipping the test where they cannot be made.

    from tests.netns import netns_lan

    def test_something():
        with netns_lan(2) as (a, b):          # skips the test when not root / no `ip netns`
            server = a.popen(["python", "-m", "http.server", "--bind", a.address])
            b.run(["curl", f"http://{a.address}:8000/"], check=True)

or as a fixture, when a module wants one LAN per test: ``lan = netns_lan_fixture(3)`` at module
level gives tests a ``lan`` argument (a list of three hosts).

The LAN itself (namespaces ``stbt-<pid>-…`` on one bridge, 10.123.X.<i>/24, multicast routed out of
eth0, everything removed on exit) is ``stb.netns.netns_lan``; this module only adds the skip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from stb import netns as _netns
from stb.netns import Host, NetnsUnavailable, netns_unavailable

__all__ = ["SUBNET_PREFIX", "Host", "netns_lan", "netns_lan_fixture", "netns_unavailable"]

PREFIX = "stbt"
SUBNET_PREFIX = "10.123"


@contextlib.contextmanager
def netns_lan(hosts: int = 2) -> Iterator[list[Host]]:
    """A LAN of ``hosts`` namespaces on one bridge; skips the calling test when namespaces are unavailable."""
    with contextlib.ExitStack() as stack:
        try:
            lan = stack.enter_context(_netns.netns_lan(hosts, prefix=PREFIX, subnet_prefix=SUBNET_PREFIX))
        except NetnsUnavailable as exc:
            pytest.skip(str(exc))
        yield lan


def netns_lan_fixture(hosts: int = 2, name: str = "lan"):
    """A pytest fixture (function scope) yielding ``netns_lan(hosts)``; assign it at module level."""

    @pytest.fixture(name=name)
    def _fixture() -> Iterator[list[Host]]:
        with netns_lan(hosts) as lan:
            yield lan

    return _fixture
