"""Standby through the API of a running box playing the demo head-end over loopback.

Standby must really let go of the streams: the head-end's own count of viewers (``/health``) drops
to zero, pre-tuned channels included, and comes back when the box wakes.
"""

from __future__ import annotations

import json

import httpx
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.player.engine import EngineOptions, PlaybackState
from tests.net.test_api import pair, run_client
from tests.ui.keys import step_until

pytestmark = pytest.mark.slow


@pytest.fixture
def box(headend, tmp_path):
    host, port = headend
    app = build_app(demo_lineup(host, port), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db",
              pretune=1, api_port=0, engine_options=EngineOptions(connect_timeout_s=4.0))  # fmt: skip
    app.start()
    yield app
    app.close()


def headend_clients(headend) -> int:
    host, port = headend
    return httpx.get(f"http://{host}:{port}/health", timeout=5).json()["clients"]


@pytest.mark.timeout(120)
def test_standby_stops_every_stream_and_a_zap_wakes_the_box_on_its_channel(box, headend):
    step_until(box, lambda: box.player.state is PlaybackState.PLAYING, "channel 1 to play")
    step_until(box, lambda: headend_clients(headend) >= 2, "channel 1 and a pre-tuned neighbour at the head-end")

    def client(base):
        with httpx.Client(timeout=10) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, box)}"}
            events: list[tuple[str, dict]] = []
            with c.stream("GET", f"{base}/events", headers=auth) as stream:
                lines = stream.iter_lines()
                assert next(lines) == ": connected"
                on = c.post(f"{base}/actions/standby", json={"on": True}, headers=auth).json()
                kind = None
                for line in lines:  # the stream says so too
                    kind = line[7:] if line.startswith("event: ") else kind
                    if line.startswith("data: "):
                        events.append((kind, json.loads(line[6:])))
                        if kind == "standby":
                            break
            ignored = c.post(f"{base}/actions/key", json={"action": "channel_up"}, headers=auth).json()
            return auth, on, events, ignored

    auth, on, events, ignored = run_client(box, client)
    assert on["standby"] is True and on["playback"] == "idle" and on["channel"]["number"] == 1
    assert ("standby", {"standby": True}) in events
    assert ("playback", {"channel": "news-24", "state": "idle", "error": None}) in events
    assert ignored["standby"] is True and ignored["channel"]["number"] == 1  # a remote key does not wake it
    assert all(p.channel is None and p.state is PlaybackState.IDLE for p in box.zapper.players)
    step_until(box, lambda: headend_clients(headend) == 0, "the head-end to lose every viewer")

    def wake_by_zap(base):
        with httpx.Client(timeout=10) as c:
            return c.post(f"{base}/actions/zap", json={"number": 3}, headers=auth).json()

    woke = run_client(box, wake_by_zap)
    assert woke["standby"] is False and woke["channel"]["number"] == 3
    step_until(box, lambda: box.player.state is PlaybackState.PLAYING and box.player.channel.number == 3,
               "channel 3 to play after the wake-up zap")  # fmt: skip
    step_until(box, lambda: headend_clients(headend) >= 1, "the box back at the head-end")

    def toggle_twice(base):
        with httpx.Client(timeout=10) as c:
            return [c.post(f"{base}/actions/standby", json={}, headers=auth).json()["standby"] for _ in range(2)]

    assert run_client(box, toggle_twice) == [True, False]
    step_until(box, lambda: box.player.state is PlaybackState.PLAYING and box.player.channel.number == 3,
               "channel 3 again after waking by toggle")  # fmt: skip
