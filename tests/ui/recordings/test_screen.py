"""The Recordings screen and a recording played on the TV: grouped by series, delete behind a confirm (Cancel
focused), OK plays it with real libVLC from its TS part file (resume position, skips, pause, the parental
PIN), Back goes back to live TV and the position is kept.

The recording is made by the real recorder from a real TS (the demo head-end's clip, fed through the PVR
tests' relay stand-in); playback is real libVLC in the App, drawing in SDL's dummy driver.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media
from stb.player.engine import PlaybackState
from stb.tv.playback import RESUME_MIN_S
from stb.ui.confirm import ConfirmDialog
from stb.ui.recordings import RecordingsScreen, rows_of
from stb.ui.settings import SettingsScreen
from tests.ui.keys import step_until
from tests.ui.recrig import CH, NOW, settle, shot

pytestmark = pytest.mark.slow

CLIP_S = 20.0  # the demo clip's length


def call(recorder, coroutine, timeout: float = 30.0):
    return asyncio.run_coroutine_threadsafe(coroutine, recorder.loop).result(timeout)


def make_recording(recorder, channel: str = CH[0]):
    """Record ``channel`` now, feed it the demo clip's TS, move the clock on by its length, stop it."""
    ensure_media()
    data = clip_path(CHANNELS[0]).read_bytes()
    pvr, relay = recorder.pvr, recorder.relay
    timer = call(recorder, pvr.schedule_now(channel))
    deadline = time.monotonic() + 20
    while not relay.queues.get(channel):
        assert time.monotonic() < deadline, "the recorder did not open the channel"
        time.sleep(0.01)
    meta = pvr.library.recordings[timer.recording]
    part = pvr.library.folder(meta.id) / "part-1.ts"
    last = len(data) - 188 * 100
    for end in (last, len(data)):  # the part's last bytes come the clip's length after its first
        start = 0 if end == last else last
        recorder.loop.call_soon_threadsafe(relay.feed, channel, data[start:end])
        while not part.exists() or part.stat().st_size < end:
            assert time.monotonic() < deadline, "the recording's bytes did not reach the disk"
            time.sleep(0.01)
        pvr.clock.t += CLIP_S if end == last else 0
    pvr.clock.t = timer.end + 1  # the programme is over: the recorder ends it by the clock
    while timer.id in pvr.timers or meta.state == "recording":
        assert time.monotonic() < deadline, "the recording did not end"
        time.sleep(0.01)
    pvr.clock.t = NOW  # back to the morning: the next recording is of the same programme
    return pvr.recording(meta.id)


def open_recordings(app) -> RecordingsScreen:
    app.act("recordings")
    screen = app.stack.top
    assert isinstance(screen, RecordingsScreen)
    settle(app, lambda: screen.recordings.view is not None, "the recorder's view")
    return screen


def test_the_screen_groups_by_series_and_delete_asks_first_with_cancel_focused(app, recorder):
    first, second, again = make_recording(recorder), make_recording(recorder, CH[1]), make_recording(recorder)
    screen = open_recordings(app)
    rows = rows_of(screen.recordings.view)
    shown = [(r.heading, r.meta.id if r.meta else None) for r in rows]
    at = shown.index(("Morning Show  (2)", None))  # the series' heading, then its two recordings
    assert {shown[at + 1][1], shown[at + 2][1]} == {first.id, again.id} and ("Long Film", second.id) in shown
    assert len(shown) == 4  # one recording of a title needs no heading
    app.step()
    shot(app.canvas, "recordings.png")
    while screen.focused().id != first.id:
        app.act("down")
    app.act("red")
    dialog = app.stack.top
    assert isinstance(dialog, ConfirmDialog) and dialog.choice == 0 and dialog.action == "Delete"
    app.step()
    shot(app.canvas, "recordings-delete.png")
    app.act("ok")  # Cancel: kept
    settle(app)
    assert {m.id for m in recorder.pvr.recordings()} == {first.id, second.id, again.id}
    app.act("red")
    app.act("right")
    app.act("ok")  # Delete
    settle(app, lambda: len(screen.recordings.view.recordings) == 2, "the list without it")
    assert {m.id for m in recorder.pvr.recordings()} == {second.id, again.id}
    assert not recorder.pvr.library.folder(first.id).exists()
    assert app.screen.notice == "Morning Show deleted"


