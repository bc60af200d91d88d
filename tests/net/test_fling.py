"""Flinging stream URLs and handing the programme off, through the API of a running box on loopback.

The line-up's streams (and the flung ones) point at a closed port on loopback: nothing leaves the
machine, and a dead stream fails at once, as a dead channel does. The head-end tests are in
tests/companion/test_take.py.
"""

from __future__ import annotations

import json

import httpx
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.player.engine import EngineOptions, PlaybackState
from tests.net.test_api import LINEUP, pair, run_client
from tests.ui.keys import step_until

DEAD = "http://127.0.0.1:9/elsewhere/garden-cam.ts?token=secret"  # not in the line-up; nothing listens there


@pytest.fixture
def box(tmp_path):
    app = build_app(LINEUP, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0,
                    api_port=0, engine_options=EngineOptions(connect_timeout_s=3.0))  # fmt: skip
    app.start()
    yield app
    app.close()


def test_other_schemes_are_refused_with_the_scheme_named(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, box)}"}
            urls = ["file:///etc/passwd", "javascript:alert(1)", "FILE:/etc/shadow", "/etc/passwd", "http://a b/"]
            refused = [c.post(f"{base}/actions/play", json={"url": url}, headers=auth) for url in urls]
            bad_title = c.post(f"{base}/actions/play", json={"url": DEAD, "title": "a\x00b"}, headers=auth)
            return refused, bad_title

    refused, bad_title = run_client(box, client)
    assert [r.status_code for r in refused] == [422] * 5
    assert [r.json()["detail"] for r in refused] == [
        "body.url: the TV plays http, https, udp and rtp streams, not file: URLs",
        "body.url: the TV plays http, https, udp and rtp streams, not javascript: URLs",
        "body.url: the TV plays http, https, udp and rtp streams, not file: URLs",
        "body.url: the TV plays http, https, udp and rtp streams, not this (no URL scheme)",
        "body.url: write the URL as scheme://address, without spaces or control characters",
    ]
    assert bad_title.status_code == 422 and bad_title.json()["detail"].startswith("body.title:")
    assert box.box.current.number == 1 and box.box.flung is None  # nothing happened


def test_a_flung_url_plays_as_a_stream_fails_like_a_dead_channel_and_a_zap_leaves_it(box, tmp_path):
    def fling(base):
        with httpx.Client(timeout=10) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, box)}"}
            events = []
            with c.stream("GET", f"{base}/events", headers=auth) as stream:
                lines = stream.iter_lines()
                assert next(lines) == ": connected"
                played = c.post(f"{base}/actions/play", json={"url": DEAD}, headers=auth).json()
                kind = None
                for line in lines:
                    kind = line[7:] if line.startswith("event: ") else kind
                    if line.startswith("data: "):
                        events.append((kind, json.loads(line[6:])))
                        if kind == "stream":
                            break
            titled = c.post(f"{base}/actions/play", json={"url": DEAD + "&x", "title": "Garden"}, headers=auth)
            return auth, played, events, titled.json()

    auth, played, events, titled = run_client(box, fling)
    assert played["channel"] is None and played["stream"] == {"title": "garden-cam.ts", "host": "127.0.0.1"}
    assert ("stream", {"title": "garden-cam.ts", "host": "127.0.0.1"}) in events
    assert "secret" not in json.dumps([played, events])  # the URL (and what it carries) is not repeated
    assert titled["stream"] == {"title": "Garden", "host": "127.0.0.1"}
    assert LINEUP.by_id(box.box.current.id) is None and box.box.current.urls == [DEAD + "&x"]
    assert box.net.ctx.relay.live is None  # the relay's live stream shows nothing meanwhile
    step_until(box, lambda: box.player.state is PlaybackState.FAILED, "the dead stream to fail", timeout=30)
    box.step()
    box.save_screenshot(tmp_path / "flung-dead.png")  # the banner: a play mark, the title, the host, the failure

    def state_then_zap(base):
        with httpx.Client(timeout=5) as c:
            state = c.get(f"{base}/state", headers=auth).json()
            zapped = c.post(f"{base}/actions/zap", json={"direction": "up"}, headers=auth).json()
            return state, zapped

    state, zapped = run_client(box, state_then_zap)
    assert state["playback"] == "failed" and state["stream"]["title"] == "Garden"
    assert zapped["channel"]["number"] == 2 and zapped["stream"] is None  # up from channel 1, watched before
    assert box.box.flung is None and box.box.state.recent[0] == "c2"
    assert box.net.ctx.relay.live is not None and box.net.ctx.relay.live.id == "c2"  # the live relay follows again


@pytest.mark.parametrize(("setting", "standby", "reason"), [
    (True, True, "the TV went to standby"),
    (False, False, "the TV stays on (Settings: Standby when taken is off)"),
])  # fmt: skip
def test_a_handoff_puts_the_tv_in_standby_as_the_setting_says(box, setting, standby, reason):
    box.box.settings.standby_when_taken = setting

    def client(base):
        with httpx.Client(timeout=5) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, box, 'Lap')}"}
            stranger = c.post(f"{base}/actions/handoff", json={"channel": "c1"})
            return stranger, c.post(f"{base}/actions/handoff", json={"channel": "c1"}, headers=auth).json()

    stranger, answer = run_client(box, client)
    assert stranger.status_code == 401 and box.box.current.number == 1
    assert answer["standby"] is standby and answer["reason"] == reason and answer["state"]["standby"] is standby
    assert box.box.standby is standby
    if not standby:
        assert box.screen.notice == "Channel 1 is on Lap too"


def test_a_handoff_leaves_the_tv_on_when_it_moved_on_to_another_channel(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, box)}"}
            c.post(f"{base}/actions/zap", json={"number": 3}, headers=auth)
            return c.post(f"{base}/actions/handoff", json={"channel": "c1"}, headers=auth).json()

    answer = run_client(box, client)
    assert answer["standby"] is False and answer["reason"] == "the TV shows something else by now, so it stays on"
    assert box.box.standby is False and box.box.current.number == 3
