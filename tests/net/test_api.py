"""The HTTP API of a running box, over real HTTP on loopback (httpx), with the UI loop serving it.

The box runs its frame loop on this thread (pygame and libVLC stay here); each test's client runs
in a thread of its own, as a phone or laptop would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.lineup.model import Channel, Lineup
from stb.ui.app import App

LINEUP = Lineup(name="t", channels=[
    Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1:9/{n}.ts?user=secret"])
    for n in (1, 2, 3)
])  # fmt: skip


@pytest.fixture
def box(tmp_path):
    app = build_app(
        LINEUP, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0, api_port=0
    )
    app.start()
    yield app
    app.close()


def run_client(app: App, client: Callable[[str], object], timeout: float = 20.0,
               between: Callable[[], None] = lambda: None):  # fmt: skip
    """Run ``client(base_url)`` in a thread while the box's loop runs here; return what it returned.

    ``between`` runs on the box's thread after each of its frames (the web tests run calls there)."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = client(f"http://127.0.0.1:{app.net.bound_port}/api/v1")
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        app.step()
        between()
        time.sleep(0.01)
    assert not thread.is_alive(), "the client did not finish"
    if "error" in result:
        raise result["error"]
    return result["value"]


def pair(c: httpx.Client, base: str, app: App, name: str = "Test laptop") -> str:
    pairing = c.post(f"{base}/pairing", json={"name": name})
    assert pairing.status_code == 202
    code = app.auth.pending.code  # what the TV shows (read from the box, as a person would read the screen)
    done = c.post(f"{base}/pairing/{pairing.json()['pairing_id']}", json={"code": code})
    assert done.status_code == 200
    return done.json()["token"]


