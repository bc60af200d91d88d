"""Stock players (ffmpeg, mpv, VLC) follow the TV's zaps on /stream/live and /hls/live, as a household runs them.

Each player reads the live stream once while the TV zaps five times through the API; the channel marker
of every picture it shows says whether it followed each zap. How long each went without a new picture
is printed on failure and measured by `stb bench relay` (no timing is asserted here).
"""

from __future__ import annotations

import time

import httpx
import pytest

from stb.bench.stock_clients import PLAYERS, StockPlayer, channels_in_order, zap_gaps
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow

ZAPS = [2, 3, 1, 4, 2]
SHOW_TIMEOUT_S = 45.0  # only to catch a player that hangs: each zap shows in about a second


def wait_shown(players: list[StockPlayer], channel: int, since: float) -> None:
    deadline = time.monotonic() + SHOW_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(any(p.t > since and p.channel == channel for p in list(pl.pictures)) for pl in players):
            return
        time.sleep(0.1)


@pytest.mark.parametrize("route", ["stream/live", "hls/live/index.m3u8"])
def test_stock_players_follow_five_zaps(demo_box, route):
    names = [name for name in PLAYERS if StockPlayer.available(name)]
    assert names == list(PLAYERS), "install the stock players: make test-sysdeps (vlc-bin, mpv, ffmpeg)"

    def client(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            auth = {"Authorization": f"Bearer {token}"}
            assert c.post(f"{base}/actions/zap", json={"number": 1}, headers=auth).status_code == 200
            url = f"{base.removesuffix('/api/v1')}/{route}?token={token}"
            players = [StockPlayer(name, url).start() for name in names]
            zaps = []
            try:
                wait_shown(players, 1, 0.0)
                time.sleep(1.0)
                for number in ZAPS:
                    pressed = time.monotonic()
                    assert c.post(f"{base}/actions/zap", json={"number": number}, headers=auth).status_code == 200
                    zaps.append((pressed, number))
                    wait_shown(players, number, pressed)
                    time.sleep(1.5)
            finally:
                for player in players:
                    player.stop()
            return players, zaps

    players, zaps = run_client(demo_box, client, timeout=SHOW_TIMEOUT_S * 8)
    for player in players:
        gaps = zap_gaps(player.pictures, zaps)
        shown = channels_in_order(player.pictures)
        what = f"{player.name} on /{route}: showed {shown}, zaps {gaps}; it said {player.said[-5:]}"
        assert all(g["followed"] for g in gaps), what
        assert shown == [1, *ZAPS], what
