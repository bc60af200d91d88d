"""The home network's trust model on the box's streams and request slots: clients that never read their answers,
a revoked device's open streams, a signed URL in use past its expiry, and one device opening stream after stream.

Each case runs a real headless box (``stb.reliability.livebox.running_box``, or ``tvlab.BoxLab`` where real
channels must flow) on loopback and attacks it the way issue 19's probe did, with raw sockets or httpx.
Figures (a paired client's latency during the attack, how fast revoked streams end) are measured and
reported; a case passes or fails on behaviour, with generous bounds that only catch what did not happen.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from stb.reliability.harness import Case, Outcome
from stb.reliability.livebox import API, LiveBox, exchange, get, outcome, read_answer, refusal, running_box
from stb.reliability.readers import StreamReader, pair_in_process

AREA = "trust"
HLS_JS = "/app/vendor/hls.light.min.js"  # the page's largest public file (~390 KB)
ATTACK_SOCKETS = 130
PIPELINED = 30
ATTACKER = "127.0.0.2"  # the attacker's host: loopback has the whole 127/8, and the paired client is 127.0.0.1
BUSY = "127.0.0.3"  # a host with as many connections busy as its address may have
ENDED_WITHIN_S = 5.0  # hang guard for "the stream ended" (the target is 1 s: measured and reported)


def _setting(module: str, name: str, default):
    """The box's own figure, or the issue's where a box (an older one) has none: the case still runs against it."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name, default)
    except ImportError:
        return default


def _case(name: str, expect: str, check: Callable[[Path], Outcome], seconds: float = 90.0) -> Case:
    return Case(AREA, name, expect, check, seconds=seconds)


def _with_box(check: Callable[[LiveBox], Outcome]) -> Callable[[Path], Outcome]:
    def run(work: Path) -> Outcome:
        with running_box(work) as box:
            return check(box)

    return run


# -- hole 2: slow readers ------------------------------------------------------------------------------------
def _held_by_box(box: LiveBox, socks: list[socket.socket]) -> list[socket.socket]:
    """Those of ``socks`` the box still holds open (read on its side: a reset may not reach a shut window)."""
    server = box.app.net._server
    open_ports = {p.client[1] for p in list(server.server_state.connections)
                  if p.client and not p.transport.is_closing()}  # fmt: skip
    return [s for s in socks if s.getsockname()[1] in open_ports]


def _never_reading(port: int, count: int, pipelined: int) -> list[socket.socket]:
    """``count`` sockets from the attacker's address with a 1 KB receive buffer, each sending ``pipelined`` GETs of
    hls.js at once."""
    request = f"GET {HLS_JS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * pipelined
    socks = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        try:
            sock.settimeout(5)
            sock.bind((ATTACKER, 0))
            sock.connect(("127.0.0.1", port))
            sock.sendall(request)
        except OSError:
            sock.close()
            continue
        socks.append(sock)
    return socks


def _slow_readers(box: LiveBox) -> Outcome:
    pipelined, stall = _setting("stb.net.http", "MAX_PIPELINED", 4), _setting("stb.net.http", "WRITE_STALL_S", 10.0)
    per_address = _setting("stb.net.api.limits", "MAX_CONNECTIONS_PER_ADDRESS", 32)
    token = box.pair()
    problems, latencies, failures = [], [], []
    limit = stall + 20  # every never-reading connection is dropped well within this
    held_most = 0  # of the attacker's connections, the most the box held open at once after the burst
    with contextlib.ExitStack() as stack:
        socks = _never_reading(box.port, ATTACK_SOCKETS, PIPELINED)
        for sock in socks:
            stack.callback(sock.close)
        began = time.monotonic()
        open_ones = list(socks)
        with box.client() as c:  # the paired phone: another host than the attacker's
            while open_ones and time.monotonic() - began < limit:
                t0 = time.monotonic()
                try:
                    answer = c.get(f"{API}/state", headers={"Authorization": f"Bearer {token}"})
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text[:80]}")
                except Exception as exc:  # the box stuck or gone: the finding
                    failures.append(f"{type(exc).__name__}: {exc}")
                latencies.append(time.monotonic() - t0)
                time.sleep(0.1)
                open_ones = _held_by_box(box, open_ones)
                held_most = max(held_most, len(open_ones))
        dropped_after = time.monotonic() - began
    if len(socks) < ATTACK_SOCKETS:
        problems.append(f"only {len(socks)} of {ATTACK_SOCKETS} attack sockets connected")
    if open_ones:
        problems.append(f"{len(open_ones)} never-reading connections still open after {limit:.0f} s")
    if held_most > per_address:
        problems.append(f"the box held {held_most} of the attacker's connections open at once (cap per address: "
                        f"{per_address})")  # fmt: skip
    if failures:
        problems.append(f"the paired client failed {len(failures)} of {len(latencies)} times, e.g. {failures[0]}")
    problems += [p for p in (_deep_pipeline(box.port, pipelined + 5), _busy_address(box, per_address)) if p]
    ordered = sorted(latencies)
    worst = ordered[-1] * 1000 if ordered else 0
    p95 = ordered[int(len(ordered) * 0.95)] * 1000 if ordered else 0
    return outcome(problems, f"{len(socks)} sockets × {PIPELINED} pipelined GETs of hls.js from one address, never "
                   f"read: at most {held_most} held open (cap {per_address}), all dropped within {dropped_after:.1f} "
                   f"s; a paired client's GET /state: {len(latencies)} answers, 95th percentile {p95:.0f} ms, worst "
                   f"{worst:.0f} ms (target ≤ 250 ms); a {pipelined + 5}-deep pipeline refused past its cap; "
                   f"connection {per_address + 1} of a busy address 429 at once")  # fmt: skip


