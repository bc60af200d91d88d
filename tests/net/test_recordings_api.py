"""Timers and recordings through a running box's API over real HTTP: the demo head-end read by the box's
relay, its guide imported into real SQLite, the events on the event stream, files checked by ffprobe."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import httpx
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.catalog import CHANNELS, demo_lineup
from stb.ts.packets import SYNC
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow


@pytest.fixture
def guided_box(tmp_path, headend):
    """A headless box on the demo line-up with the head-end's guide imported."""
    lineup = demo_lineup(*headend)
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0,
                    api_port=0)  # fmt: skip
    app.start()
    yield app
    app.close()


class Events:
    """The box's event stream read in a thread: (kind, data) as they come."""

    def __init__(self, base: str, token: str) -> None:
        self.seen: list[tuple[str, dict]] = []
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._response = self._client.send(
            self._client.build_request("GET", f"{base}/events", headers={"Authorization": f"Bearer {token}"}),
            stream=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = None
        try:
            for line in self._response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind:
                    self.seen.append((kind, json.loads(line[6:])))
        except httpx.HTTPError:
            pass

    def wait(self, kind: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seen, data in self.seen:
                if seen == kind:
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event; saw {[k for k, _ in self.seen]}")

    def close(self) -> None:
        self._response.close()
        self._client.close()


def wait_for(get, check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if check(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out; last {value}")


def test_record_now_writes_the_channel_as_received_with_its_events_and_ffprobe_reads_it(guided_box, tmp_path):
    channel = CHANNELS[1].id

    def client(base):
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, guided_box)
            auth = {"Authorization": f"Bearer {token}"}
            events = Events(base, token)
            try:
                made = c.post(f"{base}/timers", json={"what": "now", "channel": channel}, headers=auth)
                started = events.wait("recording_started")
                rec_id = made.json()["timer"]["recording"] or started["id"]
                got = wait_for(lambda: c.get(f"{base}/recordings/{rec_id}", headers=auth).json(),
                               lambda r: r["size"] >= 400_000)  # fmt: skip
                listed = c.get(f"{base}/timers", headers=auth).json()
                cancelled = c.delete(f"{base}/timers/{made.json()['timer']['id']}", headers=auth)
                stopped = events.wait("recording_stopped")
                library = c.get(f"{base}/recordings", headers=auth).json()
                position = c.put(f"{base}/recordings/{rec_id}/position", json={"position": 1.5}, headers=auth)
                part = tmp_path / "recordings" / rec_id / "part-1.ts"
                probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "json",
                                        str(part)], capture_output=True, text=True, timeout=60)  # fmt: skip
                decode = subprocess.run(["ffmpeg", "-v", "error", "-i", str(part), "-f", "null", "-"],
                                        capture_output=True, text=True, timeout=120)  # fmt: skip
                first = part.read_bytes()[:1]
                deleted = c.delete(f"{base}/recordings/{rec_id}", headers=auth)
                after = c.get(f"{base}/recordings/{rec_id}", headers=auth)
                return (made, started, got, listed, cancelled, stopped, library, position, probe, decode, first,
                        deleted, after, part)  # fmt: skip
            finally:
                events.close()

    made, started, got, listed, cancelled, stopped, library, position, probe, decode, first, deleted, after, part = (
        run_client(guided_box, client, timeout=120))  # fmt: skip
    assert made.status_code == 200 and made.json()["timer"]["kind"] == "now", made.text
    assert started["channel"] == channel and got["channel_name"] == CHANNELS[1].name
    assert got["state"] == "recording" and got["parts"][0]["file"] == "part-1.ts"
    assert [t["id"] for t in listed["timers"]] == [made.json()["timer"]["id"]] and listed["problems"] == []
    assert cancelled.status_code == 204 and stopped["id"] == got["id"]
    assert [r["id"] for r in library["recordings"]] == [got["id"]] and library["free_bytes"] > 0
    assert library["series"][0]["recordings"] == [got["id"]] and library["series"][0]["new"] == 1
    assert position.status_code == 200 and position.json()["position"] == 1.5 and not position.json()["new"]
    assert first == bytes([SYNC])
    assert {s["codec_type"] for s in json.loads(probe.stdout)["streams"]} >= {"video", "audio"}, probe.stderr
    assert decode.returncode == 0, decode.stderr
    assert deleted.status_code == 204 and after.status_code == 404 and not part.parent.exists()


def test_a_programme_and_a_series_from_the_guide_and_a_conflict(guided_box):
    channel = CHANNELS[2].id
    guided_box.box.settings.recording_channels = 1

    def client(base):
        with httpx.Client(timeout=20) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, guided_box)}"}
            nxt = c.get(f"{base}/guide/now", params={"channel": channel}, headers=auth).json()[channel]["next"]
            body = {"what": "programme", "channel": channel, "start": nxt["start"], "programme_id": nxt["id"]}
            made = c.post(f"{base}/timers", json=body, headers=auth)
            again = c.post(f"{base}/timers", json=body, headers=auth)
            other = CHANNELS[3].id
            theirs = c.get(f"{base}/guide/window", params={"channel": other, "start": nxt["start"], "hours": 0.01},
                           headers=auth).json()[other][0]  # fmt: skip
            clash = c.post(f"{base}/timers", json={"what": "programme", "channel": other, "start": theirs["start"]},
                           headers=auth)  # fmt: skip
            wrong = c.post(f"{base}/timers", json={"what": "programme", "channel": channel, "start": 17}, headers=auth)
            c.delete(f"{base}/timers/{made.json()['timer']['id']}", headers=auth)
            series = c.post(f"{base}/timers", json={"what": "series", "channel": channel, "start": nxt["start"]},
                            headers=auth)  # fmt: skip
            listed = c.get(f"{base}/timers", headers=auth).json()
            dropped = c.delete(f"{base}/timers/{series.json()['rule']['id']}", headers=auth)
            left = c.get(f"{base}/timers", headers=auth).json()
            return nxt, made, again, clash, wrong, series, listed, dropped, left

    nxt, made, again, clash, wrong, series, listed, dropped, left = run_client(guided_box, client, timeout=60)
    timer = made.json()["timer"]
    assert made.status_code == 200 and (timer["start"], timer["title"]) == (nxt["start"], nxt["title"])
    assert timer["begin"] == nxt["start"] - 120 and timer["end"] == nxt["stop"] + 300, "the settings' padding"
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert "already" in again.json()["detail"] and again.json()["timers"][0]["id"] == timer["id"]
    assert clash.status_code == 409 and [t["id"] for t in clash.json()["timers"]] == [timer["id"]], clash.text
    wanted = clash.json()["wanted"]  # what a phone needs to offer the choice: the timer asked for, and the limit
    assert clash.json()["max_channels"] == 1 and wanted["channel"] == CHANNELS[3].id, clash.text
    assert wanted["state"] == "scheduled" and wanted["id"] != timer["id"] and again.json()["max_channels"] is None
    assert wrong.status_code == 404 and wrong.json()["title"] == "Not found"
    assert series.status_code == 200 and series.json()["rule"]["title"] == nxt["title"]
    assert series.json()["timers"] and all(t["title"] == nxt["title"] for t in series.json()["timers"])
    assert [r["id"] for r in listed["rules"]] == [series.json()["rule"]["id"]]
    assert dropped.status_code == 204 and left == {"timers": [], "rules": [], "problems": []}


