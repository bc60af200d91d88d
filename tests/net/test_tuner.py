"""The box as an HDHomeRun tuner over HTTP (loopback, a real server and the relay): the root routes a real
HDHomeRun serves, in the shapes Jellyfin's HdHomerunHost.cs and Plex read, only while the switch is on;
the token-scoped routes always. The UDP/SSDP side is tests/net/test_tuner_lan.py."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
from lxml import etree

from stb.assembly import build_app
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.lineup.m3u import parse_m3u
from stb.net import hdhr
from stb.settings import SettingsStore
from stb.ui.app import App
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow

ROOT_ROUTES = ["/discover.json", "/lineup.json", "/lineup.xml", "/lineup.m3u", "/lineup_status.json", "/device.xml",
               "/auto/v1"]  # fmt: skip
UPNP = "{urn:schemas-upnp-org:device-1-0}"


def make_box(tmp_path, headend, network_tuner: bool) -> App:
    app = build_app(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), pretune=0, api_port=0,
                    network_tuner=network_tuner)  # fmt: skip
    app.start()
    return app


@pytest.fixture
def tuner_box(tmp_path, headend):
    app = make_box(tmp_path, headend, network_tuner=True)
    yield app
    app.close()


@pytest.fixture
def plain_box(tmp_path, headend):
    app = make_box(tmp_path, headend, network_tuner=False)
    yield app
    app.close()


def root_of(box: App) -> str:
    return f"http://127.0.0.1:{box.net.bound_port}"


def test_root_tuner_answers_as_jellyfin_and_plex_read_it(tuner_box):
    box = tuner_box

    def client(_base):
        with httpx.Client(base_url=root_of(box), timeout=30) as c:
            got = {p: c.get(p) for p in ROOT_ROUTES[:-1]}
            got["scan"] = c.post("/lineup.post?scan=start&source=Cable")
            got["abort"] = c.post("/lineup.post?scan=abort")
            return got

    got = run_client(box, client, timeout=60)
    for path, response in got.items():
        assert response.status_code == 200, (path, response.text)
    base = root_of(box)
    discover = got["/discover.json"].json()
    # Jellyfin's DiscoverResponse: SupportsTranscoding is "HDTC" in ModelNumber, which would append ?transcode=
    assert "HDTC" not in discover["ModelNumber"].upper()
    assert discover["BaseURL"] == base and discover["LineupURL"] == f"{base}/lineup.json"
    assert discover["TunerCount"] == box.net.ctx.relay.max_upstreams == box.box.settings.relay_channels
    assert discover["FriendlyName"] == box.box.settings.box_name
    device_id = int(discover["DeviceID"], 16)
    assert len(discover["DeviceID"]) == 8 and hdhr.valid_device_id(device_id)
    assert discover["DeviceID"] == hdhr.device_id_text(box.box.settings.box_id)  # stable: from the box's id

    tv = [c for c in box.box.lineup.sorted_channels() if not c.radio]
    lineup = got["/lineup.json"].json()
    assert [(e["GuideNumber"], e["GuideName"]) for e in lineup] == [(str(c.number), c.name) for c in tv]
    for entry, channel in zip(lineup, tv, strict=True):
        assert entry["URL"] == f"{base}/auto/v{channel.number}"  # tokenless, as a real tuner's
        assert entry["VideoCodec"] and entry["AudioCodec"] and entry["HD"] in (0, 1)
    assert got["/lineup_status.json"].json()["ScanInProgress"] == 0
    assert got["scan"].text == "" and got["abort"].text == ""

    xml = etree.fromstring(got["/lineup.xml"].content)
    assert [(p.findtext("GuideNumber"), p.findtext("URL")) for p in xml.iter("Program")] == [
        (e["GuideNumber"], e["URL"]) for e in lineup
    ]
    m3u = parse_m3u(got["/lineup.m3u"].text)
    assert [c.urls[0] for c in m3u.lineup.channels] == [e["URL"] for e in lineup]

    device = etree.fromstring(got["/device.xml"].content)
    assert device.findtext(f"{UPNP}device/{UPNP}deviceType") == "urn:schemas-upnp-org:device:MediaServer:1"
    assert device.findtext(f"{UPNP}device/{UPNP}friendlyName") == box.box.settings.box_name
    assert device.findtext(f"{UPNP}device/{UPNP}serialNumber") == discover["DeviceID"]
    assert device.findtext(f"{UPNP}URLBase") == base


def test_a_root_lineup_url_plays_with_jellyfins_transcode_query(tuner_box):
    box = tuner_box

    def client(_base):
        with httpx.Client(timeout=30) as c:
            first = c.get(f"{root_of(box)}/lineup.json").json()[0]
        url = first["URL"] + "?transcode=heavy"  # what Jellyfin appends for an HDTC model: tolerated anyway
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "json", url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return probe

    probe = run_client(box, client, timeout=90)
    assert probe.returncode == 0, probe.stderr
    kinds = sorted(s["codec_type"] for s in json.loads(probe.stdout)["streams"])
    assert "video" in kinds and "audio" in kinds


def test_the_switch_off_hides_the_root_tuner_and_the_token_routes_stay(plain_box, tmp_path):
    box = plain_box
    assert box.box.settings.network_tuner is False  # off by default

    def client(base):
        with httpx.Client(timeout=30) as c:
            token = pair(c, base, box)
            root = root_of(box)
            got = {p: c.get(root + p) for p in ROOT_ROUTES}
            got["POST /lineup.post"] = c.post(f"{root}/lineup.post?scan=start&source=Cable")
            scoped = {
                p: c.get(f"{root}/hdhr/{token}/{p}")
                for p in (
                    "discover.json",
                    "lineup.json",
                    "lineup.xml",
                    "lineup.m3u",
                    "lineup_status.json",
                    "device.xml",
                )
            }
            scoped["lineup.post"] = c.post(f"{root}/hdhr/{token}/lineup.post?scan=start&source=Cable")
            url = scoped["lineup.json"].json()[0]["URL"]
            with c.stream("GET", url + "?transcode=heavy") as r:  # …?token=T?transcode=heavy, as Jellyfin made it
                scoped["stream"] = r
                first = next(r.iter_raw(4096)) if r.status_code == 200 else b""
            return token, got, scoped, first

    token, got, scoped, first = run_client(box, client, timeout=60)
    for path, response in got.items():
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    for path, response in scoped.items():
        assert response.status_code == 200, path
    discover = scoped["discover.json"].json()
    assert discover["BaseURL"] == f"{root_of(box)}/hdhr/{token}" and "HDTC" not in discover["ModelNumber"]
    assert first[:1] == b"\x47"  # MPEG-TS
    # and the switch persists like the other settings
    box.box.settings.network_tuner = True
    box.box.settings_changed()
    box.box.flush()
    assert SettingsStore(tmp_path).load().network_tuner is True


def test_turning_the_switch_off_closes_the_root_routes_at_once(tuner_box):
    box = tuner_box
    state = {"phase": "on"}

    def between():
        if state["phase"] == "turn off" and box.box.settings.network_tuner:
            box.box.settings.network_tuner = False
            box.box.settings_changed()

    def client(_base):
        import time

        with httpx.Client(base_url=root_of(box), timeout=30) as c:
            before = c.get("/discover.json").status_code
            state["phase"] = "turn off"
            after = before
            for _ in range(500):  # the next frames publish the switch; a hang is caught by the time-out
                after = c.get("/discover.json").status_code
                if after != 200:
                    break
                time.sleep(0.02)
            return before, after

    assert run_client(box, client, timeout=60, between=between) == (200, 404)


def test_the_parental_lock_holds_on_the_tokenless_streams(tuner_box):
    box = tuner_box
    locked = box.box.lineup.sorted_channels()[1]
    box.box.parental.set_pin("2468")
    box.box.parental.toggle_channel_lock(locked.id)
    box.tv.publish_snapshot()

    def client(_base):
        with httpx.Client(base_url=root_of(box), timeout=30) as c:
            return c.get(f"/auto/v{locked.number}").status_code, c.get("/auto/v99999").status_code

    assert run_client(box, client, timeout=60) == (403, 404)
