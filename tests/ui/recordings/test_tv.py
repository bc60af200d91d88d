"""Recording from the TV: the `record` key on live TV (a notice, the banner's REC, stop with a confirm), the
guide's details (Record, Record series, Cancel recording) and the grid's red dot.

A real window (SDL dummy), a real App and a real recorder (``stb.pvr.service.Pvr``) on its own event loop
in a thread, as the network side runs it; the recorder's stream reader is the PVR tests' relay stand-in
(the unit seam), the guide a real SQLite import of programmes around now.
"""

from __future__ import annotations

import time

import pygame

from stb.tv.recordings import NO_RECORDER
from stb.ui.confirm import ConfirmDialog
from stb.ui.conflict import ConflictDialog
from stb.ui.details import DetailsScreen
from tests.ui.recrig import CH, NOW, H, red_pixels, settle, shot


def test_record_on_live_tv_records_the_channel_shows_rec_and_offers_to_stop(app, recorder):
    app.box.zap(CH[0])
    settle(app)
    banner = app.screen.banner_rect(app.canvas)
    app.screen.show_banner(time.monotonic())
    app.step()
    assert red_pixels(app.canvas, banner, app.theme.error) == 0  # no REC before
    app.act("record")
    settle(app, lambda: app.tv.recordings.recording_on(CH[0]) is not None, "the recording to start")
    assert app.screen.notice == f"Recording Morning Show on {app.box.current.name}"
    assert recorder.relay.opened == [CH[0]]  # the recorder reads the channel
    app.screen.show_banner(time.monotonic())
    app.step()
    assert red_pixels(app.canvas, banner, app.theme.error) > 0  # the red REC mark
    shot(app.canvas, "live-rec.png")

    app.act("record")  # again: a dialog, Cancel focused; OK keeps the recording
    dialog = app.stack.top
    assert isinstance(dialog, ConfirmDialog) and dialog.action == "Stop recording" and dialog.choice == 0
    app.step()
    shot(app.canvas, "live-stop-recording.png")
    app.act("ok")
    settle(app)
    assert app.tv.recordings.recording_on(CH[0]) is not None and app.stack.top is None
    app.act("record")
    app.act("right")
    app.act("ok")  # Stop recording
    settle(app, lambda: app.tv.recordings.recording_on(CH[0]) is None, "the recording to stop")
    assert app.screen.notice == "Recording of Morning Show stopped"
    assert [m.title for m in recorder.pvr.recordings()] == ["Morning Show"]  # what was recorded is kept


def test_a_conflict_asks_what_to_drop_and_back_records_nothing_new(app, recorder):
    app.box.zap(CH[0])
    app.act("record")
    settle(app, lambda: app.tv.recordings.recording_on(CH[0]) is not None, "the recording to start")
    app.box.zap(CH[1])
    app.act("record")  # the box records one channel at a time here
    settle(app, lambda: isinstance(app.stack.top, ConflictDialog), "the conflict dialog")
    dialog = app.stack.top
    assert isinstance(dialog, ConflictDialog)
    assert [c.label for c in dialog.choices] == ["Stop Morning Show", "Don't record the new one"]
    assert dialog.wanted.label == "Long Film" and dialog.focus == 1, "not recording the new one has the focus"
    assert "recording now" in dialog.choices[0].detail and "one channel at a time" in dialog.message
    app.step()
    shot(app.canvas, "recording-conflict.png")
    app.act("back")
    settle(app)
    assert app.screen.notice == "Long Film will not be recorded" and app.stack.top is None
    assert app.tv.recordings.recording_on(CH[1]) is None and app.tv.recordings.recording_on(CH[0]) is not None

    app.act("record")  # again, and this time drop the one under way
    settle(app, lambda: isinstance(app.stack.top, ConflictDialog), "the conflict dialog")
    app.act("up")
    app.act("ok")
    settle(app, lambda: app.tv.recordings.recording_on(CH[1]) is not None, "the new recording")
    assert app.screen.notice == "Recording Long Film; Morning Show stopped" and app.stack.top is None
    assert app.tv.recordings.recording_on(CH[0]) is None and recorder.relay.opened == [CH[0], CH[1]]
    assert sorted(m.title for m in recorder.pvr.recordings()) == ["Long Film", "Morning Show"], "the stopped one kept"


def test_record_series_into_a_conflict_asks_about_the_episode_chosen(app, recorder):
    settle(app)
    film = open_details(app, CH[1], NOW - 600)
    press(app, film, "Record")
    settle(app, lambda: app.tv.recordings.recording_on(CH[1]) is not None, "the film's recording")
    film.dismiss()
    details = open_details(app, CH[0], NOW + H)
    press(app, details, "Record series")
    settle(app, lambda: isinstance(app.stack.top, ConflictDialog), "the conflict dialog")
    notice = f"Every episode of The Flat Upstairs on {details.channel.name} will be recorded"
    assert app.screen.notice == notice + " (1 clash with other recordings: not scheduled)"
    assert sorted(t.start for t in recorder.pvr.timers.values()) == [NOW - 600, NOW + 25 * H]
    dialog = app.stack.top
    assert isinstance(dialog, ConflictDialog) and dialog.wanted.label == "The Flat Upstairs"
    assert [c.label for c in dialog.choices] == ["Stop Long Film", "Don't record the new one"]
    app.act("up")
    app.act("ok")
    settle(app, lambda: app.tv.recordings.timer_for(CH[0], NOW + H) is not None, "the episode's timer")
    assert sorted(t.start for t in recorder.pvr.timers.values()) == [NOW + H, NOW + 25 * H]
    assert app.screen.notice == "Will record The Flat Upstairs; Long Film stopped" and app.stack.top is details


