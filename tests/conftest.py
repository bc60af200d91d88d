"""Shared fixtures: an isolated state directory, and one demo head-end for the whole session."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Tests never read or write the user's real box state."""
    monkeypatch.setenv("STB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("STB_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """The demo media, generated once per session into a temporary STB_CACHE_DIR (never the user's cache)."""
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


@pytest.fixture
def demo_box(tmp_path, headend):
    """A running box (headless, its API on a free loopback port) on the demo head-end's line-up."""
    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.headend.catalog import demo_lineup

    app = build_app(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db",
              pretune=0, api_port=0)  # fmt: skip
    app.start()
    yield app
    app.close()


@pytest.fixture(scope="session")
def multitrack_clip(tmp_path_factory):
    """Matroska with two audio tracks (English, German) and English subtitles, for the track pickers."""
    folder = tmp_path_factory.mktemp("multitrack")
    srt = folder / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:09,000\nHello\n")
    path = folder / "clip.mkv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=10",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
         "-f", "lavfi", "-i", "sine=frequency=880:duration=10",
         "-i", str(srt),
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=ger", "-metadata:s:s:0", "language=eng",
         str(path)],
        check=True,
    )  # fmt: skip
    return path
