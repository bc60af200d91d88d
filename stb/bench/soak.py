"""`stb bench soak`: the whole box used for a long while; RSS, file descriptors and threads must stay flat.

The box runs as `stb run` runs it (headless App: UI, libVLC, guide, HTTP API, relay) on the demo
head-end's line-up, broken channels included. A seeded random mix of what a household does, round
after round, until ``rounds`` or ``max_seconds``:

- zaps (up, down, last, a number) with the remote;
- the guide opened, scrolled a page or two and closed; the channel list opened and closed;
- another screen reading a channel or the TV's live stream through the relay for a moment, then
  hanging up (so every round of these is a reconnect);
- a phone asking for the state and listening to the event stream for a moment.

RSS, open file descriptors and threads (libVLC's native ones included: /proc counts them all) are
read after a settled start and again after the same settling at the end: on the same channel, no
screen open, no client connected and the relay's feeds stopped, so the two readings describe the
same steady state. Client errors (a relay stream that ended early, an API call that failed) are
counted: on good channels there must be none.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import os
import random
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

from stb.bench.relay_box import Tv, get_json, start_paired
from stb.bench.zap import GOOD_CHANNELS
from stb.errors import StbError

SETTLE_S = 4.0
CLIENT_SECONDS = (0.5, 2.0)  # how long another screen or a phone stays, at random
FEEDS_STOP_TIMEOUT_S = 30.0  # the relay lingers 10 s after the last client before it stops a feed
ACTIONS = ("zap", "guide", "list", "relay", "phone")


def _resources() -> dict:
    with open("/proc/self/status") as status:
        rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {
        "rss_mb": round(rss_kb / 1024, 1),
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
    }


def _trimmed() -> float | None:
    """RSS after asking glibc to hand freed memory back (malloc_trim): what is really still in use."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return None
    ctypes.CDLL(name).malloc_trim(0)
    return _resources()["rss_mb"]


