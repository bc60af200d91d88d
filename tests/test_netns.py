"""The namespace LAN helper says clearly why it cannot work, and the test wrapper turns that into a skip."""

from __future__ import annotations

import pytest

from stb import netns
from stb.errors import StbError
from tests import netns as test_netns


def test_not_root_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    with (
        pytest.raises(netns.NetnsUnavailable, match=r"^cannot make network namespaces: that needs root$"),
        netns.netns_lan(2),
    ):
        pass
    assert issubclass(netns.NetnsUnavailable, StbError)  # the CLI prints it as one line


def test_no_iproute2_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 0)
    monkeypatch.setattr(netns.shutil, "which", lambda name: None)
    assert netns.netns_unavailable() == "cannot make network namespaces: iproute2 (`ip`) is not installed"
    with pytest.raises(netns.NetnsUnavailable, match="iproute2"):
        netns.require_netns()


def test_the_test_wrapper_skips_instead(monkeypatch):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match="that needs root"), test_netns.netns_lan(2):
        pass


def test_hosts_out_of_range():
    with pytest.raises(ValueError, match=r"1\.\.250 hosts"), netns.netns_lan(0):
        pass
