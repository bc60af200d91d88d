"""The box's HTTP API against hostile clients on the LAN: huge or endless bodies, slow and idle connections,
traversal in every path parameter, bad tokens, pairing brute force and malformed HTTP.

Every case starts a real headless box (``stb.reliability.livebox``: pygame, libVLC, the API on a free loopback
port) with its frame loop on a thread of its own, and talks to it over loopback: with httpx where a client would,
with raw bytes on a socket where the request itself is the attack. A case passes when the client gets the
specific clear answer (a 4xx problem JSON, or the connection closed) and the box keeps answering.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from stb.reliability.harness import Outcome
from stb.reliability.livebox import (
    API,
    HTTP_API,
    PROBLEM,
    Answer,
    LiveBox,
    Skewed,
    case,
    closed_by_peer,
    exchange,
    get,
    outcome,
    read_answer,
    refusal,
    reset_peak,
    response_refusal,
    rss_kib,
    timed,
)

AREA = HTTP_API


# -- oversized bodies ----------------------------------------------------------------------------------------
BIG = 50 * 1024 * 1024
CHUNK = 64 * 1024
RSS_SLACK_KIB = 16 * 1024  # the box may grow a little while it answers; 50 MB read into memory would not fit


def _upload(port: int, head: bytes, piece: bytes, total: int) -> tuple[Answer, int, bool]:
    """Send ``head`` then ``piece`` until ``total`` bytes or the box answers; (answer, bytes sent, closed after)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        with contextlib.suppress(ConnectionError, OSError):
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(piece)
                sent += len(piece)
        answer = read_answer(sock, 10)
        return answer, sent, closed_by_peer(sock, 3)


@case("body over 64 KiB by Content-Length", "413 problem JSON at once, the connection closed, the rest not read")
def _content_length(box: LiveBox) -> Outcome:
    head = (f"POST {API}/actions/zap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BIG}\r\n\r\n").encode()  # fmt: skip
    answer, sent, closed = _upload(box.port, head, b" " * CHUNK, BIG)
    problems = [p for p in [refusal(answer, 413)] if p]
    if not closed:
        problems.append("the connection stayed open (the box would read the rest)")
    return outcome(problems, f"{answer.status} problem JSON after {sent >> 20} MiB sent; connection closed")


@case("50 MB chunked body", "413 problem JSON, connection closed, the box's memory does not grow by the body; a "
      "small chunked body still works")  # fmt: skip
