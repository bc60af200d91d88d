"""The relay bench's hold on the box and its clients: the box's UI loop run as `stb run` runs it (``Tv``), a
client process and its events (``Client``), CPU time per thread and per process, and a box paired and started
with its first picture on the TV (``start_paired``). The soak bench and the reliability cases' TV lab use them too.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable

from stb.bench.relay_report import pct
from stb.errors import StbError

EVENT_TIMEOUT_S = 15.0
FIRST_FRAME_TIMEOUT_S = 20.0
VIDEO_GAP_S = 0.1  # 25 fps: a gap this long means at least two pictures missing


def thread_cpu_s(tid: int) -> float:
    """CPU time of one thread of this process, in ns resolution where the kernel keeps schedstats."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int | str = "self") -> float:
    """User + system time of every thread of a process (children not included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get_json(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


class Tv:
    """The box's UI thread: ``App.step`` at 30 Hz as `stb run` runs it, with what it drew when asked."""

    def __init__(self, app, label: str = "relay benchmark") -> None:
        from stb.ui.app import FPS

        self.app, self.label = app, label
        self.frame_s = 1 / FPS
        self.next_frame = time.monotonic()

    def step(self) -> tuple[float, float]:
        """One frame; (how late it started, how long it took) in seconds."""
        started = time.monotonic()
        late = started - self.next_frame
        self.app.step()
        took = time.monotonic() - started
        self.next_frame = max(self.next_frame + self.frame_s, time.monotonic())
        self.app.wait_for_frame(self.next_frame)
        return late, took

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.step()

    def run_until(self, done: Callable[[], bool], timeout: float, failure: str) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise StbError(f"{self.label}: {failure} within {timeout:.0f} s")
            self.step()

    def measure(self, seconds: float) -> dict:
        """Run for ``seconds``: the UI's late frames and the TV player's pictures (rate, gaps)."""
        frames = self.app.player.frames
        start = time.monotonic()
        seen, pictures, lates, tooks = start, [], [], []
        while (now := time.monotonic()) - start < seconds:
            late, took = self.step()
            lates.append(late)
            tooks.append(took)
            fresh = [t for t in list(frames.recent) if t > seen]
            pictures += fresh
            seen = fresh[-1] if fresh else seen
        gaps = [b - a for a, b in zip([start, *pictures], [*pictures, now], strict=True)]
        return {
            "ui_frames": len(tooks),
            "ui_late_frames": sum(late > self.frame_s for late in lates),  # a 30 Hz slot missed
            "ui_step_p99_ms": round(pct(tooks, 0.99) * 1000, 1),
            "video_fps": round(len(pictures) / (now - start), 1),
            "video_gaps": sum(g > VIDEO_GAP_S for g in gaps),
            "video_max_gap_ms": round(max(gaps) * 1000, 1),
        }


class Client:
    """A :mod:`stb.bench.relay_clients` process; its JSON-line events collected by a reader thread."""

    def __init__(self, job: dict) -> None:
        from stb.children import die_with_parent_hook

        self.process = subprocess.Popen(
            [sys.executable, "-m", "stb.bench.relay_clients", json.dumps(job)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent_hook(),
        )  # fmt: skip
        self.events: list[dict] = []
        self._incoming: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self._incoming.put(json.loads(line))
        self._incoming.put({"event": "exit"})

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def find(self, match: Callable[[dict], bool]) -> dict | None:
        while True:
            try:
                self.events.append(self._incoming.get_nowait())
            except queue.Empty:
                break
        return next((e for e in self.events if match(e)), None)

    def wait(self, tv: Tv, match: Callable[[dict], bool], failure: str, timeout: float = EVENT_TIMEOUT_S) -> dict:
        """The first event that matches, running the TV meanwhile; StbError after ``timeout``."""
        found: list[dict] = []

        def done() -> bool:
            event = self.find(match)
            if event is None and self.find(lambda e: e["event"] in ("exit", "error")):
                raise StbError(f"relay benchmark: {failure}: the client says {self.events[-1]}")
            found[:] = [event] if event else []
            return bool(found)

        tv.run_until(done, timeout, failure)
        return found[0]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_paired(app, device: str, label: str) -> tuple[str, Tv]:
    """Pair ``device`` with the box (the code read off it, as a person would), start it, wait for the TV's
    first picture; the token and the box's UI loop."""
    from stb.player.engine import PlaybackState

    pending = app.auth.begin(device)
    _, token = app.auth.complete(pending.id, pending.code)
    app.start()
    if app.net is None:
        raise StbError(f"{label}: the box's API did not start")
    tv = Tv(app, label)
    tv.run_until(lambda: app.player.state is PlaybackState.PLAYING, FIRST_FRAME_TIMEOUT_S, "no TV picture")
    return token, tv
