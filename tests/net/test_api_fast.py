"""The HTTP API in-process: ``create_app`` with a fake TV (a ``BoxPort``) and a fake guide, driven by httpx
through ``ASGITransport``. No libVLC, no pygame, no head-end: milliseconds per test.

The real pieces stay real where they are cheap: pairing and tokens (``Auth`` in a temporary folder),
the command queue (served by a thread of its own, as the TV's frame loop serves it), the Gate, the
exception handlers. End-to-end tests (tests/net/test_api.py, tests/relay) cover the whole path and the
streams, which ASGITransport cannot carry.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stb.commands import CommandQueue
from stb.guide.query import Programme
from stb.lan.auth import Auth
from stb.lineup.model import Channel, Lineup
from stb.net.api import API, MAX_BODY, NetContext, NotFound, create_app
from stb.net.ports import BoxPort, GuideReader
from stb.tv.answers import BoxInfoDict, ChannelRefDict, Direction, HandedOffDict, LineupChannelDict, StateDict

pytestmark = pytest.mark.timeout(60)

HANG_S = 20.0  # only to turn a hang into a failure

LINEUP = Lineup(name="fast", channels=[
    Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1:9/{n}.ts"]) for n in (1, 2, 3)
])  # fmt: skip


class FakeBox:
    """A TV that records what the API asked of it and answers a state that says so."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.threads: set[str] = set()
        self.channel = "c1"
        self.volume = 50
        self.standby = False
        self.fail_with: Exception | None = None

    def _called(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        self.threads.add(threading.current_thread().name)
        if self.fail_with is not None:
            raise self.fail_with

    def api_box_info(self) -> BoxInfoDict:
        return {"id": "fake1", "name": "Fake box", "model": "stb", "version": "0", "api": API,
                "capabilities": ["zap"], "pairing_required": True}  # fmt: skip

    def api_lineup(self) -> list[LineupChannelDict]:
        self._called("lineup")
        return [{"id": c.id, "number": c.number, "name": c.name, "groups": c.groups, "radio": c.radio,
                 "has_logo": bool(c.logo)} for c in LINEUP.channels]  # fmt: skip

    def api_state(self) -> StateDict:
        channel = LINEUP.by_id(self.channel)
        ref: ChannelRefDict | None = (
            {"id": channel.id, "number": channel.number, "name": channel.name} if channel else None
        )
        return {"channel": ref, "stream": None, "recording": None, "behind_s": None, "playback": "playing",
                "volume": self.volume, "muted": False, "locked": False, "standby": self.standby}  # fmt: skip

    def api_zap(self, channel_id: str | None, number: int | None, direction: Direction | None) -> StateDict:
        self._called("zap", channel_id, number, direction)
        if channel_id is not None:
            if LINEUP.by_id(channel_id) is None:
                raise NotFound(f"no channel with id {channel_id!r}")
            self.channel = channel_id
        elif number is not None:
            found = LINEUP.by_number(number)
            if found is None:
                raise NotFound(f"no channel number {number}")
            self.channel = found.id
        else:
            self.channel = {"up": "c2", "down": "c3", "last": "c1"}[direction or "up"]
        return self.api_state()

    def api_play(self, url: str, title: str | None = None) -> StateDict:
        self._called("play", url, title)
        return self.api_state()

    def api_handoff(self, channel_id: str | None, taker: str | None, recording_id: str | None = None) -> HandedOffDict:
        self._called("handoff", channel_id, taker)
        self.standby = True
        return {"standby": True, "reason": "the TV went to standby", "state": self.api_state()}

    def api_key(self, action: str) -> StateDict:
        self._called("key", action)
        return self.api_state()

    def api_play_archive(self, channel_id: str, start: int) -> StateDict:
        self._called("archive", channel_id, start)
        return self.api_state()

    def api_standby(self, on: bool | None) -> StateDict:
        self._called("standby", on)
        self.standby = not self.standby if on is None else on
        return self.api_state()

    def api_volume(self, volume: int | None, delta: int | None, muted: bool | None) -> StateDict:
        self._called("volume", volume, delta, muted)
        self.volume = volume if volume is not None else self.volume + (delta or 0)
        return self.api_state()


def programme(pid: int, channel: str, start: int, title: str) -> Programme:
    return Programme(pid, channel, start, start + 1800, title, None, None, ("News",), None, None, None, None,
                     None, None, False, False, "en")  # fmt: skip


class FakeGuide:
    """A guide of two programmes on c1; ``search`` can be held until the test lets it go."""

    def __init__(self) -> None:
        self.threads: set[str] = set()
        self.hold: threading.Event | None = None  # set: search waits for it
        self.searching = threading.Event()

    def _asked(self) -> None:
        self.threads.add(threading.current_thread().name)

    def now_next(
        self, at: float | None = None, channel_ids: list[str] | None = None
    ) -> dict[str, tuple[Programme | None, Programme | None]]:
        self._asked()
        pairs = {"c1": (programme(1, "c1", 1000, "Morning news"), programme(2, "c1", 2800, "Weather"))}
        return {cid: pair for cid, pair in pairs.items() if channel_ids is None or cid in channel_ids}

    def window(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]:
        self._asked()
        return {cid: [programme(1, "c1", 1000, "Morning news")] if cid == "c1" else [] for cid in channel_ids}

    def scheduled(self, channel_ids: list[str], t0: float, t1: float) -> set[str]:
        self._asked()
        return {cid for cid, rows in self.window(channel_ids, t0, t1).items() if rows}

    def search(self, text: str, limit: int = 50, after: float | None = None) -> list[Programme]:
        self._asked()
        self.searching.set()
        if self.hold is not None:
            assert self.hold.wait(HANG_S), "the test never let the search go"
        found = [programme(1, "c1", 1000, "Morning news"), programme(2, "c1", 2800, "Weather")]
        return [p for p in found if text.lower() in p.title.lower()][:limit]


@dataclass
class Api:
    ctx: NetContext
    box: FakeBox
    guide: FakeGuide
    open_lan: list[bool]

    def run(self, test: Callable[[httpx.AsyncClient], Awaitable[None]], host: str = "127.0.0.1") -> None:
        """``test(client)`` against the app in-process, on an event loop of its own."""

        async def main() -> None:
            # A bug's 500 answer, as uvicorn sends it; the exception itself goes to the log (not re-raised here).
            transport = httpx.ASGITransport(app=create_app(self.ctx), raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}{API}") as client:
                await asyncio.wait_for(test(client), HANG_S)

        asyncio.run(main())


def serve_commands(commands: CommandQueue, stop: threading.Event) -> None:
    """What the TV's frame loop does with the command queue, on a thread of its own."""
    while not stop.wait(0.002):
        commands.run_pending()


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:
    box, guide, open_lan = FakeBox(), FakeGuide(), [False]
    port: BoxPort = box  # checked by mypy: the fake is a BoxPort
    reader: GuideReader = guide
    ctx = NetContext(box_info=box.api_box_info, commands=CommandQueue(), auth=Auth(directory=tmp_path), box=port,
                     guide=lambda: reader, open_on_lan=lambda: open_lan[0], lineup=lambda: LINEUP)  # fmt: skip
    stop = threading.Event()
    ui = threading.Thread(target=serve_commands, args=(ctx.commands, stop), name="fake-ui")
    ui.start()
    try:
        yield Api(ctx, box, guide, open_lan)
    finally:
        if guide.hold is not None:
            guide.hold.set()
        stop.set()
        ui.join(HANG_S)
        ctx.guide_thread.close()


async def pair(client: httpx.AsyncClient, ctx: NetContext) -> dict[str, str]:
    """Pair as a phone would, reading the code off the (fake) TV; the headers to send afterwards."""
    started = await client.post("/pairing", json={"name": "Phone"})
    assert started.status_code == 202, started.text
    shown = ctx.auth.code_to_show()
    assert shown is not None
    done = await client.post(f"/pairing/{started.json()['pairing_id']}", json={"code": shown.code})
    assert done.status_code == 200, done.text
    return {"Authorization": f"Bearer {done.json()['token']}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_box_info_is_public_the_rest_needs_a_paired_token(api):
    async def test(client: httpx.AsyncClient) -> None:
        info = await client.get("/box")
        assert info.status_code == 200 and info.json()["id"] == "fake1"
        for path in ("/state", "/lineup", "/devices", "/guide/now"):
            assert_problem(await client.get(path), 401)
            assert_problem(await client.get(path, headers={"Authorization": "Bearer not-a-token"}), 401)
        headers = await pair(client, api.ctx)
        state = await client.get("/state", headers=headers)
        assert state.status_code == 200 and state.json()["channel"]["id"] == "c1"
        token = headers["Authorization"].removeprefix("Bearer ")
        assert (await client.get("/state", params={"token": token})).status_code == 200
        devices = (await client.get("/devices", headers=headers)).json()
        assert [d["name"] for d in devices] == ["Phone"]

    api.run(test)


def test_an_open_lan_needs_no_token(api):
    api.open_lan[0] = True

    async def test(client: httpx.AsyncClient) -> None:
        assert (await client.get("/state")).status_code == 200

    api.run(test)


def test_a_revoked_device_is_refused(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        device_id = (await client.get("/devices", headers=headers)).json()[0]["id"]
        assert (await client.delete(f"/devices/{device_id}", headers=headers)).status_code == 204
        assert_problem(await client.get("/state", headers=headers), 401)

    api.run(test)


def test_actions_call_the_port_on_the_tv_thread_and_answer_its_state(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        assert (await post("/actions/zap", {"id": "c3"}))["channel"]["id"] == "c3"
        assert (await post("/actions/zap", {"number": 2}))["channel"]["id"] == "c2"
        assert (await post("/actions/zap", {"direction": "last"}))["channel"]["id"] == "c1"
        assert (await post("/actions/play", {"url": "http://127.0.0.1:9/x.ts", "title": "X"}))["channel"]["id"] == "c1"
        assert (await post("/actions/key", {"action": "guide"}))["playback"] == "playing"
        assert (await post("/actions/volume", {"volume": 30}))["volume"] == 30
        assert (await post("/actions/volume", {"delta": -5}))["volume"] == 25
        assert (await post("/actions/standby", {"on": True}))["standby"] is True
        assert (await post("/actions/standby", {}))["standby"] is False
        handed = await post("/actions/handoff", {"channel": "c1"})
        assert handed["standby"] is True and handed["state"]["standby"] is True
        assert (await client.get("/lineup", headers=headers)).json()[2]["id"] == "c3"

    api.run(test)
    assert api.box.calls == [
        ("zap", ("c3", None, None)), ("zap", (None, 2, None)), ("zap", (None, None, "last")),
        ("play", ("http://127.0.0.1:9/x.ts", "X")), ("key", ("guide",)), ("volume", (30, None, None)),
        ("volume", (None, -5, None)), ("standby", (True,)), ("standby", (None,)), ("handoff", ("c1", "Phone")),
        ("lineup", ()),
    ]  # fmt: skip
    assert api.box.threads == {"fake-ui"}  # never on the event loop's thread


def test_play_from_the_archive_is_an_action_with_a_checked_body(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        ok = await client.post("/actions/archive", json={"channel": "c2", "start": 1_800_000_000}, headers=headers)
        assert ok.status_code == 200, ok.text
        for wrong in ({"channel": "c2"}, {"channel": "c2", "start": -1}, {"channel": "c2", "start": "soon"},
                      {"channel": "", "start": 1}, {"channel": "c2", "start": 1.5}):  # fmt: skip
            assert_problem(await client.post("/actions/archive", json=wrong, headers=headers), 422)

    api.run(test)
    assert api.box.calls == [("archive", ("c2", 1_800_000_000))]


def test_not_found_from_the_port_is_a_404_problem_and_a_bug_a_500(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        body = assert_problem(await client.post("/actions/zap", json={"id": "nope"}, headers=headers), 404)
        assert body["detail"] == "no channel with id 'nope'"
        assert_problem(await client.post("/actions/zap", json={"number": 99}, headers=headers), 404)
        api.box.fail_with = KeyError("a bug")  # any other LookupError is the box's fault, not the client's
        assert_problem(await client.post("/actions/key", json={"action": "guide"}, headers=headers), 500)

    api.run(test)


def test_invalid_bodies_are_422_problems_before_the_port_is_called(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        wrong = [
            ("/actions/zap", {"id": "c1", "number": 1}),
            ("/actions/zap", {}),
            ("/actions/key", {"action": "quit"}),
            ("/actions/volume", {"volume": 101}),
            ("/actions/volume", {"muted": 0}),
            ("/actions/play", {"url": "file:///etc/passwd"}),
        ]
        for path, body in wrong:
            assert_problem(await client.post(path, json=body, headers=headers), 422)

    api.run(test)
    assert api.box.calls == []


def test_cross_site_requests_are_refused_by_the_box_itself(api):
    """CSRF must not rest on a framework default: a body that is not JSON gets 415, a foreign Origin 403."""

    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        body = b'{"volume": 80}'
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
            sent = headers | ({"Content-Type": kind} if kind else {})
            assert_problem(await client.post("/actions/volume", content=body, headers=sent), 415)
        json_headers = headers | {"Content-Type": "application/json"}
        for origin in ("http://evil.example", "null", "http://127.0.0.1:1"):
            sent = json_headers | {"Origin": origin}
            assert_problem(await client.post("/actions/volume", content=body, headers=sent), 403)
        page = json_headers | {"Origin": str(client.base_url.copy_with(path="/")).rstrip("/")}
        assert (await client.post("/actions/volume", content=body, headers=page)).status_code == 200

    api.run(test)
    assert [c[0] for c in api.box.calls] == ["volume"]


def test_guide_now_window_and_search_ask_the_guide_off_the_event_loop(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        now = (await client.get("/guide/now", headers=headers)).json()
        assert now["c1"]["now"]["title"] == "Morning news" and now["c1"]["next"]["title"] == "Weather"
        assert (await client.get("/guide/now", params={"channel": "c2"}, headers=headers)).json() == {}
        window = await client.get("/guide/window", params={"channel": ["c1", "c2"], "start": 0}, headers=headers)
        assert window.json()["c1"][0]["categories"] == ["News"] and window.json()["c2"] == []
        found = (await client.get("/guide/search", params={"q": "weather"}, headers=headers)).json()
        assert [p["title"] for p in found] == ["Weather"]

    api.run(test)
    assert api.guide.threads and all(name.startswith("stb-guide") for name in api.guide.threads)


def test_no_guide_answers_empty(api):
    api.ctx.guide_thread.open_guide = lambda: None

    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        assert (await client.get("/guide/now", headers=headers)).json() == {}
        assert (await client.get("/guide/search", params={"q": "x"}, headers=headers)).json() == []

    api.run(test)


def test_a_search_that_hangs_does_not_hold_up_other_requests(api):
    """The search blocks inside the guide until the test lets it go; meanwhile the same server answers
    other requests, one of them through the TV's command queue. On the event loop it would have
    answered nothing until the search returned."""
    api.guide.hold = threading.Event()

    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        search = asyncio.create_task(client.get("/guide/search", params={"q": "news"}, headers=headers))
        assert await asyncio.to_thread(api.guide.searching.wait, HANG_S), "the search never reached the guide"
        assert (await client.get("/box")).status_code == 200
        assert (await client.get("/state", headers=headers)).status_code == 200
        assert not search.done()  # still held: the answers above did not wait for it
        api.guide.hold.set()
        found = await search
        assert found.status_code == 200 and [p["title"] for p in found.json()] == ["Morning news"]

    api.run(test)


def test_the_xmltv_export_reads_the_guide_on_its_thread(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        xml = await client.get("http://127.0.0.1/xmltv.xml", headers=headers)
        assert xml.status_code == 200 and xml.headers["content-type"] == "application/xml"
        # only the channel with programmes, under a dotted id derived from its own (it has no guide id)
        assert xml.text.count("<channel ") == 1 and '<channel id="c1.stb">' in xml.text
        assert xml.text.count("<programme ") == 1 and 'channel="c1.stb"' in xml.text
        assert '<title lang="en">Morning news</title>' in xml.text

    api.run(test)
    assert api.guide.threads and all(name.startswith("stb-guide") for name in api.guide.threads)


def test_someone_elses_host_name_is_refused(api):
    async def test(client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/box"), 421)

    api.run(test, host="attacker.example")
    for host in ("box.local", "localhost", "[::1]", "192.168.1.20:8080"):
        api.run(lambda client: _ok(client, "/box"), host=host)


async def _ok(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200, (client.base_url, response.text)


def test_large_bodies_are_refused_before_they_are_read(api):
    async def test(client: httpx.AsyncClient) -> None:
        headers = await pair(client, api.ctx)
        big = b'{"name": "' + b"x" * MAX_BODY + b'"}'
        assert_problem(await client.post("/pairing", content=big, headers={"Content-Type": "application/json"}), 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(MAX_BODY // 1024 + 2):
                yield b" " * 1024

        chunked = await client.post("/actions/volume", content=chunks(),
                                    headers=headers | {"Content-Type": "application/json"})  # fmt: skip
        assert_problem(chunked, 413)
        assert "chunked" in chunked.request.headers.get("transfer-encoding", "")

    api.run(test)
    assert api.box.calls == []


def test_a_method_a_path_lacks_gets_405_with_every_method_it_has(api):
    """RFC 9110: a 405 names the methods the resource has. GET and POST /timers are two routes; the stream
    routes answer HEAD for Kodi's player; the routes sit in routers included into the app."""

    async def test(client: httpx.AsyncClient) -> None:
        for path, allowed in (("/timers", "GET, POST"), ("/state", "GET"),
                              ("http://127.0.0.1/stream/channel/c1", "GET, HEAD")):  # fmt: skip
            answer = await client.put(path)
            assert_problem(answer, 405)
            assert answer.headers["allow"] == allowed, path

    api.run(test)
