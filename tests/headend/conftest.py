"""Head-end fixtures: media generated once per session into a temporary cache, one live head-end.

The media fixture points STB_CACHE_DIR at a session temp directory (restored afterwards), so the
tests never touch, nor depend on, the user's cache; the head-end child inherits it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """The demo media, generated once for the session into a temporary STB_CACHE_DIR."""
    from stb.headend.media import ensure_media

    cache = tmp_path_factory.mktemp("stb-cache")
    previous = os.environ.get("STB_CACHE_DIR")
    os.environ["STB_CACHE_DIR"] = str(cache)
    try:
        yield ensure_media().directory
    finally:
        if previous is None:
            os.environ.pop("STB_CACHE_DIR", None)
        else:
            os.environ["STB_CACHE_DIR"] = previous


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