def _chunked(box: LiveBox) -> Outcome:
    token = box.pair()
    head = (f"POST {API}/actions/zap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()  # fmt: skip
    reset_peak()
    before, _ = rss_kib()
    answer, sent, closed = _upload(box.port, head, b"%x\r\n" % CHUNK + b" " * CHUNK + b"\r\n", BIG)
    _, peak = rss_kib()
    problems = [p for p in [refusal(answer, 413)] if p]
    if not closed:
        problems.append("the connection stayed open")
    if peak - before > RSS_SLACK_KIB:
        problems.append(f"the box's memory grew by {(peak - before) >> 10} MiB while it was sent")
    body = json.dumps({"number": 2}).encode()
    small = head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    control = exchange(box.port, small)
    if control.status != 200:
        problems.append(f"a 14-byte chunked zap was refused: {control}")
    return outcome(problems, f"413 after {sent >> 20} MiB sent, peak memory +{(peak - before) >> 10} MiB; "
                   "a small chunked zap got 200")  # fmt: skip


# -- slow and idle clients -----------------------------------------------------------------------------------
def _latencies(box: LiveBox, token: str, until: Callable[[], bool], limit_s: float) -> tuple[list[float], list[str]]:
    """A paired client asking for the state every 0.2 s until ``until()`` or ``limit_s``: its latencies and failures."""
    latencies, failures = [], []
    deadline = time.monotonic() + limit_s
    while not until() and time.monotonic() < deadline:
        failure, took = timed(lambda: box.responsive(token))
        latencies.append(took)
        if failure:
            failures.append(failure)
        time.sleep(0.2)
    return latencies, failures


def _timeout_s() -> float:
    from stb.net.http import REQUEST_TIMEOUT_S

    return REQUEST_TIMEOUT_S


def _drip(port: int, request: bytes, limit_s: float) -> tuple[float | None, bytes]:
    """Send ``request`` but its final CRLF a byte a second: (seconds until the box closed, what it said)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        began = time.monotonic()
        for byte in request[:-2]:
            with contextlib.suppress(OSError):
                sock.sendall(bytes([byte]))
            if select.select([sock], [], [], 1.0)[0]:
                answer = b""
                with contextlib.suppress(OSError):
                    while piece := sock.recv(65536):
                        answer += piece
                return time.monotonic() - began, answer
            if time.monotonic() - began > limit_s:
                break
        return None, b""


def _meanwhile(box: LiveBox, attack: Callable[[], Any], limit_s: float) -> tuple[Any, list[float], list[str]]:
    """Run ``attack()`` on a thread while a paired client keeps asking: (its result, latencies, failures)."""
    token = box.pair()
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(attack()), daemon=True)
    thread.start()
    latencies, failures = _latencies(box, token, lambda: not thread.is_alive(), limit_s)
    thread.join(1)
    return (result[0] if result else None), latencies, failures


def _worst_ms(latencies: list[float]) -> str:
    return f"{max(latencies, default=0) * 1000:.0f} ms at worst over {len(latencies)} calls"


@case("slowloris: a head a byte a second", "408 problem JSON and the connection closed within the box's request "
      "time-out; a paired client gets answers meanwhile", seconds=30)  # fmt: skip
def _slowloris(box: LiveBox) -> Outcome:
    limit = _timeout_s() + 5
    found, latencies, failures = _meanwhile(box, lambda: _drip(box.port, get(f"{API}/box"), limit), limit + 2)
    closed_after, answer = found or (None, b"")
    problems = list(failures)
    if closed_after is None:
        problems.append(f"the connection was still open after {limit:.0f} s of a byte a second")
    elif not answer.startswith(b"HTTP/1.1 408") or PROBLEM.encode() not in answer:
        problems.append(f"closed after {closed_after:.1f} s, answering {answer[:80]!r}")
    return outcome(problems, f"408 and closed after {closed_after or 0:.1f} s; a paired client's state in "
                   f"{_worst_ms(latencies)} meanwhile")  # fmt: skip


IDLE = 300  # past the box's cap on open connections (256)
IDLE_PER_ADDRESS = 30  # within the cap per address (32), so the cap in all is what they meet


def _idle_flood(port: int, limit_s: float) -> tuple[int, int, float]:
    """Open IDLE connections that send nothing, from ten addresses: (how many the box closed, of how many opened,
    seconds taken)."""
    socks = []
    with contextlib.ExitStack() as stack:
        for n in range(IDLE):
            source = (f"127.0.0.{2 + n // IDLE_PER_ADDRESS}", 0)
            with contextlib.suppress(OSError):
                socks.append(stack.enter_context(socket.create_connection(("127.0.0.1", port), 5, source)))
        began, closed = time.monotonic(), set()
        while len(closed) < len(socks) and time.monotonic() - began < limit_s:
            for sock in select.select([s for s in socks if s not in closed], [], [], 0.2)[0]:
                try:
                    if not sock.recv(65536):
                        closed.add(sock)
                except OSError:
                    closed.add(sock)
        return len(closed), len(socks), time.monotonic() - began


def _past_address_cap(port: int) -> str | None:
    """None when a connection past its address's cap, all of them idle, closes that address's oldest at once."""
    from stb.net.api.limits import MAX_CONNECTIONS_PER_ADDRESS as cap

    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.create_connection(("127.0.0.1", port), 5, ("127.0.0.40", 0)))
                 for _ in range(cap + 1)]  # fmt: skip
        if not closed_by_peer(socks[0], _timeout_s() / 2):  # well before the request time-out would close it
            return f"connection {cap + 1} of an address whose {cap} sat idle did not close the oldest of them"
        if closed_by_peer(socks[-1], 0):
            return f"connection {cap + 1} of an address whose {cap} sat idle was closed itself"
    return None


@case(f"{IDLE} connections that send nothing", "from ten addresses, each within its cap: a paired client gets answers "
      "meanwhile; the box closes them all within its request time-out (the oldest first when over its cap of open "
      "connections); an address past its own cap has its oldest closed", seconds=30)  # fmt: skip
def _idle(box: LiveBox) -> Outcome:
    limit = _timeout_s() + 5
    found, latencies, failures = _meanwhile(box, lambda: _idle_flood(box.port, limit), limit + 2)
    closed, opened, took = found or (0, IDLE, limit)
    problems = list(failures)
    if closed < opened:
        problems.append(f"{opened - closed} of {opened} idle connections still open after {took:.0f} s")
    problems += [p for p in [_past_address_cap(box.port)] if p]
    return outcome(problems, f"all {opened} closed within {took:.1f} s; a paired client's state in "
                   f"{_worst_ms(latencies)} meanwhile; past its address's cap, the oldest idle one closed")  # fmt: skip


@case("more requests in progress than the box takes", "past 128 requests in progress (event streams held open "
      "by 16 devices from 4 addresses, within their own caps) the next gets 503 problem JSON with Retry-After, and "
      "answers again once they end")  # fmt: skip
def _busy(box: LiveBox) -> Outcome:
    from stb.net.api import MAX_REQUESTS

    per_device, per_address = 8, 32  # stb.net.api.limits: one device, one address may not hold them all
    tokens = [box.pair(f"Screen {n}") for n in range(-(-MAX_REQUESTS // per_device))]
    with contextlib.ExitStack() as stack:
        for n in range(MAX_REQUESTS):
            source = (f"127.0.0.{2 + n // per_address}", 0)
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", box.port), 5, source))
            sock.sendall(get(f"{API}/events", tokens[n // per_device]))
            sock.recv(1024)  # the stream began: the request is in progress
        over = exchange(box.port, get(f"{API}/box"))
    problems = [p for p in [refusal(over, 503)] if p]
    if over.status == 503 and not over.headers.get("retry-after", "").isdigit():
        problems.append("503 without Retry-After")
    deadline = time.monotonic() + 5
    while (after := exchange(box.port, get(f"{API}/box"))).status == 503 and time.monotonic() < deadline:
        time.sleep(0.1)  # the box notices the closed streams within a second
    if after.status != 200:
        problems.append(f"after the streams ended: {after}")
    return outcome(problems, f"request {MAX_REQUESTS + 1}: {over.status} problem JSON, Retry-After "
                   f"{over.headers.get('retry-after')}; 200 again once they ended")  # fmt: skip


# -- path traversal ------------------------------------------------------------------------------------------
HOSTILE_PARAMS = {
    "../../etc/passwd": "../../../../etc/passwd",
    "%2e%2e%2f": "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%2f": "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "10k chars": "a" * 10_000,
    "NUL": "c1%00..%2f..%2fetc%2fpasswd",
    "unicode": "%C0%AE%C0%AE%C0%AF%E2%80%AEdwssap%2Fcte%F0%9F%93%BA",
    "not UTF-8": "%ff%fe%fd",
}
EXTRA_PATHS = [  # the page's files and the stream routes, not all in the API's document
    "/app/../../etc/passwd", "/app/..%2f..%2f..%2fetc%2fpasswd", "/app/%2e%2e/%2e%2e/net/api.py",
    "/app//etc/passwd", "/app/%2fetc%2fpasswd", "/app/....//....//etc/passwd", "/app/vendor/../../assets.py",
    "/hls/live/../../../etc/passwd", "/hls/channel/..%2f..%2fetc/index.m3u8", "/hls/channel/c1/..%2f0.ts",
    "/stream/channel/..%2F..%2F..%2Fetc%2Fpasswd", "/stream/../etc/passwd", "/../../../../etc/passwd",
]  # fmt: skip
LEAKS = (b"root:x:0:0", b"import ", b"def ", b"token_sha256")  # /etc/passwd, the box's source, its state


def _param_paths(doc: dict) -> list[tuple[str, str, str]]:
    """(method, path, which value) for every route of the document with a path parameter, every hostile value."""
    import re

    found = []
    for path, methods in doc["paths"].items():
        if "{" not in path:
            continue
        for method in methods:
            for label, value in HOSTILE_PARAMS.items():
                found.append((method.upper(), re.sub(r"\{[^}]+\}", value, path), label))
    return found


@case("path traversal in every path parameter", "4xx for each (problem JSON where the API answers), never a 5xx, "
      "never a file's content; the box still answers")  # fmt: skip
def _traversal(box: LiveBox) -> Outcome:
    token = box.pair()
    with box.client() as c:
        doc = c.get(f"{API}/openapi.json").json()
    tried = _param_paths(doc) + [("GET", path, "page or stream") for path in EXTRA_PATHS]
    body = json.dumps({"code": "000000"})
    problems = []
    for method, path, label in tried:
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if method == "POST" else ""
        answer = exchange(box.port, get(path, token, method, extra) + (body.encode() if method == "POST" else b""))
        leaked = [word for word in LEAKS if word in answer.body]
        if answer.status is None or not 400 <= answer.status < 500 or leaked:
            problems.append(f"{method} {path[:70]} ({label}): {answer}" + (f", leaking {leaked}" if leaked else ""))
    routes = len({path for _, path, _ in _param_paths(doc)}) // len(HOSTILE_PARAMS)
    if routes < 5:
        problems.append(f"only {routes} routes with path parameters in the document: it did not list them")
    problems += [p for p in [box.responsive(token)] if p]
    return outcome(problems, f"{len(tried)} requests over {routes} parameterised routes and the page/stream "
                   "paths: all 4xx, nothing leaked")  # fmt: skip


# -- tokens --------------------------------------------------------------------------------------------------
PROTECTED = [("GET", f"{API}/state"), ("GET", f"{API}/devices"), ("POST", f"{API}/actions/zap"),
             ("GET", f"{API}/guide/now"), ("GET", "/stream/live"), ("GET", "/hls/live/index.m3u8"),
             ("GET", "/playlist.m3u")]  # fmt: skip


def _bad_tokens(good: str, revoked: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """How each wrong credential is sent: (headers, query)."""
    import base64

    basic = base64.b64encode(f"x:{good}".encode()).decode()
    return {
        "none": ({}, {}),
        "empty": ({"Authorization": "Bearer"}, {}),
        "empty in the query": ({}, {"token": ""}),
        "wrong": ({"Authorization": "Bearer " + "A" * 43}, {}),
        "revoked": ({"Authorization": f"Bearer {revoked}"}, {}),
        "revoked in the query": ({}, {"token": revoked}),
        "100 KB": ({"Authorization": "Bearer " + "A" * 100_000}, {}),
        "50 KB in the query": ({}, {"token": "A" * 50_000}),  # httpx sends no longer query
        "right token, no scheme": ({"Authorization": good}, {}),
        "right token as Basic": ({"Authorization": f"Basic {basic}"}, {}),
        "right token, Token scheme": ({"Authorization": f"Token {good}"}, {}),
        "right token in X-Token": ({"X-Token": good}, {}),
        "right token with a prefix": ({"Authorization": f"Bearer x{good}"}, {}),
    }


@case("bad tokens on protected routes", "401 problem JSON 'Not paired' for a missing, empty, wrong, revoked, 100 KB "
      "or wrongly sent token; the TV does nothing; the right token still works")  # fmt: skip
def _tokens(box: LiveBox) -> Outcome:
    good, revoked = box.pair("Kept"), box.pair("Removed")
    problems = []
    with box.client() as c:
        removed = next(d["id"] for d in c.get(f"{API}/devices", headers={"Authorization": f"Bearer {good}"}).json()
                       if d["name"] == "Removed")  # fmt: skip
        c.delete(f"{API}/devices/{removed}", headers={"Authorization": f"Bearer {good}"}).raise_for_status()
        for label, (headers, query) in _bad_tokens(good, revoked).items():
            for method, path in PROTECTED:
                answer = c.request(method, path, headers=headers, params=query, json={"number": 2})
                problem = response_refusal(answer, 401)
                if problem is None and answer.json()["title"] != "Not paired":
                    problem = f"401 titled {answer.json()['title']!r}"
                if problem:
                    problems.append(f"{label}: {method} {path}: {problem}")
        for path in ("/hdhr/open/discover.json", f"/hdhr/{revoked}/lineup.json", f"/hdhr/{'A' * 10_000}/lineup.json"):
            problems += [f"GET {path[:40]}: {p}" for p in [response_refusal(c.get(path), 401)] if p]
        allowed = c.get(f"{API}/state", headers={"Authorization": f"Bearer {good}"})
        if allowed.status_code != 200 or allowed.json()["channel"]["number"] != 1:
            problems.append(f"the right token: {allowed.status_code} {allowed.text[:80]} (wanted channel 1: no zap)")
    tried = len(_bad_tokens(good, revoked)) * len(PROTECTED) + 3
    return outcome(problems, f"{tried} requests with bad tokens: all 401 'Not paired'; the TV stayed on channel 1")


# -- pairing -------------------------------------------------------------------------------------------------
def _lock_out(c, box: LiveBox) -> tuple[list[int], str, str, Any]:
    """Start pairing and send five wrong codes: (their statuses, the pairing id, the right code, the last answer)."""
    started = c.post(f"{API}/pairing", json={"name": "guesser"})
    started.raise_for_status()
    pairing_id, code = started.json()["pairing_id"], box.app.auth.pending.code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [c.post(f"{API}/pairing/{pairing_id}", json={"code": wrong}) for _ in range(5)]
    return [a.status_code for a in answers], pairing_id, code, answers[-1]


@case("pairing brute force", "403 for each wrong code, the fifth 429 with Retry-After; during the lock-out the right "
      "code pairs nothing and a new pairing gets 429; the next lock-out lasts twice as long")  # fmt: skip
def _brute_force(box: LiveBox) -> Outcome:
    from stb.lan.auth import FIRST_LOCKOUT_S

    clock = Skewed()
    box.app.auth.clock = clock
    problems = []
    with box.client() as c:
        waits = []
        for round_ in (1, 2):
            statuses, pairing_id, code, last = _lock_out(c, box)
            if statuses != [403, 403, 403, 403, 429]:
                problems.append(f"round {round_}: wrong codes gave {statuses}")
            wait = int(last.headers.get("retry-after", "0"))
            waits.append(wait)
            right = c.post(f"{API}/pairing/{pairing_id}", json={"code": code})
            again = c.post(f"{API}/pairing", json={"name": "guesser"})
            problems += [f"round {round_}, the right code: {p}" for p in [response_refusal(right, 404)] if p]
            problems += [f"round {round_}, a new pairing: {p}" for p in [response_refusal(again, 429)] if p]
            clock.ahead += wait + 1
        first = FIRST_LOCKOUT_S
        if not (first <= waits[0] <= first + 2 and 2 * first <= waits[1] <= 2 * first + 2):
            problems.append(f"lock-outs of {waits} s, wanted ~{first:.0f} then ~{2 * first:.0f}")
        started = c.post(f"{API}/pairing", json={"name": "owner"})
        pending = box.app.auth.pending
        done = c.post(f"{API}/pairing/{started.json().get('pairing_id', '-')}",
                      json={"code": pending.code if pending else "000000"})  # fmt: skip
        if done.status_code != 200:
            problems.append(f"after the lock-out the right code gave {done.status_code}")
    names = [d.name for d in box.app.auth.devices()]
    if names != ["owner"]:
        problems.append(f"paired devices: {names} (only 'owner' should be)")
    return outcome(problems, f"4×403 then 429; Retry-After {waits[0]} s then {waits[1]} s; the right code during "
                   "a lock-out paired nothing; after it, pairing works")  # fmt: skip


# -- malformed HTTP ------------------------------------------------------------------------------------------
MALFORMED = {
    "bad request line": b"GARBAGE\r\n\r\n",
    "header without a colon": b"GET /api/v1/box HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
    "1 MB header": b"GET /api/v1/box HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n",
    "HTTP/0.9": b"GET /api/v1/box\r\n\r\n",
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "negative Content-Length": b"POST /api/v1/pairing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    "two Content-Lengths": b"POST /api/v1/pairing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
    b"Content-Length: 9\r\n\r\n{}",
    "NUL in a header": b"GET /api/v1/box HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x00b\r\n\r\n",
    "no Host": b"GET /api/v1/box HTTP/1.1\r\n\r\n",
    "bad chunk size": b"POST /api/v1/pairing HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
}


@case("malformed HTTP", "400 (or 4xx) problem JSON, or the connection closed; never a 5xx; the box still answers")
def _malformed(box: LiveBox) -> Outcome:
    token = box.pair()
    problems, seen = [], []
    for label, request in MALFORMED.items():
        answer = exchange(box.port, request)
        seen.append(f"{label}: {answer.status or 'closed'}")
        if answer.status is not None and (not 400 <= answer.status < 500 or answer.problem() is None):
            problems.append(f"{label}: {answer}")
    problems += [p for p in [box.responsive(token)] if p]
    return outcome(problems, "; ".join(seen))


CASES = [_content_length, _chunked, _slowloris, _idle, _busy, _traversal, _tokens, _brute_force, _malformed]