class Household:
    """The people using the box: the remote on the UI thread, other screens and phones on threads of their own."""

    def __init__(self, app, tv: Tv, token: str, rng: random.Random) -> None:
        self.app, self.tv, self.token, self.rng = app, tv, token, rng
        self.port = app.net.bound_port
        self.numbers = [c.number for c in app.box.lineup.channels]
        self.good_ids = [c.id for c in app.box.lineup.channels if c.number in GOOD_CHANNELS]
        self.done = dict.fromkeys(ACTIONS, 0)
        self.errors: list[str] = []
        self._clients: list[threading.Thread] = []
        self._lock = threading.Lock()

    # the remote, on the UI thread
    def zap(self) -> None:
        choice = self.rng.random()
        if choice < 0.5:
            self.app.act(self.rng.choice(["channel_up", "channel_down", "last_channel"]))
        else:
            self.app.box.zap_number(self.rng.choice(self.numbers))

    def browse(self, screen: str) -> None:
        self.app.act(screen)
        for _ in range(self.rng.randint(2, 8)):
            self.tv.step()
            self.app.act(self.rng.choice(["down", "down", "right", "channel_down", "up", "left"]))
        self.tv.step()
        self.app.act("back")

    # other screens and phones, each on a thread of its own
    def _get(self, path: str, seconds: float | None = None) -> int:
        """GET ``path``; with ``seconds``, read the body for that long and hang up. Bytes read."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            sock = conn.sock  # kept: the response reads from it, and its time-out ends the reading on time
            reply = conn.getresponse()
            if reply.status != 200:
                raise StbError(f"HTTP {reply.status}")
            if seconds is None:
                return len(reply.read())
            got, end = 0, time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    chunk = reply.read1(65536)
                except TimeoutError:
                    break  # quiet until the end of the visit (an event stream between events): fine
                if not chunk:
                    raise StbError(f"the stream ended after {got} bytes")
                got += len(chunk)
            return got
        finally:
            conn.close()

    def _client(self, kind: str, path: str, seconds: float | None, must_get: bool) -> None:
        try:
            got = self._get(path, seconds)
            if must_get and not got:
                raise StbError("no data")
        except (OSError, http.client.HTTPException, StbError) as exc:  # HTTPException: a body cut short
            with self._lock:
                self.errors.append(f"{kind} {path.split('?')[0]}: {exc}")

    def _spawn(self, kind: str, path: str, seconds: float | None, must_get: bool) -> None:
        thread = threading.Thread(target=self._client, args=(kind, path, seconds, must_get), daemon=True)
        thread.start()
        self._clients = [t for t in self._clients if t.is_alive()] + [thread]

    def relay(self) -> None:
        seconds = self.rng.uniform(*CLIENT_SECONDS)
        if self.rng.random() < 0.5:
            self._spawn("relay", f"/stream/channel/{self.rng.choice(self.good_ids)}", seconds, must_get=True)
        else:  # the TV may be on a broken channel: the live stream then has nothing to send, which is right
            self._spawn("relay", "/stream/live", seconds, must_get=False)

    def phone(self) -> None:
        self._spawn("phone", "/api/v1/state", None, must_get=True)
        self._spawn("phone", "/api/v1/events", self.rng.uniform(*CLIENT_SECONDS), must_get=True)

    def act(self) -> None:
        kind = self.rng.choices(ACTIONS, weights=(5, 2, 1, 2, 2))[0]
        {"zap": self.zap, "guide": lambda: self.browse("guide"), "list": lambda: self.browse("list"),
         "relay": self.relay, "phone": self.phone}[kind]()  # fmt: skip
        self.done[kind] += 1

    def hang_up(self) -> None:
        """Wait for every client to finish (each is bounded by its time-outs), running the UI meanwhile."""
        end = time.monotonic() + 15
        while any(t.is_alive() for t in self._clients) and time.monotonic() < end:
            self.tv.step()
        if any(t.is_alive() for t in self._clients):
            self.errors.append("a client did not finish within 15 s")

    def fds(self) -> list[str]:
        """What the open file descriptors are (sockets, pipes, files): to tell a leak's kind when fds grow."""
        names = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                names.append(re.sub(r"\[\d+\]", "", os.readlink(f"/proc/self/fd/{fd}")))
        return sorted(names)

    def upstreams(self) -> int:
        return get_json(f"http://127.0.0.1:{self.port}/api/v1/relay", self.token)["upstreams"]

    def tv_feeds(self) -> int:
        """Channels the TV's own relay reads (the one on screen, and those left lingering their 10 s)."""
        for service in self.app.services:
            local = getattr(service, "local", None)
            relay = getattr(local, "_relay", None)
            if relay is not None:
                return len(relay.feeds)
        return 0

    def warm_up(self) -> None:
        """Open each screen once first: fonts, logos and the guide's pages load on first use, and caches
        filling are not a leak; the start reading is taken once they are there."""
        for screen in ("guide", "list"):
            self.browse(screen)
        self.relay()
        self.phone()
        self.hang_up()

    def settle(self) -> None:
        """The same steady state for both readings: channel 2 after 3, no screen open, no relay feed running."""
        self.app.stack.clear()
        self.app.box.zap_number(3)
        self.app.box.zap_number(2)
        self.tv.run_for(SETTLE_S)
        end = time.monotonic() + FEEDS_STOP_TIMEOUT_S
        while (self.upstreams() or self.tv_feeds() > 1) and time.monotonic() < end:
            self.tv.run_for(1.0)
        gc.collect()  # closed screens in reference cycles hold their fonts (and files) until a collection


