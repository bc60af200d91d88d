"""A real box on loopback for the stream and fault cases: the TV (headless App, libVLC), its relay, a head-end.

The streams and faults areas both need the same rig: a misbehaving upstream written in the case
(:class:`BadUpstream`), good channels (demo clips at their own rate from a loopback server, or the
demo head-end as a child process when the case breaks the head-end itself), a headless box whose
line-up holds the good channels and the bad one, a paired device, and the TV's UI loop run on the
case's thread at 30 Hz (:class:`stb.bench.relay_box.Tv`) while relay clients read over loopback in
threads of their own (:class:`RelayFetch`). Everything is torn down when the case ends, whatever
happened.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stb.reliability.readers import pair_in_process

GOOD_TV, GOOD_RELAY = 1, 2  # demo channel numbers: the TV starts on one, a relay client watches the other
BAD_NUMBER, BAD_ID = 50, "bad-stream"
PICTURE_S = 20.0  # a good channel shows its own pictures within this (a generous hang guard)
MAX_STEP_S = 1.0  # one UI frame taking this long is a frozen TV, not a slow one
RATE_WINDOW_S = 1.0  # a frame rate is judged over watches at least this long
TS_MIME = "video/mp2t"
CLIP_S = 20.0  # the demo clips' length (stb.headend.media.CLIP_SECONDS)


def free_port() -> int:
    """A loopback port nobody listens on (right now): a dead upstream, or one to start later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- a misbehaving upstream ------------------------------------------------------------------------


