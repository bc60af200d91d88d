"""Timeshift on a real box: libVLC pauses live TV, plays it on from the buffer, skips back, goes back to live.

The head-end's demo channels, the TV's own relay writing the channel on screen to disk, the real keymap
(Space, ",", End) through pygame's queue: every part the household's remote reaches.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pygame
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Lineup
from stb.player.engine import PlaybackState
from tests.ui.keys import press, step_until


@pytest.fixture
def box(tmp_path, headend, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    plain = demo_lineup(*headend)
    lineup = Lineup(name=plain.name, channels=plain.channels[:4])
    app = build_app(lineup, headless=True, store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db",
                    pretune=1, timeshift=True)  # fmt: skip
    app.start()
    yield app
    app.close()


def decoded(app) -> int:
    counts = app.player.adapter.counts()
    return counts.video if counts is not None else 0


def url(app) -> str:
    player = app.player
    return player._urls[player._url_index]


def buffered(app, seconds: float) -> bool:
    window = app.tv.timeshift.window()
    return window is not None and window.live_at - window.start_at >= seconds


def test_pause_play_on_skip_back_and_back_to_live(box, tmp_path):
    app = box
    local = app.services[-1].local
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "the channel on screen")
    channel = app.box.current
    assert url(app) == local.url(channel.id)  # the TV reads its channel through its own relay, and only there
    step_until(app, lambda: buffered(app, 6), "six seconds in the buffer", timeout=60)
    assert list((tmp_path / "cache" / "timeshift").rglob("*.ts"))

    press(app, pygame.K_SPACE)  # pause
    player = app.player
    assert player.paused and app.tv.timeshift.view().paused
    paused_at = app.tv.timeshift.view().position
    assert urlsplit(url(app)).path == f"/shift/{channel.id}"  # waiting at that moment of the buffer
    assert float(parse_qs(urlsplit(url(app)).query)["at"][0]) == pytest.approx(paused_at, abs=0.01)
    step_until(app, lambda: str(player.adapter._mp.get_state()) == "State.Paused", "libVLC paused")
    time.sleep(1.0)
    for _ in range(10):
        app.step()
    assert app.tv.timeshift.view().position == paused_at  # a paused picture stays where it was
    assert app.tv.timeshift.view().behind_s > 0.5  # …while live goes on without it

    press(app, pygame.K_SPACE)  # play on
    assert not player.paused
    before = decoded(app)
    step_until(app, lambda: decoded(app) > before + 10, "pictures again, from the buffer")
    assert app.player is player and player.state is PlaybackState.PLAYING
    assert not app.tv.timeshift.live

    position = app.tv.timeshift.position()
    press(app, pygame.K_COMMA)  # ten seconds back (the buffer's start at most)
    target = float(parse_qs(urlsplit(url(app)).query)["at"][0])
    window = app.tv.timeshift.window()
    assert target == pytest.approx(max(window.start_at, position - 10), abs=0.5)
    before = decoded(app)
    step_until(app, lambda: decoded(app) > before + 10, "pictures from ten seconds back")

    press(app, pygame.K_END)  # back to live
    assert app.tv.timeshift.live and url(app) == local.url(channel.id)
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING and decoded(app) > 10, "live again")


def test_the_settings_switch_starts_and_stops_timeshift_while_the_tv_plays(tmp_path, headend, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    plain = demo_lineup(*headend)
    app = build_app(Lineup(name=plain.name, channels=plain.channels[:3]), headless=True,
                    store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db", pretune=0)  # fmt: skip
    app.start()
    try:
        step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "the channel on screen")
        channel = app.box.current
        relay_url = app.services[-1].local.url(channel.id)  # both switches off: through the TV's relay, fresh
        assert app.tv.timeshift is None and url(app) == relay_url
        app.box.settings.timeshift = True  # what the Settings row does
        app.box.settings_changed()
        local = app.services[-1].local
        assert app.tv.timeshift is not None and url(app) == local.url(channel.id)
        step_until(app, lambda: buffered(app, 1), "the buffer filling")
        press(app, pygame.K_SPACE)
        assert app.player.paused
        app.box.settings.timeshift = False
        app.box.settings_changed()
        local = app.services[-1].local  # restarted without timeshift (a new port)
        assert app.tv.timeshift is None and not app.player.paused and url(app) == local.url(channel.id)
        step_until(app, lambda: app.player.state is PlaybackState.PLAYING and decoded(app) > 10, "live again")
        press(app, pygame.K_SPACE)
        assert app.screen.notice == "Pausing live TV is off (Settings)"
    finally:
        app.close()
    assert not list((tmp_path / "cache" / "timeshift").rglob("*.ts"))  # the buffer went with the switch


def test_space_on_an_hls_channel_says_why_it_cannot_pause(tmp_path, headend, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    plain = demo_lineup(*headend)
    hls = next(c for c in plain.channels if c.urls[0].endswith(".m3u8"))
    app = build_app(Lineup(name=plain.name, channels=[plain.channels[0], hls]), headless=True,
                    store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db", pretune=0,
                    timeshift=True)  # fmt: skip
    app.start()
    try:
        app.box.zap(hls.id)
        step_until(app, lambda: app.player.state is PlaybackState.PLAYING and decoded(app) > 10, "the HLS channel",
                   timeout=60)  # fmt: skip
        # The TV's relay only guards an HLS channel (checks each URI it names): it keeps no buffer of it
        assert "/g/" in url(app) and url(app).endswith("/index.m3u8") and url(app) != hls.urls[0]
        press(app, pygame.K_SPACE)
        assert (
            app.screen.notice == "No pause on this channel: it comes as HLS, and the box keeps only TS streams on disk"
        )
        assert not app.player.paused and app.tv.timeshift.live
    finally:
        app.close()
