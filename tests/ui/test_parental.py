"""The parental lock on the TV: locked channels and age limits hide picture and sound until the PIN."""

from __future__ import annotations

import time

import pytest

from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.settings import SettingsStore
from stb.ui import drawlog
from stb.ui.app import App
from stb.ui.pin import PinDialog
from stb.ui.settings import SettingsScreen

pytestmark = pytest.mark.slow


@pytest.fixture
def app(headend, tmp_path):
    lineup = demo_lineup(*headend)
    rated = [c.model_copy(update={"age_rating": 16}) if c.number == 3 else c for c in lineup.channels]
    application = App(lineup.model_copy(update={"channels": rated}), headless=True, store=StateStore(tmp_path),
                      guide_db=tmp_path / "g.db", pretune=0)  # fmt: skip
    application.start()
    application.box.parental.set_pin("2468")
    yield application
    application.close()


def settle(app, frames: int = 3):
    for _ in range(frames):
        app.step()


def type_pin(app, pin: str):
    if not app.screen.pin_open:
        app.act("ok")  # on a locked channel digits zap; OK asks for the PIN
    for digit in pin:
        app.act(f"digit_{digit}")
    settle(app, 1)


def centre_pixel(app):
    return tuple(app.canvas.get_at((1100, 150)))[:3]


def test_a_locked_channel_hides_picture_and_sound_until_the_right_pin(app):
    app.box.parental.toggle_channel_lock(app.box.lineup.by_number(2).id)
    app.act("channel_up")
    settle(app)
    assert app.box.current.number == 2 and app.screen.locked
    assert app.zapper.muted and centre_pixel(app) == app.theme.background
    type_pin(app, "1111")
    assert app.screen.locked and app.screen.pin_message == "Wrong PIN, 2 tries left"
    assert app.box.current.number == 2  # digits typed the PIN: they did not zap
    type_pin(app, "2468")
    assert not app.screen.locked and not app.zapper.muted
    deadline = time.monotonic() + 30  # generous: the head-end may be busy, and a failed join is retried
    while centre_pixel(app) == app.theme.background and time.monotonic() < deadline:
        settle(app, 1)
        time.sleep(0.02)
    player = app.player
    assert centre_pixel(app) != app.theme.background, f"no picture back: {player.state} {player.error}"
    app.act("channel_up")
    app.act("channel_down")
    settle(app)
    assert not app.screen.locked  # the unlock lasts (60 min by default), not only for one channel


def test_on_a_locked_channel_digits_zap_and_ok_asks_for_the_pin(app):
    """As the anchors do: "9 7" leaves a locked channel (it used to count as PIN digits and lock the box out)."""
    app.box.parental.toggle_channel_lock(app.box.lineup.by_number(2).id)
    app.act("channel_up")
    settle(app)
    assert app.screen.locked and not app.screen.pin_open
    with drawlog.recording() as log:
        app.draw(time.monotonic())
    shown = [d.shown for d in log.on(app.canvas) if d.kind == "text"]
    channel = app.box.lineup.by_number(2)
    assert f"{channel.number}  {channel.name}" in shown  # the lock card says which channel is locked
    assert any("OK: enter the PIN" in line for line in shown)
    app.act("digit_9")
    app.act("digit_7")
    settle(app)
    assert app.box.current.number == 97 and app.box.parental.settings.failed_tries == 0  # no PIN was tried
    app.box.zap_number(2)
    settle(app)
    app.act("ok")
    assert app.screen.pin_open
    app.act("back")  # Back on an empty pad closes it: digits zap again
    assert not app.screen.pin_open


def test_three_wrong_pins_back_off_and_even_the_right_one_waits(app):
    app.box.parental.toggle_channel_lock("news-24")
    settle(app)
    for _ in range(3):
        type_pin(app, "0000")
    assert app.screen.pin_message.startswith("Too many wrong PINs: try again in 30 s")
    type_pin(app, "2468")
    assert app.screen.locked  # refused unchecked during the lock-out
    app.box.flush()
    saved = SettingsStore(app.box.settings_store.path.parent).load()
    assert saved.parental.failed_tries == 3 and saved.parental.locked_out_until > time.time()  # survives a restart


def test_an_age_limit_locks_a_rated_channel_and_lock_now_locks_again(app):
    app.box.settings.parental.age_limit = 16
    app.box.zap_number(3)  # rated 16 in this line-up
    settle(app)
    assert app.screen.locked
    type_pin(app, "2468")
    assert not app.screen.locked
    app.act("menu")
    settings = app.top
    settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Lock now")
    app.act("ok")
    app.act("back")
    settle(app)
    assert app.screen.locked


def test_the_grid_preview_does_not_show_a_locked_channel(app):
    app.box.parental.toggle_channel_lock("news-24")
    settle(app)
    app.act("guide")
    settle(app)
    grid = app.top
    x, y, w, h = grid.preview
    assert tuple(app.canvas.get_at((x + w // 2, y + h // 2)))[:3] == app.theme.background


def test_settings_set_the_pin_from_the_tv_and_guard_the_parental_items(app, tmp_path):
    app.box.parental.settings.pin_hash = None  # no PIN yet: the lock is off
    app.act("menu")
    settings = app.top
    assert isinstance(settings, SettingsScreen)
    settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Parental PIN")
    app.act("ok")
    assert isinstance(app.top, PinDialog)
    type_pin(app, "1357")
    type_pin(app, "1358")  # typed differently the second time: nothing changes
    assert not app.box.parental.enabled and app.screen.notice == "The two PINs differ: nothing changed"
    app.act("ok")
    type_pin(app, "1357")
    type_pin(app, "1357")
    assert app.box.parental.enabled and app.top is settings
    settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Age limit")
    app.act("right")  # protected and locked: asks for the PIN first, then changes it
    assert isinstance(app.top, PinDialog) and app.box.settings.parental.age_limit is None
    type_pin(app, "1357")
    assert app.top is settings and app.box.settings.parental.age_limit == 6
    app.box.flush()
    saved = SettingsStore(tmp_path).load()
    assert saved.parental.age_limit == 6 and saved.parental.pin_hash is not None
    assert "1357" not in (tmp_path / "settings.json").read_text()


def test_settings_fast_zapping_off_is_applied_and_kept(app, tmp_path):
    app.act("menu")
    settings = app.top
    settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Fast zapping")
    app.act("right")
    assert app.box.settings.pretune is False and app.zapper.pretuning is False
    settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Guide refresh")
    app.act("right")  # guide refresh 12 h → 24 h, applied to the refresher
    assert app.refresher.interval_s == 24 * 3600
    app.act("back")
    assert app.top is app.screen
    settle(app)  # the loop flushes
    saved = SettingsStore(tmp_path).load()
    assert saved.pretune is False and saved.guide_refresh_hours == 24


def test_zapping_onto_a_locked_channel_never_unmutes_it(app):
    app.box.parental.toggle_channel_lock(app.box.lineup.by_number(2).id)
    muted_at_zap = []
    original = app.zapper.zap

    def spy(channel):
        muted_at_zap.append((channel.number, app.zapper.muted))  # the audio the new player starts with
        return original(channel)

    app.zapper.zap = spy
    app.act("channel_up")
    assert muted_at_zap == [(2, True)] and app.screen.locked
    app.act("channel_up")
    assert muted_at_zap[-1] == (3, False)  # an unlocked channel is heard at once
