"""The whole box on a pretend home LAN: `stb run` on one namespace host, a laptop on another.

The laptop finds the box by zeroconf, controls it by name with a token the household paired
before (seeded into both sides' state, since the pairing code only exists on the TV's screen; the
pairing itself is tested end to end over loopback in test_api.py), and sees the announced channel
follow the zap.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from stb.lan.auth import token_hash
from tests.lan.pins import pinned_entry
from tests.netns import netns_lan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

LINEUP = {
    "name": "lan test",
    "channels": [{"number": n, "id": f"c{n}", "name": f"Channel {n}", "urls": [f"http://127.0.0.1:9/{n}.ts"]}
                 for n in (1, 2, 3)],
}  # fmt: skip
TOKEN = "test-token-" + "x" * 32


def laptop_stb(laptop, env: dict, *argv: str, timeout: float = 30):
    return laptop.run([sys.executable, "-m", "stb", *argv], capture_output=True, text=True, timeout=timeout, env=env)


def discover_until(laptop, env: dict, predicate, seconds: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + seconds
    boxes: list[dict] = []
    while time.monotonic() < deadline:
        done = laptop_stb(laptop, env, "discover", "--interface", "eth0", "--timeout", "1.5", "--json")
        assert done.returncode == 0, done.stderr
        boxes = json.loads(done.stdout)
        if predicate(boxes):
            return boxes
    return boxes


@pytest.mark.timeout(180)
def test_a_laptop_finds_the_box_controls_it_by_name_and_sees_the_channel_follow(tmp_path):
    box_state, laptop_config = tmp_path / "box", tmp_path / "laptop"
    box_state.mkdir()
    laptop_config.mkdir()
    (tmp_path / "channels.json").write_text(json.dumps(LINEUP))
    (box_state / "settings.json").write_text(json.dumps({"box_id": "00aa11bb22cc33dd", "box_name": "Den"}))
    (box_state / "paired.json").write_text(json.dumps({"devices": [
        {"id": "d1", "name": "laptop", "token_sha256": token_hash(TOKEN), "paired_at": 1.0}]}))  # fmt: skip
    pinned = {"00aa11bb22cc33dd": pinned_entry(box_state, "00aa11bb22cc33dd", TOKEN, "Den")}
    (laptop_config / "companion-tokens.json").write_text(json.dumps(pinned))
    base_env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    lineup = str(tmp_path / "channels.json")
    run = [sys.executable, "-m", "stb", "run", "--headless", "--no-headend", "--lineup", lineup,
           "--listen", "0.0.0.0", "--interface", "eth0", "--port", "8600", "--pretune", "0",
           "--run-for", "60"]  # fmt: skip
    with netns_lan(2) as (box_host, laptop), open(tmp_path / "box.err", "w") as box_log:
        box = box_host.popen(run, env={**base_env, "STB_STATE_DIR": str(box_state)}, stdout=box_log, stderr=box_log)
        env = {**base_env, "STB_CONFIG_DIR": str(laptop_config), "STB_STATE_DIR": str(tmp_path / "laptop-state")}
        try:
            boxes = discover_until(laptop, env, lambda found: any(b["box_id"] == "00aa11bb22cc33dd" for b in found),
                                   seconds=45)  # the box starts pygame, libVLC and the API first  # fmt: skip
            assert boxes, (tmp_path / "box.err").read_text()[-2000:]
            den = next(b for b in boxes if b["box_id"] == "00aa11bb22cc33dd")
            assert den["name"] == "Den" and den["port"] == 8600 and den["addresses"][0] == box_host.address
            # eth0's IPv6 link-local joins the announcement once duplicate address detection is over
            # (the address watcher re-announces): there or not depends on how fast the box started.
            assert all(a.startswith("fe80::") for a in den["addresses"][1:]), den["addresses"]
            assert den["channel"] == "Channel 1" and den["pairing_required"] is True

            zapped = laptop_stb(laptop, env, "remote", "Den", "zap", "2")  # by name: discovery, then the API
            assert zapped.returncode == 0, zapped.stderr + (tmp_path / "box.err").read_text()[-2000:]
            assert zapped.stdout.strip() == "Den: 2 Channel 2"
            boxes = discover_until(laptop, env, lambda found: any(b["channel"] == "Channel 2" for b in found), 30)
            assert [b["channel"] for b in boxes] == ["Channel 2"], boxes  # the announced channel followed the zap

            url = f"http://{box_host.address}:8600/api/v1/state"
            stranger = laptop.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True,
                                  text=True)  # fmt: skip
            assert stranger.stdout == "401"  # the LAN is not trusted: no token, no control
            page = laptop.run(["curl", "-s", f"http://{box_host.address}:8600/"], capture_output=True, text=True)
            assert "<title>TV remote</title>" in page.stdout  # the web page a phone opens (it holds no data)
        finally:
            box.terminate()
            box.wait(timeout=20)
        gone = discover_until(laptop, env, lambda found: not found, seconds=6)
        assert gone == []  # goodbyes sent on the way out
