"""`stb take` and `stb fling URL` as a laptop runs them, against a running box on loopback playing the demo head-end.

The box's frame loop runs on this thread; the companion CLIs run as subprocesses (the box's address
given as 127.0.0.1:PORT, never a name to discover).
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from stb.bench.zap import channel_on_screen
from stb.headend.catalog import CHANNELS, base_url, stream_path
from stb.player.engine import PlaybackState
from tests.companion.conftest import stb
from tests.net.test_api import run_client
from tests.ui.keys import step_until

pytestmark = pytest.mark.slow


def take(address: str, seconds: float = 8) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stb", "take", address, "--headless", "--seconds", str(seconds),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def relay_stats(base: str, token: str) -> dict:
    return httpx.get(f"{base}/relay", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()


@pytest.mark.timeout(150)
def test_take_shows_the_tvs_channel_here_then_the_tv_goes_to_standby_and_the_stream_keeps_flowing(paired_box):
    app, address, token = paired_box
    app.box.zap_number(3)
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "channel 3 to play on the TV")

    def laptop(base):
        taking = take(address)
        out, err = taking.communicate(timeout=60)
        return taking.returncode, out, err, relay_stats(base, token)

    code, out, err, stats = run_client(app, laptop, timeout=90)
    assert code == 0, err
    report = json.loads(out)
    assert report["channel"]["number"] == 3 and report["marker"] == 3  # the TV's channel, read from its pixels
    assert report["handoff"]["standby"] is True and report["handoff"]["reason"] == "the TV went to standby"
    assert app.box.standby is True and app.player.state is PlaybackState.IDLE
    # The laptop kept getting pictures after the TV went dark: ~5 s at 25 fps after the handoff.
    assert report["pictures"] - report["pictures_at"]["handoff"] > 50, report
    assert stats["live_clients"] == 0, "take reads the channel's own stream, not the live one that follows the TV"


@pytest.mark.timeout(150)
def test_take_leaves_the_tv_on_when_the_setting_is_off(paired_box):
    app, address, _ = paired_box
    app.box.settings.standby_when_taken = False
    step_until(app, lambda: app.player.state is PlaybackState.PLAYING, "channel 1 to play on the TV")

    def laptop(_base):
        taking = take(address, seconds=5)
        out, err = taking.communicate(timeout=60)
        return taking.returncode, out, err

    code, out, err = run_client(app, laptop, timeout=90)
    assert code == 0, err
    report = json.loads(out)
    assert report["marker"] == 1 and report["handoff"]["standby"] is False
    assert "Standby when taken is off" in report["handoff"]["reason"]
    assert app.box.standby is False and app.player.state is PlaybackState.PLAYING and channel_on_screen(app.player) == 1


@pytest.mark.timeout(150)
def test_take_says_in_one_line_when_the_tv_shows_nothing_to_take(paired_box):
    app, address, _ = paired_box
    app.box.set_standby(True)

    def laptop(_base):
        return stb("take", address, "--headless", "--seconds", "3")

    done = run_client(app, laptop, timeout=60)
    assert done.returncode == 1 and done.stderr == f"stb: {app.box.settings.box_name} is in standby: nothing to take\n"
    assert done.stdout == ""


@pytest.mark.timeout(150)
def test_fling_a_url_outside_the_line_up_then_zap_back(paired_box):
    app, address, _ = paired_box
    ref = app.box.lineup.headend
    fifth = CHANNELS[4]
    url = f"{base_url(ref.host, ref.port)}{stream_path(fifth)}?join=live"  # the head-end serves it; not a line-up URL
    assert all(url not in c.urls for c in app.box.lineup.channels)

    def laptop(_base):
        return stb("fling", address, url, "--title", "Borrowed five", "--json"), stb("fling", address, url)

    flung, again = run_client(app, laptop, timeout=60)
    assert flung.returncode == 0, flung.stderr
    state = json.loads(flung.stdout)
    assert state["channel"] is None and state["stream"] == {"title": "Borrowed five", "host": ref.host}
    assert again.stdout.strip() == f"{app.box.settings.box_name} now shows {fifth.id}.ts (a stream from {ref.host})"
    step_until(app, lambda: channel_on_screen(app.player) == fifth.number, "the flung stream's pictures on the TV")
    assert app.box.flung is not None and app.box.state.last_channel == CHANNELS[0].id  # not saved as a channel

    def refused_then_zap(_base):
        return (stb("fling", address, "file:///etc/passwd"), stb("fling", address, "javascript:alert(1)"),
                stb("fling", address, "2", "--json"))  # fmt: skip

    passwd, script, zapped = run_client(app, refused_then_zap, timeout=60)
    for done, scheme in ((passwd, "file"), (script, "javascript")):
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr == (f"stb: the box said 422: body.url: the TV plays http, https, udp and rtp streams, "
                               f"not {scheme}: URLs\n")  # fmt: skip
    assert json.loads(zapped.stdout)["channel"]["number"] == 2 and app.box.flung is None
    step_until(app, lambda: channel_on_screen(app.player) == 2, "channel 2 back from the line-up")
