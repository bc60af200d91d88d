"""`stb mirror`, `stb watch` and `stb fling` as a laptop runs them, against a running box on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from stb.companion.watch_cli import find_channel
from stb.errors import StbError
from stb.headend.catalog import CHANNELS, demo_lineup
from stb.ui.app import App
from tests.companion.conftest import stb
from tests.net.test_api import run_client

LINEUP = [{"number": 1, "id": "news", "name": "News 24"}, {"number": 2, "id": "sport", "name": "Sports Arena"},
          {"number": 3, "id": "sport2", "name": "Sports Extra"}]  # fmt: skip


def test_channels_are_found_by_number_id_name_or_a_unique_part():
    assert find_channel(LINEUP, "2")["id"] == "sport"
    assert find_channel(LINEUP, "news")["id"] == "news"
    assert find_channel(LINEUP, "sports arena")["id"] == "sport"
    assert find_channel(LINEUP, "extra")["id"] == "sport2"
    with pytest.raises(StbError, match="could be several channels: 2 Sports Arena, 3 Sports Extra"):
        find_channel(LINEUP, "sports")
    with pytest.raises(StbError, match="no channel 'weather'"):
        find_channel(LINEUP, "weather")


@pytest.mark.slow
def test_mirror_plays_the_tv_and_follows_its_zaps_on_one_connection(paired_box):
    app, address, token = paired_box
    zaps = [2, 3, 4]

    def laptop(base):
        mirror = subprocess.Popen([sys.executable, "-m", "stb", "mirror", address, "--headless", "--seconds", "14",
                                   "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        with httpx.Client(timeout=10) as c:
            time.sleep(4)
            for number in zaps:
                c.post(f"{base}/actions/zap", json={"number": number}, headers={"Authorization": f"Bearer {token}"})
                time.sleep(2.5)
            stats = c.get(f"{base}/relay", headers={"Authorization": f"Bearer {token}"}).json()
        out, err = mirror.communicate(timeout=60)
        return mirror.returncode, out, err, stats

    code, out, err, stats = run_client(app, laptop, timeout=90)
    assert code == 0, err
    report = json.loads(out)
    assert report["first_frame_s"] is not None and report["first_frame_s"] < 5
    assert report["pictures"] > 150, report  # ~14 s at 25 fps, minus the start
    names = [f"{c.number} {c.name}" for c in CHANNELS]
    assert report["labels"][-len(zaps) :] == [names[n - 1] for n in zaps], report["labels"]
    assert stats["live_connections"] == 1, "the mirror reconnected instead of following in its connection"


@pytest.mark.slow
def test_watch_another_channel_and_fling_channels_to_the_tv(paired_box):
    app, address, _ = paired_box
    second = CHANNELS[1]

    def laptop(_base):
        watched = stb("watch", address, CHANNELS[2].name, "--headless", "--seconds", "4", "--json")
        by_number = stb("fling", address, "3", "--json")
        by_url = stb("fling", address, demo_lineup(*_headend(app)).by_id(second.id).urls[0], "--json")
        unknown = stb(
            "fling", address, "rtsp://127.0.0.1:9/x"
        )  # other URLs play as streams: tests/companion/test_take.py
        return watched, by_number, by_url, unknown

    watched, by_number, by_url, unknown = run_client(app, laptop, timeout=90)
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout)["labels"][0] == f"{CHANNELS[2].number} {CHANNELS[2].name}"
    assert json.loads(by_number.stdout)["channel"]["number"] == 3
    assert json.loads(by_url.stdout)["channel"]["id"] == second.id
    assert app.box.current.id == second.id
    assert unknown.returncode == 1 and "not rtsp: URLs" in unknown.stderr and "Traceback" not in unknown.stderr


def _headend(app: App) -> tuple[str, int]:
    ref = app.box.lineup.headend
    return ref.host, ref.port


@pytest.mark.slow
def test_the_laptops_player_gets_a_short_lived_signed_url_never_the_token(paired_box):
    """libVLC sends no headers: what mirror, watch and take hand it is a signed URL, as box to box."""
    from stb.companion.client import BoxClient
    from stb.lan.identity import pinned_context

    app, address, token = paired_box
    host, port = address.rsplit(":", 1)

    def laptop(base):
        with BoxClient(host, int(port), token) as client:
            client.pin(app.net.tls_port, pinned_context(app.net.identity.cert_pem))
            url = client.stream_url("/stream/channel/" + app.box.lineup.by_number(2).id)
        with httpx.Client(timeout=10) as c, c.stream("GET", url) as response:
            first = next(response.iter_bytes(), b"")
            return url, response.status_code, first

    url, status, first = run_client(app, laptop)
    assert token not in url and "token=" not in url and "sig=" in url and "exp=" in url
    assert status == 200 and first[:1] == b"\x47"  # MPEG-TS sync byte: it plays
