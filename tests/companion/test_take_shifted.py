"""`stb take` of what the TV shows away from live: a channel paused in its timeshift buffer, and a recording.

The laptop continues where the TV is (the buffer's moment behind live; the recording's second), the TV goes to
standby, and what the laptop reads goes on: the box keeps writing the buffer of a channel taken behind live
while it is read, and a recording's resume position ends up where the laptop stopped.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import pygame
import pytest

from stb.assembly import LocalRelayService, build_app
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.player.engine import PlaybackState
from tests.companion.conftest import pair_laptop
from tests.companion.test_take import take
from tests.net.test_api import run_client
from tests.net.test_recording_streams import REC_ID, SECONDS, clip, make_recording  # noqa: F401  (clip: a fixture)
from tests.ui.keys import press, step_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def shifting_box(tmp_path, headend, monkeypatch):
    """A running box with timeshift on, its API on loopback, this 'laptop' paired with it."""
    monkeypatch.setenv("STB_CACHE_DIR", str(tmp_path / "cache"))
    app = build_app(demo_lineup(*headend), headless=True, store=StateStore(tmp_path / "state"),
                    guide_db=tmp_path / "g.db", pretune=0, api_port=0, timeshift=True)  # fmt: skip
    app.start()
    yield pair_laptop(app)
    app.close()


def root(base: str) -> str:
    return base.removesuffix("/api/v1")  # the streams are served beside the API, not under it


def local_relay(app):
    return next(s for s in app.services if isinstance(s, LocalRelayService)).local


def test_take_a_paused_channel_goes_on_from_the_same_moment_and_the_box_keeps_buffering_it(shifting_box):
    app, address, token = shifting_box
    app.box.zap_number(3)
    channel = app.box.current
    relay = local_relay(app)
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING and (w := relay.window(channel.id)) is not None
               and w.live_at - w.start_at > 6, "six seconds of channel 3 in the buffer", timeout=90)  # fmt: skip
    press(app, pygame.K_SPACE)  # pause live TV
    step_until(app, lambda: app.player.paused and app.tv.timeshift.view().behind_s > 2, "the TV paused behind live",
               timeout=60)  # fmt: skip

    def laptop(base):
        # a stock player reads the same route: ffmpeg, two seconds behind live, with the token in a header
        url = f"{root(base)}/stream/timeshift/{channel.id}?behind=2"
        ffmpeg = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "debug", "-headers",
                                 f"Authorization: Bearer {token}\r\n", "-i", url, "-t", "3", "-map", "0", "-c",
                                 "copy", "-f", "null", "-"], capture_output=True, text=True, timeout=60)  # fmt: skip
        taking = take(address, seconds=12)
        while not app.box.standby and taking.poll() is None:  # the handoff: the TV goes dark
            time.sleep(0.1)
        at_standby = relay.window(channel.id).live_at
        time.sleep(3)  # the head-end sends in real time: a buffer still written has grown meanwhile
        later = relay.window(channel.id).live_at
        out, err = taking.communicate(timeout=60)
        return taking.returncode, out, err, at_standby, later, ffmpeg

    code, out, err, at_standby, later, ffmpeg = run_client(app, laptop, timeout=150)
    assert ffmpeg.returncode == 0 and "Video: h264" in ffmpeg.stderr, ffmpeg.stderr[-2000:]
    assert "Continuity check failed" not in ffmpeg.stderr
    assert code == 0, err
    report = json.loads(out)
    assert report["behind_s"] > 2 and report["channel"]["number"] == 3 and report["marker"] == 3, report
    assert report["handoff"]["standby"] is True and app.box.standby
    assert later > at_standby, "the taken channel's buffer is written on while the laptop reads it"
    # The laptop left: the buffer of a channel the TV no longer shows stops being written.
    step_until(app, lambda: not relay.shift._held and channel.id not in relay.shift._writers, "the writer to stop",
               timeout=30)  # fmt: skip


def test_take_a_recording_starts_at_the_tvs_second_and_leaves_the_resume_position_where_the_laptop_stopped(
    paired_box,
    clip,  # noqa: F811
):
    app, address, _ = paired_box
    pvr = app.net.ctx.pvr
    make_recording(pvr.library.directory, clip)
    asyncio.run_coroutine_threadsafe(asyncio.to_thread(pvr.library.rebuild), pvr.loop).result(30)
    asyncio.run_coroutine_threadsafe(pvr.set_position(REC_ID, 8.0), pvr.loop).result(30)
    app.tv.recordings.play(pvr.library.recordings[REC_ID])
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING and (app.player.position() or 0) >= 8.0,
               "the TV to play the recording from 8 s", timeout=60)  # fmt: skip

    def laptop(_base):
        taking = take(address, seconds=4)
        return taking.communicate(timeout=90), taking.returncode

    (out, err), code = run_client(app, laptop, timeout=150)
    assert code == 0, err
    report = json.loads(out)
    assert report["recording"] == REC_ID and report["started_at"] >= 8.0, report  # where the TV was, not 0
    assert report["started_at"] <= report["position_s"] < SECONDS, report
    assert report["handoff"]["standby"] is True and app.box.standby and app.tv.recordings.playing is None
    assert report["stored_position"] == pytest.approx(report["position_s"], abs=0.1)
    assert pvr.library.recordings[REC_ID].position == report["stored_position"]


def test_take_says_why_not_for_another_boxs_recording():
    from stb.companion.take_cli import nothing_to_take

    state = {"standby": False, "channel": None, "stream": {"title": "Film", "host": "x"},
             "recording": {"id": "0123456789abcdef", "title": "Film", "position": 3.0, "remote": True}}  # fmt: skip
    assert "another box's recording" in (nothing_to_take(state, "Lounge") or "")
    state["recording"]["remote"] = False
    assert nothing_to_take(state, "Lounge") is None
    flung = {"standby": False, "channel": None, "stream": state["stream"], "recording": None}
    assert nothing_to_take(flung, "Lounge") == (
        "Lounge plays a stream flung to it, not a channel of its line-up: nothing to take"
    )
