"""The channel list over live TV, driven through the app with key events and actions."""

from __future__ import annotations

import pygame
import pytest

from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.ui.app import App
from stb.ui.channellist import ALL, FAVOURITES, RECENT, ChannelListScreen
from tests.ui.keys import press

pytestmark = pytest.mark.slow


@pytest.fixture
def app(headend, tmp_path):
    application = App(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db",
                      pretune=0)  # fmt: skip
    application.start()
    yield application
    application.close()


def test_l_opens_the_list_on_the_current_channel_and_arrows_move_instead_of_zapping(app):
    press(app, pygame.K_l)
    assert isinstance(app.top, ChannelListScreen)
    listing = app.top
    assert listing.focused.number == 1 and listing.group == ALL
    press(app, pygame.K_DOWN)
    press(app, pygame.K_DOWN)
    assert listing.focused.number == 3 and app.box.current.number == 1  # moved, did not zap
    press(app, pygame.K_RETURN)
    assert app.box.current.number == 3 and app.top is app.screen  # tuned and closed


def test_groups_favourites_digits_and_back(app, tmp_path):
    app.act("list")
    listing = app.top
    app.act("right")  # All → News (no favourites yet)
    assert listing.group == "News" and [c.number for c in listing.channels] == [1, 10]
    app.act("down")
    app.act("favourite")
    assert app.box.state.favourites == ["weather-now"]
    app.act("left")
    app.act("left")  # News → Favourites → All: Favourites exists now
    assert listing.group == ALL
    app.act("right")
    assert listing.group == FAVOURITES and [c.number for c in listing.channels] == [10]
    app.act("digit_5")
    app.act("ok")  # 5 is not a favourite: the list shows all channels with 5 focused
    assert listing.group == ALL and listing.focused.number == 5
    app.act("volume_up")  # not the list's business: live TV below takes it
    assert app.screen.volume_until > 0
    app.step()
    app.save_screenshot(tmp_path / "list.png")
    app.act("back")
    assert app.top is app.screen and app.box.current.number == 1
    app.box.flush()
    assert StateStore(tmp_path).load().favourites == ["weather-now"]  # kept across restarts


def test_recent_lists_the_channels_watched_newest_first_and_survives_a_restart(app, tmp_path):
    for number in (4, 2, 7, 2):
        app.box.zap_number(number)
    app.act("list")
    listing = app.top
    app.act("right")  # All → Recent (no favourites)
    assert listing.group == RECENT and [c.number for c in listing.channels] == [2, 7, 4, 1]
    app.act("back")
    app.box.flush()
    assert StateStore(tmp_path).load().recent[:2] == ["sports-arena", app.box.lineup.by_number(7).id]