def test_without_a_recorder_the_record_key_says_why(app):
    app.box.zap(CH[0])
    app.act("record")
    app.step()
    assert app.screen.notice == NO_RECORDER and app.stack.top is None


def open_details(app, channel: str, start: float) -> DetailsScreen:
    guide = app.tv.guide
    programme = next(p for p in guide.window([channel], start, start + 1)[channel] if p.start == start)
    app.openers.details(programme, app.box.lineup.by_id(channel))
    screen = app.stack.top
    assert isinstance(screen, DetailsScreen)
    return screen


def press(app, screen: DetailsScreen, button: str) -> None:
    buttons = screen.buttons(time.time())
    screen.focus = buttons.index(button)
    app.act("ok")


def test_details_record_a_later_programme_then_cancel_and_the_grid_marks_it(app, recorder):
    settle(app)
    later = NOW + H
    details = open_details(app, CH[0], later)
    assert details.buttons(time.time()) == ["Remind me", "Record", "Record series", "Close"]
    press(app, details, "Record")
    settle(app, lambda: app.tv.recordings.timer_for(CH[0], later) is not None, "the timer")
    assert details.buttons(time.time()) == ["Remind me", "Cancel recording", "Record series", "Close"]
    assert app.screen.notice == "The Flat Upstairs will be recorded" and not details.closed
    assert details._note(time.time()) == "Will be recorded"
    app.step()
    shot(app.canvas, "details-scheduled.png")
    assert later in app.tv.recordings.timer_starts(CH[0])

    details.dismiss()
    grid = app.open_guide()
    app.stack.replace(grid)
    app.step()
    shot(app.canvas, "guide-timer-dot.png")
    rect = grid._cell_rect(grid.model.programmes(CH[0])[1], grid.grid_x, grid.rows_y)
    assert rect is not None  # the later programme is in the grid's first two hours
    dot = pygame.Rect(rect.right - 24, rect.y, 24, rect.height // 2)
    assert red_pixels(app.canvas, dot, app.theme.error) > 0

    grid.dismiss()
    details = open_details(app, CH[0], later)
    press(app, details, "Cancel recording")
    settle(app, lambda: app.tv.recordings.timer_for(CH[0], later) is None, "the timer to go")
    assert app.screen.notice == "Recording of The Flat Upstairs cancelled"
    assert details.buttons(time.time())[1] == "Record" and not recorder.pvr.timers


def test_details_record_series_schedules_every_episode_and_can_be_cancelled(app, recorder):
    settle(app)
    details = open_details(app, CH[0], NOW + H)
    press(app, details, "Record series")
    settle(app, lambda: app.tv.recordings.rule_for(CH[0], "The Flat Upstairs") is not None, "the series rule")
    assert app.screen.notice == f"Every episode of The Flat Upstairs on {details.channel.name} will be recorded"
    assert sorted(t.start for t in recorder.pvr.timers.values()) == [NOW + H, NOW + 25 * H]
    assert details.buttons(time.time()) == ["Remind me", "Cancel recording", "Cancel series", "Close"]
    press(app, details, "Cancel series")
    settle(app, lambda: app.tv.recordings.rule_for(CH[0], "The Flat Upstairs") is None, "the rule to go")
    assert not recorder.pvr.timers and not recorder.pvr.rules


def test_details_of_a_programme_on_now_records_it_from_now(app, recorder):
    settle(app)
    details = open_details(app, CH[1], NOW - 600)
    assert details.buttons(time.time()) == ["Watch", "Record", "Record series", "Close"]
    press(app, details, "Record")
    settle(app, lambda: app.tv.recordings.recording_on(CH[1]) is not None, "the recording to start")
    assert "Recording" in details._note(time.time())
    app.step()
    shot(app.canvas, "details-recording.png")


def test_details_without_a_recorder_offer_no_record_buttons(app):
    details = open_details(app, CH[0], NOW + H)
    assert details.buttons(time.time()) == ["Remind me", "Close"]


def test_the_record_key_in_the_guide_records_the_focused_programme_and_again_offers_to_drop_it(app, recorder):
    app.box.zap(CH[1])  # the channel on screen is not the one recorded
    settle(app)
    grid = app.open_guide()
    app.stack.replace(grid)
    while grid.model.channel.id != CH[0]:
        app.act("down" if grid.model.channel.number < app.box.lineup.by_id(CH[0]).number else "up")
    while grid.model.focus is None or grid.model.focus.start != NOW + H:
        app.act("right")
    app.act("record")
    settle(app, lambda: app.tv.recordings.timer_for(CH[0], NOW + H) is not None, "the timer")
    assert app.screen.notice == "The Flat Upstairs will be recorded" and app.stack.top is grid
    assert app.tv.recordings.recording_on(CH[1]) is None, "not the channel on screen"
    app.act("record")  # again: a dialog, its safe choice focused; the other drops the timer
    dialog = app.stack.top
    assert isinstance(dialog, ConfirmDialog) and dialog.title == "Cancel this recording?" and dialog.choice == 0
    app.act("right")
    app.act("ok")
    settle(app, lambda: app.tv.recordings.timer_for(CH[0], NOW + H) is None, "the timer to go")
    assert app.screen.notice == "Recording of The Flat Upstairs cancelled" and app.stack.top is grid
