"""A flung URL's redirect into the box's own files and loopback (issue 19, hole 4), and the same for logos.

A real box (``running_box``) is asked to play URLs of a hostile HTTP server on loopback that answers
``302`` to ``file:///etc/passwd``, ``FILE:``, ``//127.0.0.1:8554``, ``[::1]``, ``localhost``, a link-local
address, or itself for ever. libVLC would follow each; the box must refuse each with a problem JSON and put
nothing on the TV. A channel logo behind such a redirect is refused the same way.

The TV's own playback of a playlist's channels, with timeshift and the keyframe cache off, is held to the
same rule: a channel whose server redirects into a local file (a FIFO, so that any open of it shows) or
loopback, and HLS channels whose playlist names such a segment or key, are refused with a notice.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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


def _playlist(*lines: str) -> bytes:
    return "\n".join(["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:1", *lines, ""]).encode()


@contextlib.contextmanager
def _hostile_headend(fifo: Path) -> Iterator[tuple[int, list[str]]]:
    """A playlist's head-end that sends players into the box: redirects to ``fifo`` or loopback, HLS playlists
    naming them; (its port, the paths asked). ``/secret`` stands for a loopback service of the box."""
    asked: list[str] = []
    key = _playlist(
        '#EXT-X-KEY:METHOD=AES-128,URI="http://127.0.0.1:PORT/secret"', "#EXTINF:2,", "http://localhost:PORT/s"
    )
    routes: dict[str, tuple[str, str | bytes]] = {
        "/to-file.ts": ("302", f"file://{fifo}"),
        "/to-FILE.ts": ("302", f"FILE://{fifo}"),
        "/to-loopback.ts": ("302", "//127.0.0.1:PORT/secret"),
        "/file-segment.m3u8": ("200", _playlist("#EXTINF:2,", f"file://{fifo}")),
        "/loopback-segment.m3u8": ("200", _playlist("#EXTINF:2,", "http://127.0.0.1:PORT/secret")),
        "/loopback-key.m3u8": ("200", key),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            status, answer = routes.get(self.path, ("404", b""))
            port = str(server.server_address[1])
            self.send_response(int(status))
            if status == "302":
                self.send_header("Location", str(answer).replace("PORT", port))
                body = b""
            else:
                body = answer.replace(b"PORT", port.encode()) if isinstance(answer, bytes) else b""
                self.send_header("Content-Type", "application/vnd.apple.mpegurl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


class _Opened:
    """Notices any open of a FIFO for reading: a writer's non-blocking open succeeds only while a reader has it."""

    def __init__(self, fifo: Path) -> None:
        self.fifo, self.seen, self._stop = fifo, False, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            try:
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody reads it
                    raise
                continue
            self.seen = True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


PLAYED = ("/to-file.ts", "/to-FILE.ts", "/to-loopback.ts", "/file-segment.m3u8", "/loopback-segment.m3u8",
          "/loopback-key.m3u8")  # fmt: skip
WATCH_S = 12.0  # per channel: a time-out only (the player fails every URL long before)


def _tv_plays_hostile_channels(work: Path) -> Outcome:
    """The TV itself (no API), both switches off, zaps to each hostile channel of its playlist and watches."""
    from stb.assembly import build_app
    from stb.box import Notice
    from stb.config import StateStore
    from stb.lineup.model import Channel, Lineup
    from stb.player.playback import PlaybackState

    fifo = work / "secret.fifo"
    os.mkfifo(fifo)
    problems: list[str] = []
    with _hostile_headend(fifo) as (port, asked):
        # named as "localhost": 127.0.0.1 is then a host the server sends the TV to, not one the playlist named
        channels = [Channel(number=n, id=f"h{n}", name=f"Hostile {n}", urls=[f"http://localhost:{port}{path}"])
                    for n, path in enumerate(PLAYED, start=1)]  # fmt: skip
        app = build_app(Lineup(name="hostile", channels=channels), headless=True, store=StateStore(work / "state"),
                        guide_db=work / "guide.db", pretune=0, keyframe_cache=False, timeshift=False)  # fmt: skip
        notices: list[str] = []
        app.box.subscribe(lambda event: isinstance(event, Notice) and notices.append(event.text))
        opened = _Opened(fifo)
        try:
            app.start()
            for channel in channels:
                said = len(notices)
                app.box.zap(channel.id)
                deadline = time.monotonic() + WATCH_S
                while time.monotonic() < deadline and app.player.state is not PlaybackState.FAILED:
                    app.step()
                    time.sleep(0.01)
                path = PLAYED[channel.number - 1]
                if app.player.state is PlaybackState.PLAYING:
                    problems.append(f"{path}: the TV plays it")
                if not any("does not open" in text for text in notices[said:]) and not path.startswith("/file-seg"):
                    problems.append(f"{path}: no notice says why it is not played (notices: {notices[said:]})")
        finally:
            opened.stop()
            app.close()
        if opened.seen:
            problems.append("libVLC opened the local file a server redirected it to")
        if "/secret" in asked:
            problems.append(f"the TV read the loopback service a server sent it to ({asked.count('/secret')} times)")
    return outcome(problems, f"refused each of {len(PLAYED)}, with a notice; the local file never opened")


TV = Case(AREA, "the TV plays a playlist channel that redirects into the box (switches off)", "timeshift and the "
          "keyframe cache off: a channel redirecting to file: or loopback, and HLS playlists naming a file: or "
          "loopback segment or key, are refused with a notice; libVLC never opens the file or the loopback service",
          _tv_plays_hostile_channels, seconds=180)  # fmt: skip
RELAY = Case(AREA, "a channel URL that redirects into the box, read by the relay", "the relay refuses to follow "
             "it to loopback, [::1], localhost, link-local or file: (it would serve those bytes to the LAN)",
             _relay_redirects, seconds=30)  # fmt: skip
LOGOS = Case(AREA, "a channel logo that redirects to loopback", "the logo is refused: the box does not fetch "
             "http://127.0.0.1/… for a server that redirects there, nor file: or link-local", _logo_redirects,
             seconds=30)  # fmt: skip
CASES = [_flung_redirects, LOGOS, RELAY, TV]
