"""The walking skeleton end to end: head-end → libVLC → frame buffer → pygame, headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from stb.bench.zap import channel_on_screen
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.player.engine import EngineOptions, PlaybackState
from stb.ui.app import App
from tests.ui.keys import step_until

pytestmark = pytest.mark.slow


def on_screen(app: App) -> int | None:
    """The channel number read from the marker in the on-screen player's newest frame."""
    return channel_on_screen(app.player)


@pytest.fixture
def app(headend, tmp_path):
    host, port = headend
    application = App(
        demo_lineup(host, port),
        headless=True,
        store=StateStore(tmp_path),
        engine_options=EngineOptions(connect_timeout_s=4.0),
        guide_db=tmp_path / "guide.sqlite3",
    )
    application.start()
    yield application
    application.close()


def test_the_demo_guide_is_imported_in_the_background_and_the_banner_shows_now_next(app, tmp_path):
    step_until(app, lambda: app.screen.now_next("news-24")[0] is not None, timeout=30)
    current, upcoming = app.screen.now_next("news-24")
    assert current.start <= time.time() < current.stop
    assert upcoming.start == current.stop
    app.screen.show_banner(time.monotonic())
    app.step()
    app.save_screenshot(tmp_path / "banner.png")


def test_plays_channel_one_then_zaps_up_to_two(app):
    # the picture shows at once; PLAYING waits until libVLC's decoder has counted it (engine docs)
    step_until(app, lambda: on_screen(app) == 1 and app.player.state is PlaybackState.PLAYING)
    app.act("channel_up")
    step_until(app, lambda: on_screen(app) == 2)
    assert app.box.current.number == 2


def test_digits_tune_after_ok_and_last_channel_goes_back(app):
    step_until(app, lambda: on_screen(app) == 1)
    app.act("digit_6")
    app.act("ok")
    step_until(app, lambda: on_screen(app) == 6)
    app.act("last_channel")
    step_until(app, lambda: on_screen(app) == 1)


def test_unknown_number_changes_nothing(app):
    step_until(app, lambda: on_screen(app) == 1)
    app.act("digit_9")  # 97-99 exist: it waits for a second digit
    app.act("digit_4")  # no channel 94, nor any longer number starting so: said at once, no OK needed
    app.step()
    assert app.screen.notice == "No channel 94"
    assert app.box.current.number == 1


def test_dead_and_garbage_channels_end_in_no_signal_not_a_hang(app):
    step_until(app, lambda: on_screen(app) == 1)
    for number in (97, 99):
        app.box.zap_number(number)
        step_until(app, lambda: app.player.state is PlaybackState.FAILED, timeout=15)
    app.save_screenshot(app_screenshot_path := app.box.store.path.parent / "failed.png")
    assert app_screenshot_path.stat().st_size > 0


def test_stalling_channel_is_detected(app):
    app.box.zap_number(98)
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING)
    step_until(app, lambda: app.player.state is PlaybackState.STALLED, timeout=20)


