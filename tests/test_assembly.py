"""The composition root: the TV's relay runs with both switches off, and one that cannot start leaves the TV playing."""

from __future__ import annotations

import pytest

from stb.assembly import build_app
from stb.bench.zap import channel_on_screen
from stb.box import Notice
from stb.config import StateStore
from stb.errors import StbError
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Lineup
from stb.relay.local import LocalRelay
from tests.ui.keys import step_until


def small_lineup(headend) -> Lineup:
    full = demo_lineup(*headend)
    return Lineup(name=full.name, channels=[c for c in full.channels if c.number in (1, 2, 11)])


def test_with_both_switches_off_libvlc_reads_every_channel_through_the_tvs_relay(tmp_path, headend):
    app = build_app(small_lineup(headend), headless=True, store=StateStore(tmp_path / "state"),
                    guide_db=tmp_path / "g.db", pretune=0, keyframe_cache=False, timeshift=False)  # fmt: skip
    app.start()
    try:
        local = app.services[0].local
        assert isinstance(local, LocalRelay) and app.tv.cache is None and app.tv.timeshift is None
        step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen")
        assert app.player._urls[app.player._url_index] == local.url("news-24")  # the first tune too
        app.box.zap("travel-hls")
        step_until(app, lambda: channel_on_screen(app.player) == 11, "the HLS channel on screen")
        assert app.player._urls[app.player._url_index].startswith(local.guard.base + "/g/")
    finally:
        app.close()


def test_a_relay_that_cannot_start_leaves_the_tv_playing_from_the_providers_and_says_so(
    tmp_path, headend, monkeypatch: pytest.MonkeyPatch
):
    def cannot(self: LocalRelay) -> None:
        raise StbError("the keyframe cache did not start: no port")

    monkeypatch.setattr(LocalRelay, "start", cannot)
    lineup = small_lineup(headend)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db",
                    pretune=0, keyframe_cache=False, timeshift=False)  # fmt: skip
    notices: list[str] = []
    app.box.subscribe(lambda event: isinstance(event, Notice) and notices.append(event.text))
    app.start()
    try:
        step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen, straight from the head-end")
        assert app.player._urls == lineup.channels[0].urls
        assert any("relay could not start" in text and "redirect checks" in text for text in notices), notices
    finally:
        app.close()


def test_another_screen_gets_an_hls_channel_read_through_the_tvs_guard(tmp_path, headend):
    """ffmpeg (the relay's HLS remux) reads the playlist and its segments through the guard, not the provider."""
    import http.client

    from stb.bench.relay_box import start_paired

    app = build_app(small_lineup(headend), headless=True, store=StateStore(tmp_path / "state"),
                    guide_db=tmp_path / "g.db", pretune=0, api_port=0)  # fmt: skip
    token, _tv = start_paired(app, "Laptop", "guard test")
    try:
        local = app.services[0].local
        conn = http.client.HTTPConnection("127.0.0.1", app.net.bound_port, timeout=60)
        conn.request("GET", "/stream/channel/travel-hls", headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        assert answer.status == 200 and len(answer.read(200 * 188)) == 200 * 188
        conn.close()
        feed = app.net.ctx.relay.feeds["travel-hls"]
        assert all(url.startswith(local.guard.base + "/g/") for url in feed.source.urls)
    finally:
        app.close()


def test_a_relay_that_cannot_restart_when_a_switch_changes_leaves_the_channel_playing_straight(
    tmp_path, headend, monkeypatch: pytest.MonkeyPatch
):
    lineup = small_lineup(headend)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path / "state"), guide_db=tmp_path / "g.db",
                    pretune=0, keyframe_cache=False, timeshift=False)  # fmt: skip
    notices: list[str] = []
    app.box.subscribe(lambda event: isinstance(event, Notice) and notices.append(event.text))
    app.start()
    try:
        step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen through the relay")

        def cannot(self: LocalRelay) -> None:
            raise StbError("the keyframe cache did not start: no port")

        monkeypatch.setattr(LocalRelay, "start", cannot)
        app.box.settings.keyframe_cache = True  # what the Settings row does: the relay restarts
        app.box.settings_changed()
        assert app.player._urls == lineup.channels[0].urls
        assert any("zaps are not instant" in text and "redirect checks" in text for text in notices), notices
        before = app.player.frames.last_frame_at or 0.0
        step_until(app, lambda: (app.player.frames.last_frame_at or 0.0) > before + 1, "pictures, straight")
    finally:
        app.close()
