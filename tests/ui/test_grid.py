"""The guide grid and programme details in the running app: real guide (SQLite), real player, keys."""

from __future__ import annotations

import time

import pygame
import pytest

from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.catalog import demo_lineup
from stb.ui.app import App
from stb.ui.details import DetailsScreen
from stb.ui.grid import GridScreen
from tests.ui.keys import press

pytestmark = pytest.mark.slow


@pytest.fixture
def app(headend, tmp_path):
    lineup = demo_lineup(*headend)
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    application = App(lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0)
    application.start()
    yield application
    application.close()


def test_g_opens_the_grid_on_the_current_channel_and_arrows_move_the_focus_not_the_channel(app):
    press(app, pygame.K_g)
    grid = app.top
    assert isinstance(grid, GridScreen) and grid.model.channel.number == 1
    assert grid.model.focus is not None and grid.model.focus.start <= time.time() < grid.model.focus.stop
    press(app, pygame.K_DOWN)
    press(app, pygame.K_RIGHT)
    assert grid.model.channel.number == 2 and grid.model.focus.start > time.time() - 1
    assert app.box.current.number == 1  # browsing does not zap
    press(app, pygame.K_g)
    assert app.top is app.screen  # G again closes it


def test_ok_on_a_programme_on_now_watches_it_and_on_a_later_one_opens_its_details(app):
    app.act("guide")
    grid = app.top
    app.act("down")
    app.act("down")
    app.act("right")  # a programme that has not started
    later = grid.model.focus
    app.act("ok")
    assert isinstance(app.top, DetailsScreen) and app.top.programme == later
    app.step()
    app.act("ok")  # OK on a later programme's details: "Remind me" (nothing to watch yet), the screen stays
    assert app.box.has_reminder(later.channel, later.start) and isinstance(app.top, DetailsScreen)
    app.act("back")
    app.step()
    assert app.top is grid and app.box.current.number == 1
    app.act("left")
    app.act("ok")  # on now: watch
    assert app.box.current.number == 3 and app.top is app.screen


def test_info_opens_details_that_watch_the_channel_and_close_everything(app):
    app.act("guide")
    app.act("down")
    app.act("info")
    details = app.top
    assert isinstance(details, DetailsScreen) and details.channel.number == 2
    app.step()
    app.act("ok")
    assert app.box.current.number == 2 and app.overlays == []


def test_digits_jump_to_a_channel_and_an_unknown_number_is_said_without_moving(app):
    app.act("guide")
    grid = app.top
    app.act("digit_7")
    app.act("ok")
    assert grid.model.channel.number == 7
    app.act("digit_5")
    app.act("digit_5")
    app.act("ok")
    assert grid.model.channel.number == 7 and app.screen.notice == "No channel 55"


def test_idle_frames_reuse_the_drawn_rows_and_a_focus_move_redraws_only_what_changed(app):
    app.act("guide")
    grid = app.top
    app.step()
    app.step()
    before = grid.pieces_drawn
    for _ in range(5):
        app.step()
    assert grid.pieces_drawn == before  # only the picture and the now line are drawn per frame
    app.act("down")
    app.step()
    app.step()
    assert grid.pieces_drawn == before + 2  # the details pane and the focused row's head: rows stay as drawn


def settle_idle(app, grid) -> int:
    """Let the loop's pauses between frames draw ahead until there is nothing left to draw."""
    drawn = -1
    for _ in range(60):
        if grid.rows_drawn == drawn:
            break
        drawn = grid.rows_drawn
        app.wait_for_frame(time.monotonic() + 0.03)
    return grid.rows_drawn


def test_rows_the_next_key_shows_are_drawn_between_frames_so_paging_and_scrolling_only_blit(app):
    app.act("guide")
    grid = app.top
    app.step()
    before = grid.rows_drawn
    assert [c.number for c in grid.model.nearby_channels()] == [8, 9, 10, 11, 97, 98, 99]
    drawn = settle_idle(app, grid)
    assert drawn == before + 4 * 7  # the window a half hour and an hour later, a half hour earlier, a page down
    app.act("channel_down")
    app.step()
    assert grid.model.channel.number == 8 and grid.rows_drawn == drawn  # the page was ready
    app.act("channel_up")
    app.step()
    drawn = settle_idle(app, grid)
    t0 = grid.model.t0
    while grid.model.t0 == t0:
        app.act("right")
        app.step()
        if grid.model.t0 == t0:
            drawn = settle_idle(app, grid)
    assert grid.model.t0 > t0 and grid.rows_drawn == drawn  # the window moved onto rows drawn ahead


def test_the_list_key_in_the_guide_opens_the_list_instead(app):
    app.act("guide")
    app.act("list")
    assert [type(o).__name__ for o in app.overlays] == ["ChannelListScreen"]
    app.act("volume_up")  # not the list's: live TV below takes it
    assert app.screen.volume_until > 0


def test_a_refreshed_guide_is_read_again_by_an_open_grid(app, tmp_path):
    from stb.guide.query import Guide

    app.act("guide")
    grid = app.top
    app.step()
    drawn = grid.rows_drawn
    app.step()
    assert grid.rows_drawn == drawn
    old = app.screen.guide
    app.screen.set_guide(Guide(tmp_path / "g.db", app.box.lineup))  # what a background refresh does
    old.close()
    app.step()
    assert grid.rows_drawn == drawn + len(grid.model.visible_channels())


def test_a_reminder_set_in_details_toasts_at_its_start_and_ok_watches_it_from_the_guide(app, tmp_path):
    app.act("guide")
    for action in ("down", "down", "right", "ok", "ok", "back"):  # details of channel 3's next programme: Remind me
        app.act(action)
    later = app.top.model.focus
    assert StateStore(tmp_path).load().reminders[0].start == later.start  # saved: a restart keeps it
    app.tv.check_reminders(later.start + 1)  # the TV core's step, at the programme's start
    reminder = app.screen.reminder
    assert reminder is not None and reminder.text.startswith(f"{later.title} starts now on 3 ")
    assert not app.box.has_reminder(later.channel, later.start)  # it fires once
    app.step()
    app.act("ok")  # the guide is still open: OK answers the toast
    assert app.box.current.number == 3 and app.top is app.screen and app.screen.reminder is None