def test_stb_run_headless_reports_first_frame(headend, tmp_path):
    host, port = headend
    lineup = tmp_path / "channels.json"
    from stb.lineup.load import save_lineup

    save_lineup(demo_lineup(host, port), lineup)
    result = subprocess.run(
        [sys.executable, "-m", "stb", "run", "--headless", "--lineup", str(lineup), "--run-for", "4", "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["channel"] == "news-24"
    assert report["state"] == "playing"
    assert 0 < report["first_frame_s"] < 4


def test_stb_run_with_a_broken_lineup_is_one_line(tmp_path):
    bad = tmp_path / "channels.json"
    bad.write_text('{"name": "x", "channels": [{"number": "one"}]}')
    result = subprocess.run(
        [sys.executable, "-m", "stb", "run", "--headless", "--lineup", str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"stb: {bad}: $.channels[0].number:")


def test_empty_lineup_and_unreachable_display_are_one_line(tmp_path):
    empty = tmp_path / "channels.json"
    empty.write_text('{"name": "empty", "channels": []}')
    result = subprocess.run(
        [sys.executable, "-m", "stb", "run", "--headless", "--lineup", str(empty)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and result.stderr.startswith(f"stb: {empty} has no channels")

    from stb.headend.catalog import demo_lineup
    from stb.lineup.load import save_lineup

    lineup = tmp_path / "demo.json"
    save_lineup(demo_lineup(), lineup)
    env = {**os.environ, "DISPLAY": ":987", "SDL_VIDEODRIVER": "x11"}
    result = subprocess.run(
        [sys.executable, "-m", "stb", "run", "--no-headend", "--lineup", str(lineup)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot open the TV window" in result.stderr and "--headless" in result.stderr


def test_info_on_the_banner_shows_stream_details_and_the_track_picker_switches(tmp_path, multitrack_clip):
    from stb.lineup.model import Channel, Lineup
    from stb.ui.tracks import TrackPicker

    lineup = Lineup(name="t", channels=[Channel(number=1, id="m", name="Multi", urls=[str(multitrack_clip)])])
    application = App(lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0)
    application.start()
    try:
        step_until(application, lambda: application.player.state is PlaybackState.PLAYING)
        step_until(application, lambda: len(application.player.audio_tracks()) == 2, timeout=5)
        application.screen.banner_until = 0.0  # the start-up banner has gone
        application.act("info")
        assert not application.screen.info_visible  # first Info: the banner
        application.act("info")  # Info while the banner shows: the stream details
        for _ in range(3):
            application.step()
        screen = application.screen
        assert screen.info_visible and screen._info_lines[0].startswith("Playing · 320×180 · h264")
        application.save_screenshot(tmp_path / "info.png")
        player = application.player
        application.act("audio_track")  # the picker opens on the next track: German
        picker = application.top
        assert isinstance(picker, TrackPicker) and [n for _, n in picker.choices] == [
            n for _, n in player.audio_tracks()
        ]
        assert player.audio_track == player.audio_tracks()[1][0] and "German" in player.audio_tracks()[1][1]
        application.act("up")  # back to the first, switched at once
        assert player.audio_track == player.audio_tracks()[0][0]
        application.step()
        application.save_screenshot(tmp_path / "audio.png")
        application.act("ok")
        assert application.top is screen
        application.act("subtitles")  # from Off to the first subtitle track
        assert player.subtitle_track == player.subtitle_tracks()[0][0]
        application.act("subtitles")  # past the last one: Off
        assert player.subtitle_track == -1 and application.top.choices[0] == (-1, "Off")
        application.act("back")
        application.act("audio_track")
        picker = application.top
        picker.hide_at = 0.0  # a few seconds without a key
        application.step()
        assert application.top is screen and picker.closed
        application.act("info")  # while the banner shows: closes the details again
        assert not screen.info_visible
    finally:
        application.close()


def test_volume_keys_show_the_level_bar_and_mute(app, tmp_path):
    before = app.box.state.volume
    app.act("volume_up")
    app.step()
    assert app.screen.volume == (min(100, before + 5), False)
    assert app.screen.volume_until > time.monotonic()
    app.act("mute")
    app.step()
    assert app.screen.volume == (min(100, before + 5), True) and app.box.state.muted
    app.save_screenshot(tmp_path / "mute.png")


def test_a_broken_user_keymap_falls_back_to_the_default_keys_with_a_notice(tmp_path, monkeypatch):
    import pygame

    from stb.config import StateStore
    from stb.lineup.model import Channel, Lineup
    from stb.ui.app import App

    config = tmp_path / "config"
    config.mkdir()
    (config / "keymap.json").write_text('{"global": {"q": "explode"}}')
    monkeypatch.setenv("STB_CONFIG_DIR", str(config))
    lineup = Lineup(name="t", channels=[Channel(number=1, id="a", name="A", urls=["http://127.0.0.1:9/a.ts"])])
    app = App(lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0)
    try:
        app.start()
        assert app.screen.notice.startswith("A keymap was not used:") and "explode" in app.screen.notice
        assert app.keymap.action("live", pygame.K_q) == "quit"
    finally:
        app.close()