def test_hostile_ids_are_refused_and_touch_no_file(guided_box, tmp_path):
    canary = tmp_path / "canary.json"
    canary.write_text("{}")

    def client(base):
        with httpx.Client(timeout=20) as c:
            auth = {"Authorization": f"Bearer {pair(c, base, guided_box)}"}
            paths = ["recordings/..%2F..%2Fcanary.json", "recordings/%2e%2e", "recordings/" + "0" * 16,
                     "recordings/ABCDEF0123456789", "recordings/0123456789abcdef%00", "timers/..%2Fcanary",
                     "recordings/" + "a" * 5000]  # fmt: skip
            answers = [(m, p, c.request(m, f"{base}/{p}", headers=auth)) for p in paths for m in ("GET", "DELETE")]
            put = c.put(f"{base}/recordings/..%2Fcanary/position", json={"position": 1}, headers=auth)
            nobody = c.get(f"{base}/recordings")
            return answers, put, nobody

    answers, put, nobody = run_client(guided_box, client)
    for method, path, answer in answers:
        if path.startswith("timers") and method == "GET":
            assert answer.status_code in (404, 405), (method, path, answer.status_code)
            continue
        assert answer.status_code in (404, 422), (method, path, answer.status_code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert put.status_code in (404, 422) and nobody.status_code == 401
    assert canary.read_text() == "{}"


def test_a_guide_refresh_on_the_tv_moves_a_timer_with_its_programme(tmp_path):
    """The wiring in stb.assembly: the TV's refresher imports a new guide, the TV says so, the recorder follows."""
    from tests.pvr.rig import CH, xmltv

    source = tmp_path / "guide.xml"
    hour = (int(time.time()) // 3600 + 2) * 3600
    source.write_bytes(xmltv([(CH[0], hour, hour + 1800, "Quiz Night", "0.4.0/1")]))
    lineup = demo_lineup("127.0.0.1", 9).model_copy(update={"guide_sources": [str(source)]})
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    app = build_app(lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0,
                    api_port=0)  # fmt: skip
    app.start()
    try:

        def client(base):
            with httpx.Client(timeout=20) as c:
                auth = {"Authorization": f"Bearer {pair(c, base, app)}"}
                made = c.post(f"{base}/timers", json={"what": "programme", "channel": CH[0], "start": hour},
                              headers=auth)  # fmt: skip
                source.write_bytes(xmltv([(CH[0], hour + 900, hour + 2700, "Quiz Night", "0.4.0/1")]))
                app.refresher.refresh_now()
                moved = wait_for(lambda: c.get(f"{base}/timers", headers=auth).json()["timers"],
                                 lambda timers: timers and timers[0]["start"] != hour)  # fmt: skip
                return made, moved

        made, moved = run_client(app, client, timeout=60)
    finally:
        app.close()
    assert made.status_code == 200, made.text
    timer = made.json()["timer"]["id"]
    assert (moved[0]["id"], moved[0]["start"], moved[0]["stop"]) == (timer, hour + 900, hour + 2700)
