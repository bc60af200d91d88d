"""Streams that go wrong while playing, on the real demo head-end: stalls and a head-end restart recover."""

from __future__ import annotations

import time

import pytest

from stb.headend.catalog import demo_lineup
from stb.headend.process import start_headend_process, wait_until_ready
from stb.player.engine import Engine, EngineOptions, PlaybackState
from tests.conftest import free_port
from tests.player.test_engine import pump

pytestmark = pytest.mark.slow


@pytest.fixture
def engine():
    e = Engine(EngineOptions(retry_first_s=0.5, retry_max_s=2.0))
    yield e
    e.release()


def test_a_stalled_stream_reconnects_by_itself(engine, headend):
    stalling = demo_lineup(*headend).by_number(98)  # 4 s of real stream per connection, then silence
    player = engine.create_player("main")
    player.tune(stalling)
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    pump(engine, player, lambda p: p.state is PlaybackState.STALLED, timeout=15)
    stalled_at = time.monotonic()
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING, timeout=15)
    assert player.reconnects >= 1
    assert player.frames.wait_for_frame(after=stalled_at, timeout=5)  # new pictures, not the frozen one
    player.release()


def test_a_head_end_restart_mid_stream_recovers_without_a_key_press(engine):
    host, port = "127.0.0.1", free_port()
    child = start_headend_process(host, port)
    player = engine.create_player("main")
    try:
        wait_until_ready(child, host, port)
        player.tune(demo_lineup(host, port).by_number(1))
        pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
        child.terminate()
        child.wait(timeout=15)
        pump(engine, player, lambda p: p.state in (PlaybackState.STALLED, PlaybackState.FAILED), timeout=15)
        child = start_headend_process(host, port)
        wait_until_ready(child, host, port)
        back_at = time.monotonic()
        pump(engine, player, lambda p: p.state is PlaybackState.PLAYING, timeout=20)
        assert player.frames.wait_for_frame(after=back_at, timeout=5)
    finally:
        player.release()
        child.terminate()
        child.wait(timeout=15)
