"""The relay through a running box's HTTP API on loopback: tokens, errors, and a stock player on /stream/live."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx
import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS
from stb.headend.media import HEIGHT, WIDTH
from stb.ts.packets import PACKET, SYNC
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow


def root(base: str) -> str:
    return base.removesuffix("/api/v1")


def test_streams_need_a_token_and_say_what_is_wrong(demo_box):
    def client(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            refused = c.get(f"{root(base)}/stream/channel/{CHANNELS[0].id}")
            refused_live = c.get(f"{root(base)}/stream/live", params={"token": "wrong"})
            unknown = c.get(f"{root(base)}/stream/channel/nope", params={"token": token})
            dead = c.get(f"{root(base)}/stream/channel/dead-channel", params={"token": token})
            with c.stream("GET", f"{root(base)}/stream/channel/{CHANNELS[2].id}", params={"token": token}) as r:
                status, kind = r.status_code, r.headers["content-type"]
                body = r.iter_raw(PACKET * 10)  # kept: a dropped iterator closes the response
                first = next(body)
                stats = c.get(f"{base}/relay", headers={"Authorization": f"Bearer {token}"}).json()
            return refused, refused_live, unknown, dead, status, kind, first, stats

    refused, refused_live, unknown, dead, status, kind, first, stats = run_client(demo_box, client, timeout=60)
    assert refused.status_code == refused_live.status_code == 401
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    assert dead.status_code == 502 and dead.json()["title"] == "Channel unavailable"
    assert (status, kind) == (200, "video/mp2t") and first[0] == SYNC
    assert stats["channels"][CHANNELS[2].id]["clients"] == 1, stats


def test_a_stock_player_follows_five_zaps_on_one_connection(demo_box, tmp_path):
    """ffmpeg reads /stream/live once while the TV zaps through the API; every channel shows up in turn."""
    zaps = [2, 3, 1, 4, 2]

    def client(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            auth = {"Authorization": f"Bearer {token}"}
            c.post(f"{base}/actions/zap", json={"number": 1}, headers=auth)
            player = subprocess.Popen(
                ["ffmpeg", "-v", "error", "-i", f"{root(base)}/stream/live?token={token}",
                 "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            frames = bytearray()
            reader = threading.Thread(target=read_all, args=(player.stdout, frames), daemon=True)
            reader.start()
            try:
                time.sleep(3)
                for number in zaps:
                    assert c.post(f"{base}/actions/zap", json={"number": number}, headers=auth).status_code == 200
                    time.sleep(3)
                stats = c.get(f"{base}/relay", headers=auth).json()
            finally:
                player.terminate()
                player.wait(10)
                reader.join(10)
            return bytes(frames), stats, player.stderr.read().decode(errors="replace")

    frames, stats, errors = run_client(demo_box, client, timeout=90)
    size = WIDTH * HEIGHT * 3
    seen = [marker.decode(frames[at : at + size], WIDTH, HEIGHT, WIDTH * 3, 3) for at in range(0, len(frames), size)]
    shown = [n for i, n in enumerate(seen) if n is not None and (i == 0 or seen[i - 1] != n)]
    assert shown == [1, *zaps], f"the player showed {shown}; ffmpeg said: {errors[-500:]}"
    assert stats["live_connections"] == 1 and stats["live_clients"] == 1


def read_all(pipe, into: bytearray) -> None:
    while chunk := pipe.read(1 << 16):
        into += chunk


def test_a_channel_the_parental_lock_hides_is_not_relayed_until_the_pin(demo_box):
    demo_box.box.parental.set_pin("1234")
    demo_box.box.parental.toggle_channel_lock(CHANNELS[2].id)

    def client(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            locked = c.get(f"{root(base)}/stream/channel/{CHANNELS[2].id}", params={"token": token})
            with c.stream("GET", f"{root(base)}/stream/channel/{CHANNELS[0].id}", params={"token": token}) as r:
                free = r.status_code
            return locked, free

    locked, free = run_client(demo_box, client, timeout=60)
    assert locked.status_code == 403 and "parental lock" in locked.json()["detail"]
    assert free == 200
    demo_box.box.parental.try_pin("1234", time.time())  # the PIN entered on the TV unlocks other screens too

    def again(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box, "second")
            with c.stream("GET", f"{root(base)}/stream/channel/{CHANNELS[2].id}", params={"token": token}) as r:
                return r.status_code

    assert run_client(demo_box, again, timeout=60) == 200
