"""Catch-up on a real box: a past programme chosen in the guide's details plays from the head-end's archive
in libVLC, the transport keys work on it, End goes back to live; "start over" without timeshift uses the
archive; the parental lock applies as live.

The head-end's demo channels and guide, a real App (SDL dummy), the real keymap through pygame's queue.
"""

from __future__ import annotations

import time

import pygame
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Lineup
from stb.player.engine import PlaybackState
from stb.ui.details import ARCHIVE_BUTTON, DetailsScreen
from tests.ui.keys import channel_on_screen, press, step_until

pytestmark = pytest.mark.slow


@pytest.fixture
def box(tmp_path, headend, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    plain = demo_lineup(*headend)
    lineup = Lineup(name=plain.name, channels=plain.channels[:4], guide_sources=plain.guide_sources)
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db",
                    pretune=0)  # fmt: skip
    app.start()
    yield app
    app.close()


def url(app) -> str:
    """The URL on screen as the channel names it (libVLC reads it through the TV's relay guard)."""
    current = app.box.current
    return current.urls[0] if current is not None else ""


def finished(app, channel_id: str):
    """The channel's latest programme that has ended (the demo guide starts at midnight)."""
    now = time.time()
    past = [p for p in app.tv.guide.window([channel_id], now - 6 * 3600, now).get(channel_id, []) if p.stop <= now]
    if not past:
        pytest.skip("the demo guide has no finished programme yet (just after midnight)")
    return past[-1]


def test_a_past_programme_plays_from_the_archive_with_the_transport_keys(box):
    app = box
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "the channel on screen")
    channel = app.box.lineup.by_id("sports-arena")  # Flussonic style: archive-START-DURATION.ts
    programme = finished(app, channel.id)
    app.openers.details(programme, channel)
    details = app.stack.top
    assert isinstance(details, DetailsScreen) and details.buttons(time.time())[0] == ARCHIVE_BUTTON
    press(app, pygame.K_RETURN)
    step_until(app, lambda: app.tv.catchup.playing is not None and channel_on_screen(app.player) == 2,
               "the archive on screen", timeout=30)  # fmt: skip
    assert f"/archive/sports-arena/archive-{programme.start}-{programme.stop - programme.start}.ts" in url(app)
    assert app.box.is_flung(app.box.current) and app.stack.top is None  # the guide closed: live screen

    step_until(app, lambda: (app.tv.catchup.position() or 0) > 1, "the archive playing on")
    before = app.tv.catchup.position()
    press(app, pygame.K_QUOTE)  # a minute on: libVLC seeks in the archive (the head-end answers byte ranges)
    step_until(app, lambda: (app.tv.catchup.position() or 0) >= before + 50, "a minute further on")
    step_until(app, lambda: channel_on_screen(app.player) == 2 and app.player.state is PlaybackState.PLAYING,
               "pictures after the seek")  # fmt: skip

    press(app, pygame.K_SPACE)
    assert app.player.paused
    press(app, pygame.K_SPACE)
    assert not app.player.paused

    press(app, pygame.K_END)  # back to live: the channel the programme came from
    assert app.tv.catchup.playing is None
    assert app.box.current.id == "sports-arena" and not app.box.is_flung(app.box.current)
    step_until(app, lambda: channel_on_screen(app.player) == 2 and "/live/sports-arena.ts" in url(app), "live")


def test_start_over_without_timeshift_uses_the_archive(box):
    app = box
    assert app.tv.timeshift is None
    app.box.zap("news-24")  # SIPTV shift style: ?utc=START&lutc=NOW on the live URL
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "News 24 live")
    now = time.time()
    current = app.tv.guide.window(["news-24"], now, now + 1)["news-24"][0]
    app.act("start_over")
    playing = app.tv.catchup.playing
    assert playing is not None and playing.programme.start == current.start
    assert f"/live/news-24.ts?utc={current.start}&lutc=" in url(app)
    step_until(app, lambda: channel_on_screen(app.player) == 1 and app.player.state is PlaybackState.PLAYING,
               "News 24 from the programme's start", timeout=30)  # fmt: skip


def test_the_parental_lock_applies_to_the_archive(box):
    app = box
    app.box.parental.set_pin("1234")
    app.box.parental.toggle_channel_lock("kids-planet")
    channel = app.box.lineup.by_id("kids-planet")
    assert app.tv.catchup.play(finished(app, channel.id), channel)
    step_until(app, lambda: app.tv.locked, "the lock over the archive")
    assert app.tv.transport("skip_forward") == "Enter the PIN first"
    app.tv.try_pin("1234")
    assert not app.tv.locked


@pytest.fixture
def shifting_box(tmp_path, headend, monkeypatch):
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    plain = demo_lineup(*headend)
    lineup = Lineup(name=plain.name, channels=plain.channels[:2], guide_sources=plain.guide_sources)
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db",
                    pretune=0, timeshift=True)  # fmt: skip
    app.start()
    yield app
    app.close()


def test_start_over_uses_the_archive_when_the_buffer_does_not_reach_back(shifting_box):
    app = shifting_box
    step_until(app, lambda: app.tv.timeshift.window() is not None, "the buffer started", timeout=60)
    window = app.tv.timeshift.window()
    buffer_start = window.start_at - time.monotonic() + time.time()
    now = time.time()
    current = app.tv.guide.window([app.box.current.id], now, now + 1)[app.box.current.id][0]
    if current.start >= buffer_start:
        pytest.skip("a programme began since the box started: the buffer holds it all")
    app.act("start_over")
    playing = app.tv.catchup.playing
    assert playing is not None and playing.programme.start == current.start
    step_until(app, lambda: channel_on_screen(app.player) == app.box.lineup.channels[0].number, "the archive")
    app.act("live")
    assert app.tv.catchup.playing is None and not app.box.is_flung(app.box.current)
