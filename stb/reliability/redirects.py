"""A flung URL's redirect into the box's own files and loopback (issue 19, hole 4), and the same for logos.

A real box (``running_box``) is asked to play URLs of a hostile HTTP server on loopback that answers
``302`` to ``file:///etc/passwd``, ``FILE:``, ``//127.0.0.1:8554``, ``[::1]``, ``localhost``, a link-local
address, or itself for ever. libVLC would follow each; the box must refuse each with a problem JSON and put
nothing on the TV. A channel logo behind such a redirect is refused the same way.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

from stb.reliability.harness import Case, Outcome
from stb.reliability.livebox import API, LiveBox, case, outcome, response_refusal

AREA = "trust"

TARGETS = {
    "/to-file": "file:///etc/passwd",
    "/to-FILE": "FILE:///etc/hostname",
    "/to-loopback": "//127.0.0.1:8554/live",
    "/to-v6-loopback": "http://[::1]:8554/live",
    "/to-localhost": "http://localhost:8554/live",
    "/to-link-local": "http://169.254.0.1:9/latest/meta-data/",
    "/loop": "/loop",
}


@contextlib.contextmanager
def _redirector() -> Iterator[tuple[int, list[str]]]:
    """A server answering each path of TARGETS with a 302 there; (its port, the paths asked)."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            target = TARGETS.get(self.path.partition("?")[0])
            if self.path.startswith("/logo-elsewhere"):
                target = f"http://127.0.0.1:{server.server_address[1]}/secret.png"
            if target is None:
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", "8")
                self.end_headers()
                self.wfile.write(b"\x89PNG\r\n\x1a\n")
                return
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


def _trust(name: str, expect: str, seconds: float = 90.0):
    """A case of this area (its own default time limit) against a fresh box."""
    return case(name, expect, seconds, area=AREA)


@_trust("a flung URL that redirects into the box", "422 problem JSON naming the refused target for file:, FILE:, "
        "//127.0.0.1:8554, [::1], localhost, link-local and an endless loop; nothing put on the TV")  # fmt: skip
def _flung_redirects(box: LiveBox) -> Outcome:
    token = box.pair()
    problems = []
    with _redirector() as (port, asked), box.client(timeout=30) as c:
        auth = {"Authorization": f"Bearer {token}"}
        for path in TARGETS:
            answer = c.post(f"{API}/actions/play", json={"url": f"http://127.0.0.1:{port}{path}"}, headers=auth)
            why = response_refusal(answer, 422)
            if why:
                problems.append(f"{path}: {why}")
            flung = box.app.box.flung
            if flung is not None:
                problems.append(f"{path}: the TV plays {flung.urls}")
        loops = asked.count("/loop")
    if not 1 <= loops <= 10:
        problems.append(f"the endless redirect was followed {loops} times")
    return outcome(problems, f"422 for each of {len(TARGETS)}; the loop was followed {loops} times")


def _logo_redirects(work: object) -> Outcome:
    from stb.lineup.logo import fetch

    problems = []
    with _redirector() as (port, asked):
        for path in ("/logo-elsewhere", "/to-file", "/to-link-local"):
            try:
                data = fetch(f"http://127.0.0.1:{port}{path}")
            except (OSError, ValueError) as exc:
                if "does not open" not in str(exc) and "not allowed" not in str(exc):
                    problems.append(f"{path}: refused for another reason: {exc}")
                continue
            problems.append(f"{path}: fetched {len(data)} bytes")
        if "/secret.png" in asked:
            problems.append("the box fetched /secret.png on loopback for a redirecting server")
    return outcome(problems, "refused each")


def _relay_redirects(work: object) -> Outcome:
    """A playlist's channel URL whose server redirects into the box: the relay (other screens, the keyframe
    cache) must not read the box's own loopback or link-local services and serve them on."""
    import asyncio

    from stb.relay.upstream import UpstreamError, read_ts

    async def first(url: str) -> bytes:
        async with contextlib.aclosing(read_ts(url, {}, stall_s=10)) as chunks:
            async for chunk in chunks:
                return chunk
        return b""

    problems = []
    with _redirector() as (port, _):
        # named as the other loopback name, so each target is a host the playlist did not name
        origins = {"/to-loopback": "localhost", "/to-localhost": "127.0.0.1", "/to-v6-loopback": "127.0.0.1",
                   "/to-link-local": "127.0.0.1", "/to-file": "127.0.0.1", "/to-FILE": "127.0.0.1"}  # fmt: skip
        for path, host in origins.items():
            try:
                data = asyncio.run(first(f"http://{host}:{port}{path}"))
            except UpstreamError as exc:
                if "does not open" not in str(exc) and "cannot read" not in str(exc):
                    problems.append(f"{path}: refused for another reason: {exc}")
                continue
            problems.append(f"{path}: the relay read {len(data)} bytes")
    return outcome(problems, f"the relay refused each of {len(origins)}")


RELAY = Case(AREA, "a channel URL that redirects into the box, read by the relay", "the relay refuses to follow "
             "it to loopback, [::1], localhost, link-local or file: (it would serve those bytes to the LAN)",
             _relay_redirects, seconds=30)  # fmt: skip
LOGOS = Case(AREA, "a channel logo that redirects to loopback", "the logo is refused: the box does not fetch "
             "http://127.0.0.1/… for a server that redirects there, nor file: or link-local", _logo_redirects,
             seconds=30)  # fmt: skip
CASES = [_flung_redirects, LOGOS, RELAY]
