"""Fuzz the box's HTTP API from its own OpenAPI document (schemathesis), over real HTTP on loopback.

A real box (App: pygame on SDL's dummy driver, libVLC, the API on a free loopback port, a real
demo guide in SQLite) serves the requests; its frame loop runs on this thread while each request
goes out from a thread of its own, as from a phone. Every operation gets a bounded number of
generated requests, valid and invalid, twice: with a token paired for real, and as a stranger.
The checks: no 5xx, status codes, content types and bodies as the document declares them, and
problem JSON for every error.

Derandomized by default (a fixed seed, so CI does not fail on a fresh random draw; what hypothesis
generates can still shift a little with the answers it gets, e.g. pairing lock-outs that depend on
timing). ``STB_FUZZ_EXAMPLES=500`` draws fresh, deeper examples for a fuzzing session by hand.

Left out or steered on purpose:
- ``GET /events`` is an endless stream: checked apart (401 for strangers, the first line for a paired
  device), not fuzzed. So is ``GET /stream/live`` (tests/relay checks it); ``/stream/channel/{id}``
  is fuzzed: its channels' URLs point at a closed port, so a real id gets the documented 502 at once,
  which ``no_server_error_but_a_dead_upstream`` allows there (and only there) in place of "no 5xx".
  ``GET /hls/live/index.m3u8`` is left out too: it has no parameter to vary and the TV's channel here is
  dead, so every example would be the same documented 502, which the fuzz counts as a server error
  (tests/relay/test_hls*.py check the live rendition against the real head-end).
- ``quit`` is not in the document's list of keys, so the fuzz cannot switch the box off under itself.
- ``DELETE /devices/{id}`` never targets the fuzzer's own device; its first example revokes a victim
  paired for the purpose, so the 204 answer is checked too.
- ``POST /actions/play`` with a URL the box would play gets a closed loopback port instead: the TV plays
  what it is flung, and a generated host name or multicast group must not reach the real network.
- ``POST /pairing/{id}`` uses the real pending pairing's id in every other example, so wrong codes
  count and the lock-out (429, declared) is reached, not just "no such pairing".
- Headers that frame the request (Content-Length, Transfer-Encoding) are left to the HTTP client: a
  generated one (schemathesis adds extra headers, their names drawn by hypothesis, which also draws
  from the project's own string constants, so any code change shifts the draws) such as
  ``content-length: ?1`` gets uvicorn's h11 parser's 400 before the API sees the request.
- Schemathesis' lazy ``from_fixture`` does not run under pytest 9 (it sets ``node._nodeid``), so the
  document is built from ``create_app`` at import, and a test checks the box serves exactly that one.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from stb.assembly import build_app
from stb.commands import CommandQueue
from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.xmltv import demo_guide
from stb.lineup.load import load_lineup
from stb.net.api import API, NetContext, create_app
from stb.streams import fling_problem
from stb.ui.app import App

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("STB_FUZZ_EXAMPLES", "0")) or None
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES or 20,
    derandomize=EXAMPLES is None,
    deadline=None,  # a request's time is bounded by its own time-out below, not hypothesis' per-example clock
    suppress_health_check=list(HealthCheck),  # module fixture and slow-ish examples are intended
    database=None,  # fresh each run: no replay of examples from someone else's session
)
REQUEST_TIMEOUT_S = 10.0


def _import_schemathesis_now() -> None:
    """Import every schemathesis module up front, while the stack is shallow.

    Schemathesis imports many of its modules lazily, inside hypothesis' generation, and pytest
    rewrites a plugin's modules with ``ast.parse`` as they are imported. CPython 3.11's AST
    constructor keeps one recursion counter for all threads, so a parse in a test where the box's
    threads run too can fail with "SystemError: AST constructor recursion depth mismatch"
    (CPython gh-106905, pytest-dev/pytest#10763). A fresh clone's CI failed on it once, as a
    FlakyFailure while generating a pairing request; imported here, nothing is parsed mid-test.
    """
    for module in pkgutil.walk_packages(schemathesis.__path__, "schemathesis."):
        with contextlib.suppress(ImportError):  # optional extras (allure reporting) the fuzz does not use
            importlib.import_module(module.name)


_import_schemathesis_now()
FRAMING = {"content-length", "transfer-encoding"}  # headers that frame the request, never generated (see steer)
PUBLIC = {f"{API}/box", f"{API}/pairing", f"{API}/pairing/{{pairing_id}}"}
# The network tuner's root paths need no token while its switch is on (docs/security.md); the fuzzed box has
# it off, as by default, so a stranger (and a paired device) gets their 404.
TUNER_ROOT = {"/discover.json", "/lineup.json", "/lineup.xml", "/lineup.m3u", "/lineup_status.json", "/lineup.post",
              "/device.xml", "/auto/v{number}"}  # fmt: skip

# The box's own document, as create_app makes it (no box needed to describe the API).
DOC = create_app(NetContext(box_info=dict, commands=CommandQueue(), auth=None, box=None, guide=lambda: None,
                            open_on_lan=lambda: False)).openapi()  # fmt: skip
schema = schemathesis.openapi.from_dict(DOC).exclude(path=f"{API}/events").exclude(path="/stream/live")
schema = schema.exclude(path="/hls/live/index.m3u8")


@dataclass
class FuzzBox:
    app: App
    base: str  # http://127.0.0.1:PORT
    token: str
    device_id: str
    victim_id: str
    examples: dict[str, int] = field(default_factory=dict)  # per operation, for steer()


def while_serving(app: App, fn: Callable[[], object], timeout: float = 30.0):
    """Run ``fn()`` in a client thread while the box's frame loop runs here; return what it returned."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed back to the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="fuzz-client")
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        app.step()
        time.sleep(0.002)
    assert not thread.is_alive(), f"the client did not finish within {timeout} s"
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture(scope="module")
def fuzz_box(tmp_path_factory) -> Iterator[FuzzBox]:
    """The demo line-up (streams pointed at a closed port: no head-end needed) with a real demo guide."""
    tmp = tmp_path_factory.mktemp("fuzz")
    demo = load_lineup(ROOT / "channels.json")
    channels = [c.model_copy(update={"urls": [f"http://127.0.0.1:9/{c.id}.ts"], "logo": None}) for c in demo.channels]
    lineup = demo.model_copy(update={"guide_sources": [], "channels": channels})
    (tmp / "guide.xml").write_bytes(demo_guide())
    import_sources(tmp / "guide.db", [str(tmp / "guide.xml")])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STB_STATE_DIR", str(tmp / "state"))
        env.setenv("STB_CONFIG_DIR", str(tmp / "config"))
        app = build_app(lineup, headless=True, store=StateStore(tmp / "state"), guide_db=tmp / "guide.db", pretune=0,
                  api_port=0)  # fmt: skip
        app.start()
        try:
            base = f"http://127.0.0.1:{app.net.bound_port}"
            fuzzer, victim = (
                while_serving(app, lambda name=name: pair(app, base, name)) for name in ("fuzzer", "victim")
            )
            yield FuzzBox(app, base, fuzzer["token"], fuzzer["device_id"], victim["device_id"])
        finally:
            app.close()


def pair(app: App, base: str, name: str) -> dict:
    """Pair for real: ask, read the code off the TV (the Auth object), send it back."""
    with httpx.Client(timeout=5) as c:
        started = c.post(f"{base}{API}/pairing", json={"name": name})
        assert started.status_code == 202, started.text
        done = c.post(f"{base}{API}/pairing/{started.json()['pairing_id']}", json={"code": app.auth.pending.code})
        assert done.status_code == 200, done.text
        return done.json()


@schemathesis.check
def problem_json(ctx, response, case) -> bool | None:
    """Every error is RFC 9457 problem JSON whose status is the response's."""
    if response.status_code < 400:
        return None
    kind = response.headers.get("content-type", [""])[0]
    assert kind == "application/problem+json", f"{response.status_code} came as {kind!r}, not problem JSON"
    if case.method == "HEAD":  # a HEAD answer has no body (HTTP): its type says what GET's body would be
        assert response.content == b"", f"HEAD answered {response.status_code} with a body"
        return True
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), f"problem JSON without its fields: {body}"
    assert body["status"] == response.status_code, f"problem says {body['status']}, response {response.status_code}"
    return True