def run(rounds: int, dwell: float, pretune: int, max_seconds: float, seed: int = 1) -> dict:
    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.headend.catalog import demo_lineup
    from stb.headend.process import headend_on_free_port

    rng = random.Random(seed)
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with tempfile.TemporaryDirectory(prefix="stb-bench-soak-") as tmp, headend_on_free_port() as (_, port):
        app = build_app(demo_lineup("127.0.0.1", port), headless=True, store=StateStore(Path(tmp)),
                  guide_db=Path(tmp) / "guide.db", pretune=pretune, api_port=0)  # fmt: skip
        try:
            token, tv = start_paired(app, "stb bench soak", "soak benchmark")
            app.net.ctx.limits.raise_for_one_client(64)  # its screens and phones share one token and loopback
            house = Household(app, tv, token, rng)
            house.warm_up()
            house.settle()
            start, fds_at_start = _resources(), house.fds()
            began, done, lates = time.monotonic(), 0, []
            curve = []  # RSS along the way: a plateau is allocator slack, a slope is a leak
            while done < rounds and time.monotonic() - began < max_seconds:
                if done % max(1, rounds // 10) == 0:
                    curve.append((done, _resources()["rss_mb"]))
                house.act()
                end = time.monotonic() + rng.uniform(0, dwell)
                while time.monotonic() < end:
                    lates.append(tv.step()[0])
                done += 1
            seconds = time.monotonic() - began
            house.hang_up()
            house.settle()
            end_reading, fds_at_end = _resources(), house.fds()
            end_trimmed = _trimmed()
        finally:
            app.close()
    lates_ms = sorted(late * 1000 for late in lates) or [0.0]
    return {
        "rounds": done,
        "seconds": round(seconds, 1),
        "actions": house.done,
        "client_errors": house.errors,
        "ui_late_ms": {
            "p50": round(statistics.median(lates_ms), 1),
            "p99": round(lates_ms[min(len(lates_ms) - 1, int(0.99 * len(lates_ms)))], 1),
            "max": round(lates_ms[-1], 1),
        },
        "start": start,
        "end": end_reading,
        "growth": {k: round(end_reading[k] - start[k], 1) for k in start},
        "fds_opened": (opened := _difference(fds_at_end, fds_at_start)),
        # the font cache opens a face once per size first drawn (bounded by the skin's sizes): not a leak
        "fds_opened_not_fonts": sum(n for name, n in opened.items() if not name.endswith((".ttf", ".otf"))),
        "fds_closed": _difference(fds_at_start, fds_at_end),
        "rss_curve": curve,
        "end_rss_after_malloc_trim_mb": end_trimmed,
    }


def _difference(a: list[str], b: list[str]) -> dict[str, int]:
    """What ``a`` has more of than ``b``, by kind ("socket:", "pipe:", a path)."""
    from collections import Counter

    return dict(Counter(a) - Counter(b))


def render(d: dict) -> str:
    s, e, g = d["start"], d["end"], d["growth"]
    actions = ", ".join(f"{n} {kind}" for kind, n in d["actions"].items())
    errors = d["client_errors"]
    return "\n".join([
        f"soak: {d['rounds']} rounds in {d['seconds']} s ({actions})",
        f"  RSS     {s['rss_mb']:>8} MB -> {e['rss_mb']:>8} MB  ({g['rss_mb']:+})",
        f"  fds     {s['fds']:>8}    -> {e['fds']:>8}     ({g['fds']:+})",
        f"  threads {s['threads']:>8}    -> {e['threads']:>8}     ({g['threads']:+})",
        f"  fds opened since the start: {d['fds_opened'] or 'none'}; closed: {d['fds_closed'] or 'none'}",
        "  RSS along the way: " + "  ".join(f"{n}:{mb:.0f}" for n, mb in d["rss_curve"]),
        f"  RSS at the end after malloc_trim: {d['end_rss_after_malloc_trim_mb']} MB (freed memory glibc kept)",
        f"  UI frames late: p50 {d['ui_late_ms']['p50']} ms, p99 {d['ui_late_ms']['p99']} ms, "
        f"max {d['ui_late_ms']['max']} ms",
        f"  client errors: {len(errors)}" + "".join(f"\n    {e}" for e in errors[:10]),
    ])  # fmt: skip