class BadUpstream:
    """A loopback HTTP server whose every GET is answered by ``serve(handler, stop)``.

    ``serve`` writes what it likes to ``handler.wfile`` (headers included, see :func:`send_headers`);
    ``stop`` is set when the case ends, so a handler that stalls on purpose returns then.
    """

    def __init__(self, serve: Callable[[BaseHTTPRequestHandler, threading.Event], None]) -> None:
        stop = self.stop = threading.Event()
        self.connections = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection does, like most TS servers

            def do_GET(self) -> None:  # http.server's name
                upstream.connections += 1
                with contextlib.suppress(OSError):  # the box hung up: fine, that is its right
                    serve(self, stop)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bad.ts"
        self._thread = threading.Thread(target=self.server.serve_forever, name="bad upstream", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def send_headers(handler: BaseHTTPRequestHandler, content_type: str = TS_MIME) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.end_headers()
    handler.wfile.flush()


def send_paced(handler: BaseHTTPRequestHandler, data: bytes, bytes_per_s: float, stop: threading.Event) -> None:
    """``data`` at ``bytes_per_s`` (in 50 ms slices), as a live source sends it; returns when sent or stopped."""
    slice_s = 0.05
    step = max(188, int(bytes_per_s * slice_s) // 188 * 188)
    began = time.monotonic()
    for at in range(0, len(data), step):
        if stop.is_set():
            return
        handler.wfile.write(data[at : at + step])
        handler.wfile.flush()
        wait = began + (at + step) / bytes_per_s - time.monotonic()
        if wait > 0:
            stop.wait(wait)


def ffmpeg_ts(out: Path, seconds: float, inputs: list[str], codecs: list[str]) -> bytes:
    """A short MPEG-TS made by ffmpeg from lavfi sources (bounded: ``seconds`` of media); its bytes."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *inputs,
               "-t", str(seconds), *codecs, "-f", "mpegts", str(out)]  # fmt: skip
    subprocess.run(command, check=True, timeout=60, stdin=subprocess.DEVNULL, capture_output=True)
    return out.read_bytes()


def demo_clip(number: int) -> bytes:
    """A demo channel's loop clip (H.264/AAC TS with its marker), from the media cache."""
    from stb.headend.catalog import CHANNELS
    from stb.headend.media import clip_path, ensure_media

    directory = ensure_media().directory
    return clip_path(next(c for c in CHANNELS if c.number == number), directory).read_bytes()


# -- a relay client --------------------------------------------------------------------------------


@dataclass
class RelayFetch:
    """One client of ``/stream/channel/ID`` in a thread: what it got, and how it ended.

    ``ended``: "status" (an error status), "end" (the server ended the stream cleanly), "open" (still
    streaming when the client left), "silent" (no byte for ``silence_s``: a hang), or "error: …".
    """

    url: str
    seconds: float  # the client leaves after this
    silence_s: float  # no byte this long (or no answer this long) is a hang
    status: int | None = None
    problem: str = ""
    received: int = 0
    answered_at: float | None = None
    ended_at: float | None = None
    ended: str = ""
    longest_gap_s: float = 0.0
    last_byte_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)
    _leave: threading.Event = field(default_factory=threading.Event)

    def start(self) -> RelayFetch:
        self._thread = threading.Thread(target=self._run, name="relay client", daemon=True)
        self._thread.start()
        return self

    def leave(self) -> None:
        self._leave.set()

    def join(self) -> RelayFetch:
        self._thread.join(self.seconds + self.silence_s + 5)
        if self._thread.is_alive():
            self.ended = self.ended or "silent"
        return self

    def _run(self) -> None:
        import httpx

        deadline = self.started_at + self.seconds
        try:
            with httpx.Client(timeout=httpx.Timeout(5.0, read=self.silence_s)) as client, \
                    client.stream("GET", self.url) as response:  # fmt: skip
                self.status, self.answered_at = response.status_code, time.monotonic()
                if response.status_code != 200:
                    response.read()
                    self.problem = response.text[:300]
                    self.ended = "status"
                    return
                last = time.monotonic()
                for chunk in response.iter_raw():
                    now = time.monotonic()
                    self.longest_gap_s = max(self.longest_gap_s, now - last)
                    last = now
                    self.received += len(chunk)
                    self.last_byte_at = now
                    if now > deadline or self._leave.is_set():
                        self.ended = "open"
                        return
                self.ended = "end"
        except httpx.ReadTimeout:
            self.ended = "silent"
        except httpx.HTTPError as exc:
            self.ended = f"error: {type(exc).__name__}: {exc}"
        finally:
            self.ended_at = time.monotonic()

    def took(self) -> float:
        return (self.ended_at or time.monotonic()) - self.started_at

    def describe(self) -> str:
        if self.ended == "status":
            return f"{self.status} after {self.took():.1f} s ({self.problem[:120]})"
        kib, gap = self.received // 1024, self.longest_gap_s
        return f"{self.ended} after {self.took():.1f} s, {kib} KiB, longest gap {gap:.1f} s"


# -- the box ---------------------------------------------------------------------------------------


@dataclass
class TvWatch:
    """What the TV did while it was watched: states seen (first time each), frames drawn, slowest frame."""

    states: dict[str, float] = field(default_factory=dict)  # state → seconds after the watch began
    texts: list[str] = field(default_factory=list)  # what the OSD said (centre message, notices), in order
    frames: int = 0
    seconds: float = 0.0
    slowest_step_s: float = 0.0

    @property
    def kept_drawing(self) -> bool:
        """The UI went on at a usable rate (half its 30 Hz at least) and no frame froze it. A rate needs a second to
        mean anything: over a shorter watch (one slow first frame on a loaded machine) only the freeze counts."""
        rate_ok = self.seconds < RATE_WINDOW_S or self.frames >= 15 * self.seconds
        return self.slowest_step_s < MAX_STEP_S and rate_ok

    def describe(self) -> str:
        seen = ", ".join(f"{state} at {at:.1f} s" for state, at in self.states.items())
        said = "; ".join(dict.fromkeys(self.texts)) or "nothing"
        return (f"{seen}; OSD said {said!r}; {self.frames} frames in {self.seconds:.1f} s, "
                f"slowest {self.slowest_step_s * 1000:.0f} ms")  # fmt: skip


class BoxLab:
    """A headless box with two good channels (1, 2) plus ``bad_url`` as channel 50, and a paired device.

    The good channels come from the demo head-end (``headend=True``: a child process on ``headend_port``,
    started now unless ``headend_up=False``, for the faults that break the head-end itself) or, cheaper,
    from demo clips sent at their own rate by a loopback server in this process.
    """

    def __init__(self, work: Path, bad_url: str | None = None, headend: bool = False, headend_up: bool = True,
                 wait_for_picture: bool = True, timeshift: bool = False) -> None:  # fmt: skip
        self.work = work
        self.bad_url = bad_url
        self.port = free_port()
        self.headend: subprocess.Popen | None = None
        self._use_headend, self._headend_up = headend, headend_up
        self._wait_for_picture = wait_for_picture
        self._timeshift = timeshift
        self._good: BadUpstream | None = None
        self.app = None
        self.tv = None
        self.token = ""
        self.fetches: list[RelayFetch] = []

    def __enter__(self) -> BoxLab:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> None:
        from stb.assembly import build_app
        from stb.bench.relay_box import Tv, start_paired
        from stb.config import StateStore
        from stb.lineup.model import Channel, Lineup

        channels = self._good_channels()
        if self.bad_url is not None:
            channels.append(Channel(number=BAD_NUMBER, id=BAD_ID, name="Bad Stream", urls=[self.bad_url]))
        lineup = Lineup(name="reliability", channels=channels)
        self.app = build_app(lineup, headless=True, store=StateStore(self.work / "state"), guide_db=self.work / "g.db",
                       pretune=0, api_port=0, timeshift=self._timeshift)  # fmt: skip
        if self._wait_for_picture:
            self.token, self.tv = start_paired(self.app, "reliability client", "reliability case")
        else:
            _, self.token = pair_in_process(self.app, "reliability client")
            self.app.start()
            self.tv = Tv(self.app, "reliability case")

    def _good_channels(self) -> list:
        from stb.headend.catalog import demo_lineup

        demo = [c for c in demo_lineup("127.0.0.1", self.port).channels if c.number in (GOOD_TV, GOOD_RELAY)]
        if self._use_headend:
            if self._headend_up:
                self.start_headend()
            return demo
        clips = {f"/{n}.ts": demo_clip(n) for n in (GOOD_TV, GOOD_RELAY)}

        def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
            clip = clips[handler.path]
            send_headers(handler)
            while not stop.is_set():  # a live channel: the clip again and again at its own rate
                send_paced(handler, clip, len(clip) / CLIP_S, stop)

        self._good = BadUpstream(serve)
        base = self._good.url.rsplit("/", 1)[0]
        return [c.model_copy(update={"urls": [f"{base}/{c.number}.ts"], "logo": None}) for c in demo]

    def start_headend(self) -> None:
        from stb.headend.process import start_headend_process, wait_until_ready

        self.headend = start_headend_process("127.0.0.1", self.port)
        wait_until_ready(self.headend, "127.0.0.1", self.port)

    def kill_headend(self) -> None:
        """SIGKILL, as a crash or a power cut would end it (no goodbye to its viewers)."""
        if self.headend is not None:
            self.headend.kill()
            self.headend.wait(10)
            self.headend = None

    def close(self) -> None:
        from stb.headend.process import stop_headend_process

        for fetch in self.fetches:
            fetch.leave()
        if self.app is not None:
            self.app.close()
            self.app = None
        if self.headend is not None:
            stop_headend_process(self.headend)
            self.headend = None
        if self._good is not None:
            self._good.close()
            self._good = None

    # -- the relay ---------------------------------------------------------------------------------
    def fetch(self, channel_id: str, seconds: float, silence_s: float) -> RelayFetch:
        """Start a paired client reading ``/stream/channel/ID`` from the box's relay."""
        url = f"http://127.0.0.1:{self.app.net.bound_port}/stream/channel/{channel_id}?token={self.token}"
        fetch = RelayFetch(url, seconds, silence_s).start()
        self.fetches.append(fetch)
        return fetch

    def good_relay_id(self) -> str:
        return self.app.box.lineup.by_number(GOOD_RELAY).id

    # -- the TV ------------------------------------------------------------------------------------
    def watch(self, until: Callable[[], bool], timeout: float) -> TvWatch:
        """Run the TV's loop until ``until()`` or ``timeout``: states it went through, what it said, frame times."""
        seen = TvWatch()
        began = time.monotonic()
        while True:
            _, took = self.tv.step()
            now = time.monotonic()
            seen.frames += 1
            seen.slowest_step_s = max(seen.slowest_step_s, took)
            state = self.app.player.state.value
            seen.states.setdefault(state, round(now - began, 2))
            seen.texts += self.osd_texts()
            if until() or now - began > timeout:
                seen.seconds = now - began
                return seen

    def osd_texts(self) -> list[str]:
        """What the live screen shows over the picture now: the state's centre message, the banner's
        reason, a notice."""
        screen, player = self.app.screen, self.app.player
        texts = [message] if (message := screen.centre_message()) else []
        if player.error:
            texts.append(f"({player.error})")
        if screen.notice and time.monotonic() < screen.notice_until:
            texts.append(screen.notice)
        return texts

    def zap(self, number: int) -> None:
        self.app.box.zap_number(number)

    def shows_channel(self, number: int, since: float) -> bool:
        """The TV plays and its newest picture, newer than ``since``, carries channel ``number``'s marker."""
        from stb.bench.zap import channel_on_screen
        from stb.player.engine import PlaybackState

        player = self.app.player
        return (player.state is PlaybackState.PLAYING and (player.frames.last_frame_at or 0.0) > since
                and channel_on_screen(player) == number)  # fmt: skip

    def back_to_good(self) -> tuple[bool, float]:
        """Zap to the good channel: (its pictures came, seconds it took)."""
        pressed = time.monotonic()
        self.zap(GOOD_TV)
        self.watch(lambda: self.shows_channel(GOOD_TV, pressed), PICTURE_S)
        return self.shows_channel(GOOD_TV, pressed), time.monotonic() - pressed


@contextlib.contextmanager
def bad_upstream(serve: Callable[[BaseHTTPRequestHandler, threading.Event], None]) -> Iterator[BadUpstream]:
    upstream = BadUpstream(serve)
    try:
        yield upstream
    finally:
        upstream.close()