def test_box_info_is_public_and_everything_else_needs_a_token(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            info = c.get(f"{base}/box").json()
            refused = [c.get(f"{base}/{path}") for path in ("state", "lineup", "guide/now", "devices", "events")]
            refused.append(c.post(f"{base}/actions/zap", json={"number": 2}))
            bad_token = c.get(f"{base}/state", headers={"Authorization": "Bearer nope"})
            return info, refused, bad_token

    info, refused, bad_token = run_client(box, client)
    assert (
        info["name"] == f"Living Room {info['id'][-4:].upper()}"
        and len(info["id"]) == 16
        and info["pairing_required"] is True
    )
    for response in [*refused, bad_token]:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Not paired"
    assert box.box.current.number == 1  # nothing happened


def test_pairing_end_to_end_then_control_and_state(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            token = pair(c, base, box)
            auth = {"Authorization": f"Bearer {token}"}
            lineup = c.get(f"{base}/lineup", headers=auth).json()
            zapped = c.post(f"{base}/actions/zap", json={"number": 3}, headers=auth).json()
            last = c.post(f"{base}/actions/zap", json={"direction": "last"}, headers=auth).json()
            volume = c.post(f"{base}/actions/volume", json={"volume": 30, "muted": True}, headers=auth).json()
            key = c.post(f"{base}/actions/key", json={"action": "guide"}, headers=auth)
            state = c.get(f"{base}/state", params={"token": token}).json()  # the token in the URL works too
            unknown = c.post(f"{base}/actions/zap", json={"number": 77}, headers=auth)
            both = c.post(f"{base}/actions/zap", json={"number": 2, "id": "c2"}, headers=auth)
            quit_key = c.post(f"{base}/actions/key", json={"action": "quit"}, headers=auth)
            return lineup, zapped, last, volume, key, state, unknown, both, quit_key

    lineup, zapped, last, volume, key, state, unknown, both, quit_key = run_client(box, client)
    assert [c["number"] for c in lineup] == [1, 2, 3] and "secret" not in json.dumps(lineup)  # no stream URLs
    assert zapped["channel"]["number"] == 3 and last["channel"]["number"] == 1
    assert volume["volume"] == 30 and volume["muted"] is True and box.box.state.muted
    assert key.status_code == 200 and type(box.top).__name__ == "GridScreen"  # the guide opened on the TV
    assert state["channel"]["number"] == 1
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no channel number 77"
    assert both.status_code == 422 and box.running
    assert quit_key.status_code == 422  # not a key the API lists
    assert quit_key.json()["detail"] == "body.action: no remote key 'quit' (the document lists them)"
    assert [d.name for d in box.auth.devices()] == ["Test laptop"]


def test_a_revoked_token_is_refused(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            token = pair(c, base, box)
            auth = {"Authorization": f"Bearer {token}"}
            device_id = c.get(f"{base}/devices", headers=auth).json()[0]["id"]
            removed = c.delete(f"{base}/devices/{device_id}", headers=auth)
            return removed, c.get(f"{base}/state", headers=auth)

    removed, after = run_client(box, client)
    assert removed.status_code == 204 and after.status_code == 401


def test_guessing_the_code_locks_pairing_out(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            pairing_id = c.post(f"{base}/pairing", json={"name": "attacker"}).json()["pairing_id"]
            code = box.auth.pending.code
            wrong = f"{(int(code) + 1) % 10**6:06d}"
            answers = [c.post(f"{base}/pairing/{pairing_id}", json={"code": wrong}) for _ in range(5)]
            again = c.post(f"{base}/pairing", json={"name": "attacker"})
            return answers, again

    answers, again = run_client(box, client)
    assert [a.status_code for a in answers] == [403, 403, 403, 403, 429]
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 59


def test_the_event_stream_follows_a_zap_made_on_the_box(box):
    def client(base):
        with httpx.Client(timeout=10) as c:
            token = pair(c, base, box)
            events = []
            with c.stream("GET", f"{base}/events", headers={"Authorization": f"Bearer {token}"}) as stream:
                lines = stream.iter_lines()
                assert next(lines) == ": connected"
                box.commands.submit(box.box.zap_number, 2)  # as if the remote was pressed on the sofa
                for line in lines:
                    if line.startswith("event: "):
                        events.append(line[7:])
                    if line.startswith("data: ") and events[-1] == "channel":
                        return events, json.loads(line[6:])
        return events, None

    events, data = run_client(box, client)
    assert events[-1] == "channel" and data == {"id": "c2", "number": 2, "name": "Channel 2"}


def test_other_host_names_are_refused_against_dns_rebinding(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            return [c.get(f"{base}/box", headers={"Host": host}).status_code
                    for host in ("evil.example.com", "living-room.local", "localhost:8600", "[::1]:8600")]  # fmt: skip

    assert run_client(box, client) == [421, 200, 200, 200]


def test_the_openapi_document_describes_the_api(box):
    def client(base):
        with httpx.Client(timeout=5) as c:
            return c.get(f"{base}/openapi.json").json()

    doc = run_client(box, client)
    assert doc["info"]["title"] == "stb box API"
    assert {"/api/v1/box", "/api/v1/pairing", "/api/v1/actions/zap", "/api/v1/events"} <= set(doc["paths"])
    # a recording for other screens: TS with byte ranges (206, 416 documented), HLS, and its signed URLs
    ts = doc["paths"]["/stream/recording/{recording_id}"]["get"]
    assert {"200", "206", "403", "416"} <= set(ts["responses"]) and "range" in {p["name"] for p in ts["parameters"]}
    assert {"/hls/recording/{recording_id}/index.m3u8", "/hls/recording/{recording_id}/{seq}.ts",
            "/api/v1/recordings/{recording_id}/stream-urls"} <= set(doc["paths"])  # fmt: skip


def test_stopping_the_box_stops_the_server(tmp_path):
    app = build_app(
        LINEUP, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0, api_port=0
    )
    app.start()
    port = app.net.bound_port
    app.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/box", timeout=2)
    assert not app.net._thread.is_alive()


def test_a_taken_port_leaves_the_tv_running_and_says_why(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = build_app(LINEUP, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0,
                  api_port=port)  # fmt: skip
        try:
            app.start()
            assert app.net is None and app.screen.notice.startswith("Not reachable from the network:")
            app.step()
        finally:
            app.close()