def playing(app) -> bool:
    player = app.player
    return player.state is PlaybackState.PLAYING and player.channel is not None and (
        player.channel.id.startswith("recording-"))  # fmt: skip


def test_ok_plays_the_recording_with_libvlc_skips_pauses_and_back_keeps_the_position(app, recorder):
    meta = make_recording(recorder)
    app.box.zap(CH[1])
    open_recordings(app)
    app.act("ok")
    assert app.stack.top is None and app.tv.recordings.playing is not None
    step_until(app, lambda: playing(app) and (app.player.position() or 0) > 0, "the recording to play")
    assert app.player.channel.urls[0].startswith("file://") and app.player.channel.urls[0].endswith("part-1.ts")
    app.act("ok")  # the banner: ▶ and the recording's title
    app.step()
    shot(app.canvas, "recording-playing.png")
    before = app.player.position()
    app.act("skip_forward")  # +10 s, libVLC's own seek in the file
    step_until(app, lambda: (app.player.position() or 0) >= before + 5, "the skip")
    app.act("play_pause")
    assert app.player.paused
    app.act("play_pause")
    assert not app.player.paused
    at = app.player.position()
    app.act("skip_back")
    step_until(app, lambda: (app.player.position() or CLIP_S) <= at - 5, "the skip back")
    app.act("skip_forward")
    step_until(app, lambda: (app.player.position() or 0) >= at - 1, "the skip forward again")
    app.act("back")  # live TV again, and the position is kept
    assert app.box.current.id == CH[1] and app.tv.recordings.playing is None
    settle(app, lambda: recorder.pvr.recording(meta.id).position > 0, "the saved position")
    saved = recorder.pvr.recording(meta.id).position
    assert RESUME_MIN_S <= saved < CLIP_S and not recorder.pvr.recording(meta.id).watched

    open_recordings(app)
    app.act("ok")  # resumes there: libVLC's start-time
    assert f"start-time={saved:.1f}" in app.tv.recordings.playing.channel.vlc_options
    step_until(app, lambda: playing(app) and (app.player.position() or 0) >= saved - 1, "the resumed recording")
    app.act("skip_forward_long")  # a minute on: to the end, live TV comes back, it counts as watched
    step_until(app, lambda: app.tv.recordings.playing is None, "the end of the recording", timeout=60)
    assert app.box.current.id == CH[1]
    settle(app, lambda: recorder.pvr.recording(meta.id).watched, "watched")


def test_settings_open_the_recordings_too(app, recorder):
    app.act("menu")
    settings = app.stack.top
    assert isinstance(settings, SettingsScreen)
    while settings.items[settings.focus].label != "Recordings":
        app.act("down")
    app.act("ok")
    assert isinstance(app.stack.top, RecordingsScreen)
    app.act("back")
    assert app.stack.top is settings


def test_a_recording_of_a_locked_channel_asks_for_the_pin(app, recorder):
    meta = make_recording(recorder)
    app.box.parental.set_pin("2468")
    app.box.parental.toggle_channel_lock(CH[0])
    app.box.zap(CH[1])
    open_recordings(app)
    app.act("ok")
    app.step()
    assert app.screen.locked and app.zapper.muted  # picture and sound hidden until the PIN
    app.act("skip_forward")
    assert app.screen.notice == "Enter the PIN first"
    app.act("ok")
    for digit in "2468":
        app.act(f"digit_{digit}")
    app.step()
    assert not app.screen.locked
    step_until(app, lambda: playing(app), "the recording after the PIN")
    assert app.tv.recordings.playing.meta.id == meta.id