def steer(case, box: FuzzBox) -> None:
    """Aim a few generated requests at real objects, so the interesting answers are reached too."""
    n = box.examples[case.operation.label] = box.examples.get(case.operation.label, 0) + 1
    params = case.path_parameters or {}
    if case.method == "DELETE" and "device_id" in params:
        if params["device_id"] == box.device_id:
            params["device_id"] = "not-the-fuzzer"  # the fuzz must not revoke its own token
        if n == 1:
            params["device_id"] = box.victim_id
    body = case.body if isinstance(case.body, dict) else {}
    if (
        case.operation.path == f"{API}/actions/play"
        and isinstance(body.get("url"), str)
        and not fling_problem(body["url"])
    ):
        body["url"] = "http://127.0.0.1:9/fuzz.ts"  # a URL the box takes is played: never a generated host or group
    for name in [h for h in (case.headers or {}) if h.lower() in FRAMING]:
        del case.headers[name]  # the HTTP client's to set: a made-up one tests h11's parser (its 400), not the API
    pending = box.app.auth.pending
    if case.method == "POST" and "pairing_id" in params and pending is not None and n % 2 == 0:
        params["pairing_id"] = pending.id


#: Operations that read a channel from upstream: here every channel's upstream is a closed port, so a real id
#: (hypothesis draws them from the project's own strings) gets the documented 502 "Channel unavailable".
UPSTREAM_READERS = {"/stream/channel/{channel_id}", "/hls/channel/{channel_id}/index.m3u8"}


