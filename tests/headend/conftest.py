"""Head-end fixtures: one live head-end on the session's own media (``media_dir``, in tests/conftest.py)."""

from __future__ import annotations

import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def headend(media_dir) -> tuple[str, int]:
    """One demo head-end child on a free loopback port for the whole session: (host, port)."""
    from stb.headend.process import start_headend_process, stop_headend_process, wait_until_ready

    host, port = "127.0.0.1", free_port()
    child = start_headend_process(host, port, media_dir=media_dir)
    try:
        wait_until_ready(f"http://{host}:{port}", 60, child=child)
        yield host, port
    finally:
        stop_headend_process(child)
