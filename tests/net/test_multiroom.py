"""Multi-room, end to end between namespace hosts: a whole box with the demo head-end, and a laptop.

The box is ``stb run --listen 0.0.0.0 --interface eth0`` in its own namespace host, the demo head-end
beside it (as in test_other_screens.py); the laptop, on another host of the same LAN, holds a token
the household paired before (seeded on both sides as in test_lan.py) and uses the box's address,
never its name. From the laptop:

1. ffmpeg, a stock player, reads ``/stream/live`` through a signed URL in one connection while the
   laptop zaps the box five times through its API; the channel marker burnt into the decoded
   pictures follows every zap in order;
2. ``stb mirror`` (libVLC) follows the same zaps in its own single connection;
3. without a token, ``/stream/live``, ``/hls/live/index.m3u8`` and ``/stream/channel/<id>`` are 401;
4. ``stb fling`` puts channel 5 on the TV and ``stb take`` moves it to the laptop: the TV goes to
   standby (``standby_when_taken`` is on by default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS, demo_lineup
from stb.headend.media import WIDTH
from stb.lan.auth import token_hash
from tests.lan.pins import pinned_entry
from tests.net.mdns_hosts import Actor
from tests.net.test_other_screens import peek_until, wait_for_headend
from tests.netns import netns_lan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

BOX_ID, SECOND_ID = "0123456789abcdef", "fedcba9876543210"
TOKEN, SECOND_TOKEN = "multiroom-token-" + "y" * 32, "bedroom-box-token-" + "z" * 32
ZAPS = [2, 3, 1, 4, 2]
ZAP_EVERY_S = 3.0
STRIP = marker.cell_size(WIDTH)  # ffmpeg crops each picture to its top row of marker cells: little to pipe


class Laptop:
    """The laptop host: curl for the API, the `stb` companion commands, a stock player."""

    def __init__(self, host, box_address: str, env: dict, box_log) -> None:
        self.host, self.env, self.box_log = host, env, box_log
        self.address = f"{box_address}:8600"
        self.root = f"http://{self.address}"

    def curl(self, method: str, path: str, body: dict | None = None, token: str | None = TOKEN) -> tuple[int, str]:
        argv = ["curl", "-s", "-m", "10", "-X", method, "-w", "\n%{http_code}", self.root + path]
        if token is not None:
            argv += ["-H", f"Authorization: Bearer {token}"]
        if body is not None:
            argv += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
        done = self.host.run(argv, capture_output=True, text=True, timeout=20)
        text, _, code = done.stdout.rpartition("\n")
        return int(code or 0), text

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        status, text = self.curl(method, "/api/v1" + path, body)
        assert status == 200, f"{method} {path}: {status} {text[:300]}\n{self.box_log()}"
        return json.loads(text)

    def stb(self, *argv: str, timeout: float = 40) -> subprocess.CompletedProcess:
        return self.host.run([sys.executable, "-m", "stb", *argv], capture_output=True, text=True, timeout=timeout,
                             env=self.env)  # fmt: skip

    def until(self, predicate, what: str, timeout: float) -> dict:
        deadline, last = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            status, text = self.curl("GET", "/api/v1/state")
            if status == 200 and predicate(last := json.loads(text)):
                return last
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; last state {last}\n{self.box_log()}")


class StockPlayer:
    """ffmpeg decoding a URL to raw pictures (just the marker strip); the markers in order, as they change."""

    def __init__(self, host, url: str) -> None:
        self.process = host.popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-map", "0:v", "-vf", f"crop={WIDTH}:{STRIP}:0:0",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.shown: list[int] = []
        self.pictures = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        size = WIDTH * STRIP * 3
        assert self.process.stdout is not None
        while len(picture := self.process.stdout.read(size)) == size:
            self.pictures += 1
            number = marker.decode(picture, WIDTH, STRIP, WIDTH * 3, 3)
            if number is not None and (not self.shown or self.shown[-1] != number):
                self.shown.append(number)

    def wait_for(self, number: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (not self.shown or self.shown[-1] != number):
            if self.process.poll() is not None:
                break
            time.sleep(0.1)

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._reader.join(5)
        return self.process.stderr.read().decode(errors="replace")[-500:] if self.process.stderr else ""


@pytest.mark.timeout(180)
def test_a_laptop_follows_five_zaps_in_one_connection_is_refused_without_a_token_and_takes_the_tv(tmp_path):
    box_state, laptop_config = tmp_path / "box", tmp_path / "laptop"
    box_state.mkdir()
    laptop_config.mkdir()
    (box_state / "settings.json").write_text(json.dumps({"box_id": BOX_ID, "box_name": "Den"}))
    (box_state / "paired.json").write_text(json.dumps({"devices": [
        {"id": "d1", "name": "laptop", "token_sha256": token_hash(TOKEN), "paired_at": 1.0},
        {"id": "d2", "name": "Bedroom", "token_sha256": token_hash(SECOND_TOKEN), "paired_at": 1.0}]}))  # fmt: skip
    second_state = tmp_path / "bedroom"  # the second box, paired with the first before (as it stores its tokens)
    second_state.mkdir()
    (second_state / "settings.json").write_text(json.dumps({"box_id": SECOND_ID, "box_name": "Bedroom"}))
    (second_state / "box-tokens.json").write_text(
        json.dumps({BOX_ID: pinned_entry(box_state, BOX_ID, SECOND_TOKEN, "Den")})
    )
    (laptop_config / "companion-tokens.json").write_text(
        json.dumps({BOX_ID: pinned_entry(box_state, BOX_ID, TOKEN, "Den")})
    )
    base_env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1"}
    box_log_path = tmp_path / "box.log"

    def box_log() -> str:
        lines = [line for line in box_log_path.read_text(errors="replace").splitlines() if "httpcore" not in line]
        return "box log tail:\n" + "\n".join(lines[-40:])

    with (
        netns_lan(3) as (box_host, laptop_host, second_host),
        open(tmp_path / "headend.log", "w") as headend_log,
        open(box_log_path, "w") as box_out,
    ):
        box_host.popen([sys.executable, "-m", "stb", "headend", "--host", box_host.address, "--port", "8554"],
                       stdout=headend_log, stderr=headend_log)  # fmt: skip
        wait_for_headend(box_host)
        lineup = tmp_path / "channels.json"
        lineup.write_text(demo_lineup(box_host.address, 8554).model_dump_json(exclude_none=True))
        run = [sys.executable, "-m", "stb", "-v", "run", "--headless", "--no-headend", "--lineup", str(lineup),
               "--listen", "0.0.0.0", "--interface", "eth0", "--port", "8600", "--pretune", "0",
               "--run-for", "150"]  # fmt: skip
        box = box_host.popen(run, env={**base_env, "STB_STATE_DIR": str(box_state)}, stdout=box_out, stderr=box_out)
        laptop = Laptop(laptop_host, box_host.address, {**base_env, "STB_CONFIG_DIR": str(laptop_config),
                        "STB_STATE_DIR": str(tmp_path / "laptop-state")}, box_log)  # fmt: skip
        players: list[StockPlayer] = []
        mirror = second = None
        try:
            (second_state / "channels.json").write_text(lineup.read_text())
            second = Actor(second_host, "tv", str(second_state), str(second_state / "channels.json"))
            second.expect(60, "ready")  # a whole box too (tests/net/mdns_hosts.py tv), playing its own channel 1
            laptop.until(lambda s: s["channel"] and s["channel"]["number"] == 1 and s["playback"] == "playing",
                         "the box playing channel 1", 60)  # fmt: skip
            # the second box finds the first and mirrors it (Other screens, Den, Watch here: paired already)
            peek_until(second, lambda p: [b[1] for b in p["boxes"]] == [BOX_ID], "the second box finding the box", 30)
            second.send("press o return return")
            peek_until(second, lambda p: p["mirroring"] == "Den" and p["marker"] == 1, "the second box mirroring", 30)

            # 3. a stranger on the LAN gets nothing
            for path in ("/stream/live", "/hls/live/index.m3u8", f"/stream/channel/{CHANNELS[0].id}"):
                status, text = laptop.curl("GET", path, token=None)
                assert status == 401, f"{path} without a token: {status} {text[:200]}"

            # 1. ffmpeg on a signed URL of /stream/live (a stock player sends no header)
            signed = laptop.api("POST", "/stream-urls", {"path": "/stream/live"})["url"]
            players.append(ffmpeg := StockPlayer(laptop_host, laptop.root + signed))
            ffmpeg.wait_for(1, 20)
            assert ffmpeg.shown == [1], f"ffmpeg showed {ffmpeg.shown}: {ffmpeg.stop()}\n{box_log()}"
            relay = laptop.api("GET", "/relay")
            assert relay["live_connections"] == relay["live_clients"] == 2, relay  # the second box's and ffmpeg's

            # 2. stb mirror (libVLC) on the laptop, alongside, over the same zaps
            mirror = laptop_host.popen([sys.executable, "-m", "stb", "mirror", laptop.address, "--headless",
                                        "--seconds", str(4 + ZAP_EVERY_S * len(ZAPS) + 6), "--json"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=laptop.env)  # fmt: skip
            deadline = time.monotonic() + 20
            while laptop.api("GET", "/relay")["live_clients"] < 3 and time.monotonic() < deadline:
                time.sleep(0.3)
            time.sleep(2)  # its first picture, and its event stream open
            for number in ZAPS:
                zapped = time.monotonic()
                laptop.api("POST", "/actions/zap", {"number": number})
                ffmpeg.wait_for(number, ZAP_EVERY_S + 5)
                peek_until(second, lambda p, n=number: p["marker"] == n, f"the second box showing {number}", 10)
                time.sleep(max(0.0, zapped + ZAP_EVERY_S - time.monotonic()))
            relay = laptop.api("GET", "/relay")
            errors = ffmpeg.stop()
            assert ffmpeg.shown == [1, *ZAPS], f"ffmpeg showed {ffmpeg.shown}; it said {errors}\n{box_log()}"
            out, err = mirror.communicate(timeout=40)
            assert mirror.returncode == 0, f"stb mirror: {err[-1000:]}\n{box_log()}"
            report = json.loads(out)
            names = [f"{c.number} {c.name}" for c in CHANNELS]
            assert report["labels"][-len(ZAPS) :] == [names[n - 1] for n in ZAPS], report
            assert report["marker"] == ZAPS[-1] and report["reconnects"] == 0, report
            assert report["pictures"] > 200, report  # ~20 s at 25 fps, minus the start
            # each kept the one connection it opened: the second box's, ffmpeg's, then the mirror's; none since
            assert relay["live_connections"] == relay["live_clients"] == 3, relay

            # 4. fling channel 5 to the TV, then take it: the laptop shows it, the TV goes to standby
            flung = laptop.stb("fling", laptop.address, "5", "--json")
            assert flung.returncode == 0, flung.stderr
            laptop.until(
                lambda s: s["channel"]["number"] == 5 and s["playback"] == "playing", "channel 5 on the TV", 20
            )
            took = laptop.stb("take", laptop.address, "--headless", "--seconds", "6", "--json")
            assert took.returncode == 0, f"stb take: {took.stderr[-1000:]}\n{box_log()}"
            taken = json.loads(took.stdout)
            assert taken["channel"]["number"] == 5 and taken["marker"] == 5, taken
            assert taken["handoff"]["standby"] is True, taken
            state = laptop.api("GET", "/state")
            assert state["standby"] is True and state["playback"] == "idle", state
        except BaseException:
            print(box_log())
            raise
        finally:
            for player in players:
                player.stop()
            if second is not None:
                second.send("stop")
                second.finish(timeout=30)
            if mirror is not None and mirror.poll() is None:
                mirror.kill()
                mirror.communicate(timeout=10)
            box.terminate()
            box.wait(timeout=20)