@schemathesis.check
def no_server_error_but_a_dead_upstream(ctx, response, case) -> bool | None:
    """Instead of schemathesis's "no 5xx" where a channel is read: only the documented 502 for a dead upstream."""
    if response.status_code < 500:
        return None
    assert response.status_code == 502, f"{response.status_code} from {case.operation.label}"
    assert response.json()["title"] == "Channel unavailable", response.text
    return True


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_a_paired_device(case, fuzz_box):
    steer(case, fuzz_box)
    headers = {"Authorization": f"Bearer {fuzz_box.token}"}
    checks: dict = {"additional_checks": [problem_json]}
    if case.operation.path in UPSTREAM_READERS:
        checks = {"additional_checks": [problem_json, no_server_error_but_a_dead_upstream],
                  "excluded_checks": [not_a_server_error]}  # fmt: skip
    while_serving(fuzz_box.app, lambda: case.call_and_validate(base_url=fuzz_box.base, headers=headers,
                                                               timeout=REQUEST_TIMEOUT_S, **checks))  # fmt: skip


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_a_stranger(case, fuzz_box):
    """No token: only the public operations answer; everything else is 401. Also allowed, as they say nothing
    about the box: 415 for a body that is not ``application/json`` (the box's own CSRF rule refuses it before
    anything else), 400/422 for a JSON body that is broken (parsed before the token is looked at) and 405 for a
    method the path does not have."""
    fuzz_box.app.box.settings.open_on_lan = False  # a fuzzed Settings key press may have opened the box
    fuzz_box.app.box.settings.network_tuner = False  # or offered it as a tuner
    steer(case, fuzz_box)
    response = while_serving(fuzz_box.app, lambda: case.call_and_validate(base_url=fuzz_box.base,
                                                                          additional_checks=[problem_json],
                                                                          timeout=REQUEST_TIMEOUT_S))  # fmt: skip
    if case.operation.path in PUBLIC:
        return
    if case.operation.path in TUNER_ROOT and case.method.upper() == case.operation.method.upper():
        assert response.status_code in (404, 415, 422), f"{case.operation.label}: {response.status_code}"
        return
    if case.method.upper() != case.operation.method.upper():  # schemathesis tries the methods a path lacks
        assert response.status_code == 405, f"{response.request.method} {case.path}: {response.status_code}"
    else:
        assert response.status_code in (400, 401, 415, 422), (
            f"{case.operation.label}: a stranger got {response.status_code}"
        )


def test_the_box_serves_the_fuzzed_document_and_the_fuzzer_kept_its_token(fuzz_box):
    def client():
        with httpx.Client(timeout=5) as c:
            auth = {"Authorization": f"Bearer {fuzz_box.token}"}
            return c.get(f"{fuzz_box.base}{API}/openapi.json").json(), c.get(
                f"{fuzz_box.base}{API}/state", headers=auth
            )

    served, state = while_serving(fuzz_box.app, client)
    assert served == DOC
    assert state.status_code == 200, "the fuzz revoked its own token"
    assert fuzz_box.app.running, "the fuzz switched the box off"


def test_the_event_stream_is_not_for_strangers_and_starts_for_paired_devices(fuzz_box):
    def client():
        with httpx.Client(timeout=5) as c:
            stranger = c.get(f"{fuzz_box.base}{API}/events")
            with c.stream("GET", f"{fuzz_box.base}{API}/events", params={"token": fuzz_box.token}) as stream:
                return stranger, stream.status_code, stream.headers["content-type"], next(stream.iter_lines())

    stranger, status, kind, first = while_serving(fuzz_box.app, client)
    assert stranger.status_code == 401 and stranger.headers["content-type"] == "application/problem+json"
    assert (status, kind.split(";")[0], first) == (200, "text/event-stream", ": connected")
