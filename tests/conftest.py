"""Shared fixtures: an isolated state directory, and one demo head-end for the whole session."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Tests never read or write the user's real box state."""
    monkeypatch.setenv("STB_STATE_DIR", str(tmp_path / "state"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def headend():
    """The demo head-end as a child process on a free loopback port: (host, port).

    Media comes from the user's cache (made by `make setup`), generated first if missing.
    """
    from stb.headend.process import start_headend_process, wait_until_ready

    host, port = "127.0.0.1", free_port()
    child = start_headend_process(host, port)
    try:
        wait_until_ready(child, host, port)
        yield host, port
    finally:
        child.terminate()
        child.wait(timeout=15)