def _deep_pipeline(port: int, depth: int) -> str | None:
    """None when ``depth`` pipelined GETs get their answers up to the cap, then a 429 problem JSON and the end."""
    cap = _setting("stb.net.http", "MAX_PIPELINED", 4)
    request = f"GET {API}/box HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * depth
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        with contextlib.suppress(OSError):
            while piece := sock.recv(65536):  # until the box closes
                data += piece
    statuses, last = [], b""
    for part in data.split(b"HTTP/1.1 ")[1:]:
        statuses.append(int(part[:3]) if part[:3].isdigit() else None)
        last = part
    want = [200] * (cap + 1) + [429]
    if statuses != want:
        return f"{depth} pipelined GETs were answered {statuses}, wanted {want} and the connection closed"
    if b"application/problem+json" not in last or b"pipelined" not in last:
        return f"the refusal is not a problem JSON naming the cap: {last[:200]!r}"
    return None


def _busy_address(box: LiveBox, cap: int) -> str | None:
    """None when, with ``cap`` event streams open from one address, its next connection is answered 429 (problem JSON
    naming the cap on connections) before it asks anything, while another address still gets in."""
    per_device = _setting("stb.net.api.limits", "PER_DEVICE", {"event streams": 8})["event streams"]
    tokens = [box.pair(f"Wall screen {n}") for n in range(-(-cap // per_device))]
    with contextlib.ExitStack() as held:
        for n in range(cap):
            sock = held.enter_context(socket.create_connection(("127.0.0.1", box.port), 5, (BUSY, 0)))
            sock.sendall(get(f"{API}/events", tokens[n // per_device]))
            if not sock.recv(1024).startswith(b"HTTP/1.1 200"):
                return f"event stream {n + 1} of {cap} from one address was refused"
        with socket.create_connection(("127.0.0.1", box.port), 5, (BUSY, 0)) as extra:
            over = read_answer(extra)  # nothing sent: the box answers at once
        other = exchange(box.port, get(f"{API}/box"))
    why = refusal(over, 429)
    if why:
        return f"connection {cap + 1} from a busy address: {why}"
    if "connections" not in (over.problem() or {}).get("title", ""):
        return f"connection {cap + 1} from a busy address: 429 titled {over.problem()}, which does not name the cap"
    if other.status != 200:
        return f"another address meanwhile: {other}"
    return None


# -- a box with real channels ----------------------------------------------------------------------------------
@contextlib.contextmanager
def _lab(work: Path, bad_url: str | None = None) -> Iterator:
    from stb.reliability.tvlab import BoxLab

    with BoxLab(work, bad_url=bad_url, wait_for_picture=True) as lab:
        yield lab


def _wait(tv, until: Callable[[], bool], timeout: float) -> bool:
    """Run the TV's loop until ``until()`` or ``timeout``; whether it came true."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if until():
            return True
        tv.step()
    return until()


def _signed(lab, token: str, path: str) -> str:
    import httpx

    with httpx.Client(base_url=_base(lab), timeout=10) as c:
        answer = c.post(f"{API}/stream-urls", json={"path": path}, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        return _base(lab) + answer.json()["url"]


def _base(lab) -> str:
    return f"http://127.0.0.1:{lab.app.net.bound_port}"


# -- hole 3: revocation ----------------------------------------------------------------------------------------
def _revocation(work: Path) -> Outcome:
    import httpx

    with _lab(work) as lab:
        base, channel = _base(lab), lab.good_relay_id()
        doomed, doomed_token = pair_in_process(lab.app, "Doomed phone")
        on_tv, on_tv_token = pair_in_process(lab.app, "Removed on the TV")
        bearer = {"Authorization": f"Bearer {doomed_token}"}
        readers = {
            "TS live (header token)": StreamReader(f"{base}/stream/live", bearer),
            "TS channel (signed URL)": StreamReader(_signed(lab, doomed_token, f"/stream/channel/{channel}")),
            "events (header token)": StreamReader(f"{base}{API}/events", bearer),
        }
        by_tv = {"TS live, removed on the TV": StreamReader(f"{base}/stream/live?token={on_tv_token}"),
                 "events, removed on the TV": StreamReader(f"{base}{API}/events?token={on_tv_token}")}  # fmt: skip
        hls = f"{base}/hls/channel/{channel}/index.m3u8?token={doomed_token}"
        for reader in [*readers.values(), *by_tv.values()]:
            reader.start()
        everyone = [*readers.values(), *by_tv.values()]
        with httpx.Client(timeout=15) as c:
            hls_before = c.get(hls).status_code
            flowing = _wait(lab.tv, lambda: all(r.first_at for r in everyone), 20.0)
            _wait(lab.tv, lambda: False, 1.0)  # a second of flow
            revoked_at = time.monotonic()
            gone = c.delete(f"{base}{API}/devices/{doomed}", headers={"Authorization": f"Bearer {lab.token}"})
            lab.app.auth.revoke(on_tv)  # as Settings → Paired devices does, on the TV's side
            _wait(lab.tv, lambda: all(r.ended_at for r in everyone), ENDED_WITHIN_S)
            # before the readers are told to leave: how each stream ended, and when (None: it still flows)
            all_readers = {**readers, **by_tv}
            seen = {what: (r.ended_at if r.how not in ("", "left") else None) for what, r in all_readers.items()}
            hls_after = c.get(hls)
        for reader in everyone:
            reader.leave()
    problems = []
    if not flowing:
        problems.append("not every stream flowed before the revocation: " + ", ".join(
            f"{k}: {r.status} {r.received} B" for k, r in {**readers, **by_tv}.items()))  # fmt: skip
    if gone.status_code != 204:
        problems.append(f"DELETE /devices gave {gone.status_code}")
    ended = {}
    for what, ended_at in seen.items():
        reader = all_readers[what]
        if ended_at is None:
            problems.append(f"{what} still flowing {ENDED_WITHIN_S:.0f} s after the revocation ({reader.received} B)")
        else:
            ended[what] = ended_at - revoked_at
    if hls_before != 200:
        problems.append(f"the HLS playlist before the revocation: {hls_before}")
    problems += [f"HLS after the revocation: {p}" for p in [_refused_401(hls_after)] if p]
    figures = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in ended.items())
    return outcome(problems, f"ended after the revocation (target ≤ 1 s): {figures}; the HLS playlist 401")


def _refused_401(response) -> str | None:
    from stb.reliability.livebox import response_refusal

    return response_refusal(response, 401)


# -- hole 8: a signed URL in use past its expiry ----------------------------------------------------------------
SIGNED_LIFETIME_S = 2
GRACE_S = 3.0  # the in-use grace, shortened for the case (a minute on a box)


def _signed_in_use(work: Path) -> Outcome:
    import stb.net.signed as signed

    saved = signed.IN_USE_GRACE_S
    signed.IN_USE_GRACE_S = GRACE_S
    try:
        with _lab(work) as lab:
            channel = lab.good_relay_id()
            device_id = lab.app.auth.check(lab.token).id
            path, expires = lab.app.net.ctx.signer.sign(device_id, f"/stream/channel/{channel}", SIGNED_LIFETIME_S)
            url = _base(lab) + path
            mirror = StreamReader(url).start()
            read_until = expires + GRACE_S + 4  # past its expiry and past the grace a per-request mark gave
            _wait(lab.tv, lambda: time.time() > read_until or mirror.ended_at is not None, 30)
            reconnect = StreamReader(url).start()
            _wait(lab.tv, lambda: reconnect.first_at is not None or reconnect.ended_at is not None, 15)
            reconnect.leave()
            mirror.leave()
            _wait(lab.tv, lambda: mirror.ended_at is not None and reconnect.ended_at is not None, 10)
            _wait(lab.tv, lambda: False, GRACE_S + 1.5)  # nobody uses it now: the mark runs out
            late = exchange(lab.app.net.bound_port, get(path))
    finally:
        signed.IN_USE_GRACE_S = saved
    problems = []
    if mirror.status != 200 or mirror.how not in ("left", ""):
        problems.append(f"the mirror: {mirror.status}, {mirror.how}, {mirror.received} B")
    if reconnect.status != 200 or not reconnect.received:
        problems.append(f"a reconnect {read_until - expires:.0f} s past the expiry, while in use: {reconnect.status}")
    if late.status != 401:
        problems.append(f"once nobody used it for {GRACE_S + 1.5:.1f} s, the URL still opened: {late}")
    return outcome(problems, f"signed for {SIGNED_LIFETIME_S} s, read {read_until - expires + SIGNED_LIFETIME_S:.0f}"
                   f" s: a reconnect got 200 and TS; {GRACE_S:.0f} s after the mirror left, 401")  # fmt: skip


# -- hole 9: per-device caps ------------------------------------------------------------------------------------
def _headers_then_nothing(handler, stop: threading.Event) -> None:
    from stb.reliability.tvlab import send_headers

    send_headers(handler)
    stop.wait()


def _open(port: int, request: bytes) -> tuple[socket.socket, int | None]:
    """A connection with ``request`` sent and its answer's status read (the body left unread)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(request)
    head = b""
    with contextlib.suppress(OSError):
        while b"\r\n" not in head:
            piece = sock.recv(1)
            if not piece:
                break
            head += piece
    parts = head.split(b" ")
    return sock, int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _device_caps(work: Path) -> Outcome:
    from stb.reliability.tvlab import BAD_ID, bad_upstream

    problems, saw = [], []
    with bad_upstream(_headers_then_nothing) as stalled, _lab(work, stalled.url) as lab, contextlib.ExitStack() as held:
        port, channel = lab.app.net.bound_port, lab.good_relay_id()
        _, other = pair_in_process(lab.app, "Another phone")
        paths = {
            "event streams": f"{API}/events",
            "relay streams": f"/stream/channel/{channel}",
            "HLS requests": f"/hls/channel/{BAD_ID}/index.m3u8",
        }  # fmt: skip  (a stalled channel: HLS waits)
        caps = _setting("stb.net.api.limits", "PER_DEVICE", dict.fromkeys(paths, 8))
        for kind, path in paths.items():
            cap = caps[kind]
            opened = []
            for _ in range(cap):
                if kind == "HLS requests":  # the playlist waits for the stalled channel: no status yet
                    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
                    sock.sendall(get(path, lab.token))
                    status = 200
                else:
                    sock, status = _open(port, get(path, lab.token))
                held.callback(sock.close)
                opened.append(status)
            if kind == "HLS requests":
                _wait(lab.tv, lambda: False, 1.0)  # let the box take them all in
            over = exchange(port, get(path, lab.token))
            why = refusal(over, 429)
            title = (over.problem() or {}).get("title", "")
            if opened != [200] * cap:
                problems.append(f"{kind}: the first {cap} got {opened}")
            if why:
                problems.append(f"{kind} #{cap + 1}: {why}")
            elif kind not in title:
                problems.append(f"{kind} #{cap + 1}: 429 titled {title!r}, which does not name the cap")
            saw.append(f"{kind} #{cap + 1}: {over.status} {title!r}")
        another, status = _open(port, get(f"{API}/events", other))
        held.callback(another.close)
        if status != 200:
            problems.append(f"another device's event stream meanwhile: {status}")
    return outcome(problems, "; ".join(saw) + "; another device still gets its event stream")


CASES = [
    _case("never-reading clients (130 sockets pipelining hls.js)", "each dropped once its answer makes no progress "
          "for 10 s; the public routes and open connections capped per address (past the cap of connections, 429 at "
          "once); a deep pipeline refused with 429; a paired client answered all along (its latency reported)",
          _with_box(_slow_readers)),
    _case("revoking a device with open streams", "TS (header token and signed URL) and event streams end within a "
          "moment of DELETE /devices/ID or of a removal on the TV (times reported); its HLS playlist 401",
          _revocation),
    _case("a signed TS URL in use past its expiry", "a reconnect while the stream is being read is let in after the "
          "expiry and the in-use grace; once nobody reads it, 401", _signed_in_use),
    _case("one device opening stream after stream", "past its cap of event streams, relay streams and HLS requests, "
          "429 problem JSON that names the cap; another device unaffected", _device_caps),
]  # fmt: skip

__all__ = ["CASES"]
