"""A recording played while the recorder is still writing it: libVLC plays on past the length the file had
when it was opened, the picture holds when playback catches the writer up (and goes on when more comes),
skips stop short of the growing end, and once the recording is over it ends as a finished one does.

The real recorder writes the demo head-end's clip as it is fed, a second of it at a time, through the PVR
tests' relay stand-in; playback is real libVLC in the App (SDL's dummy driver).
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media
from stb.player.engine import PlaybackState
from stb.ts.span import pcr_span
from stb.tv.playback import EDGE_S
from stb.tv.recordings import CATCHING_UP
from tests.ui.keys import step_until
from tests.ui.recrig import CH, Recorder, settle

pytestmark = pytest.mark.slow

SLICES = 20  # the 20 s clip fed a twentieth (about a second) at a time


class Source:
    """The channel's TS, fed to the recorder a slice at a time (packet-aligned), as a live source sends it."""

    def __init__(self, recorder: Recorder, channel: str) -> None:
        ensure_media()
        data = clip_path(CHANNELS[0]).read_bytes()
        size = len(data) // SLICES // 188 * 188
        self.slices = [data[i * size : (i + 1) * size] for i in range(SLICES - 1)] + [data[(SLICES - 1) * size :]]
        self.recorder, self.channel, self.fed = recorder, channel, 0

    def feed(self, upto: int, every_s: float = 0.0) -> None:
        while self.fed < upto:
            self.recorder.loop.call_soon_threadsafe(self.recorder.relay.feed, self.channel, self.slices[self.fed])
            self.fed += 1
            time.sleep(every_s)  # a live source's pace (what it checks does not depend on it)

    def written(self) -> int:
        return sum(len(s) for s in self.slices[: self.fed])


def position(app) -> float:
    return app.player.position() or 0.0


def test_a_recording_being_written_plays_on_as_it_grows_and_ends_when_it_is_over(app, recorder):
    pvr = recorder.pvr
    timer = asyncio.run_coroutine_threadsafe(pvr.schedule_now(CH[0]), recorder.loop).result(30)
    source = Source(recorder, CH[0])
    deadline = time.monotonic() + 30
    while not recorder.relay.queues.get(CH[0]):
        assert time.monotonic() < deadline, "the recorder did not open the channel"
        time.sleep(0.01)
    source.feed(6)
    part = pvr.library.folder(timer.recording) / "part-1.ts"
    while not part.exists() or part.stat().st_size < source.written():
        assert time.monotonic() < deadline, "the recording's bytes did not reach the disk"
        time.sleep(0.01)
    recordings = app.tv.recordings
    listed = lambda: recordings.view is not None and any(m.id == timer.recording for m in recordings.view.recordings)  # noqa: E731
    settle(app, listed, "the recording in the recorder's view")
    meta = next(m for m in recordings.view.recordings if m.id == timer.recording)
    assert meta.state == "recording" and recordings.play(meta)
    playing = recordings.playing
    assert playing is not None and playing.growing
    opened = playing.lengths[-1]
    assert 0 < opened < 7, opened  # six slices of the 20 s clip

    reconnects = app.player.reconnects
    feeder = threading.Thread(target=source.feed, args=(14, 1.0), daemon=True)  # a second a second, 8 more
    feeder.start()
    step_until(app, lambda: position(app) > opened + 2, "playback past the length at opening", timeout=60)
    assert app.player.state is PlaybackState.PLAYING and playing.lengths[-1] > opened + 2
    app.act("skip_forward_long")  # a minute on: it stops EDGE_S short of the growing end, and plays on
    app.step()
    assert position(app) <= playing.lengths[-1] - EDGE_S + 1.0
    feeder.join(60)

    # The source pauses: playback catches the writer up, and the picture holds instead of libVLC stopping.
    step_until(app, lambda: recordings.held, "the picture to hold at the growing end", timeout=60)
    assert app.player.paused and app.screen.notice == CATCHING_UP
    held_at, span = position(app), pcr_span(part)
    assert span is not None and held_at <= span and app.player.state is PlaybackState.PLAYING
    app.act("play_pause")  # nothing to play yet: it says so, and still holds
    assert app.player.paused and recordings.held

    source.feed(SLICES)  # the rest comes: it plays on from where it held
    step_until(app, lambda: not recordings.held and position(app) > held_at + 1, "playback to go on", timeout=60)
    assert not app.player.paused and app.player.reconnects == reconnects, "libVLC never stopped at the file's end"

    pvr.clock.t = timer.end + 1  # the programme is over: the recorder ends it by the clock
    asyncio.run_coroutine_threadsafe(pvr.check(), recorder.loop).result(30)
    assert pvr.recording(timer.recording).state == "done"
    step_until(app, lambda: recordings.playing is None, "the end of the recording", timeout=90)
    assert app.screen.notice == "End of Morning Show" and app.box.current.id != playing.channel.id
