"""`stb bench pvr`'s timeshift figures: key → picture on the TV's own buffer, beside plain libVLC on the same content.

A headless box (the real App: UI loop, libVLC, the TV's relay writing the channel on screen to disk) on
the demo head-end, joined at the live edge as an ordinary server lets players in. Each transport key is
pressed through the TV core, as the remote's key reaches it, and timed until the decoder counts a new
picture. The baselines are what a player without our index does with the same content, in the same run:
libVLC pausing and resuming the live HTTP stream itself, opening the buffer's bytes (one TS file served
over HTTP with byte ranges) at a start time it must find by itself, and re-joining the live stream.
Trick play reports the longest wait for a new picture while winding at ×8 and ×32, both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from stb.errors import StbError
from stb.lineup.model import Lineup
from stb.tv.timeshift import SPEEDS

BUFFER_S = 40.0  # filled before measuring (the default): skips and start over need a past to go to
ROUNDS = 5
SETTLE_S = 1.0
PICTURE_TIMEOUT_S = 15.0
WIND_S = 4.0  # each trick-play run winds this long
POLL_S = 0.002
BLACK = 24  # no sampled byte brighter than this: a black (empty) picture


def _decoded(player) -> int:
    counts = player.adapter.counts()
    return counts.video if counts is not None else 0


def _picture(player) -> int | None:
    """A cheap fingerprint of the picture on screen (every 4099th byte): the demo's pictures all move.

    The decoder's count lags ~0.3 s behind the screen and libVLC re-displays the last picture under a new
    input's id, so neither tells when the viewer sees a new picture; the pixels do.
    """
    with player.frames.front() as frame:
        if frame is None:
            return None
        sample = bytes(frame[0][::4099])
    return hash(sample) if max(sample, default=0) > BLACK else None  # a new input's first, empty buffer: no picture


class Screen:
    """Waits for a new picture on screen after a key: one displayed after the key's action, and different from the
    picture shown once the action returned (a reopen stops the old input inside the action: its last pictures,
    displayed meanwhile, are not the new one)."""

    def __init__(self, player) -> None:
        self.player, self.pressed = player, time.monotonic()
        self.before: int | None = None

    def press(self, action: Callable[[], object]) -> None:
        action()
        self.before = _picture(self.player)

    def changed(self) -> bool:
        frames = self.player.frames
        if frames.last_frame_at <= self.pressed:
            return False
        now = _picture(self.player)
        return now is not None and now != self.before


class Box:
    """A headless box with timeshift on, stepped on this thread (its UI thread)."""

    def __init__(self, lineup: Lineup, directory: Path) -> None:
        from stb.assembly import build_app
        from stb.config import StateStore

        self.app = build_app(lineup, headless=True, store=StateStore(directory / "state"),
                             guide_db=directory / "guide.db", pretune=0, timeshift=True)  # fmt: skip
        self.app.start()
        shift = self.app.tv.timeshift
        if shift is None:
            raise StbError("pvr benchmark: the TV's relay did not start, so there is no timeshift")
        self.shift = shift

    def step_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.step()
            time.sleep(1 / 60)

    def until(self, check: Callable[[], bool], what: str, timeout: float = PICTURE_TIMEOUT_S) -> None:
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise StbError(f"pvr benchmark: {what} did not happen in {timeout:.0f} s")
            self.app.step()
            time.sleep(1 / 120)

    def press(self, action: Callable[[], object]) -> float:
        """Do ``action`` and step until the player on screen decodes a new picture; milliseconds."""
        screen = Screen(self.app.player)
        screen.press(action)
        self.until(screen.changed, "a new picture")
        return (time.monotonic() - screen.pressed) * 1000

    def close(self) -> None:
        self.app.close()


def _wind_gap(box: Box, direction: int, speed: int) -> float:
    """The longest wait (ms) for a new picture while winding at ``speed`` for ``WIND_S``."""
    shift = box.shift
    for _ in range(len(SPEEDS) + 1):
        if abs(shift.speed) == speed and (shift.speed > 0) == (direction > 0):
            break
        shift.wind(direction)
    last, seen, longest = time.monotonic(), _picture(box.app.player), 0.0
    end = last + WIND_S
    while (now := time.monotonic()) < end and shift.speed:
        box.app.step()
        current = _picture(box.app.player)
        if current is not None and current != seen:
            longest, last, seen = max(longest, now - last), now, current
        time.sleep(POLL_S)
    longest = max(longest, time.monotonic() - last) if shift.speed else longest
    return longest * 1000


def measure_box(lineup: Lineup, directory: Path, buffer_s: float = BUFFER_S) -> tuple[dict, Path]:
    """Our figures; also returns a TS file of what the buffer held, for the baseline."""
    box = Box(lineup, directory)
    try:
        app, shift = box.app, box.shift
        box.until(lambda: app.player.state.value == "playing", "the first channel", timeout=30)
        box.until(lambda: (w := shift.window()) is not None and w.live_at - w.start_at >= buffer_s,
                  f"{buffer_s:.0f} s of buffer", timeout=buffer_s * 3 + 30)  # fmt: skip
        pause_resume, skips, starts = [], [], []
        for _ in range(ROUNDS):
            shift.toggle_pause()
            box.step_for(SETTLE_S)
            pause_resume.append(box.press(shift.toggle_pause))
            box.step_for(SETTLE_S)
        for _ in range(ROUNDS):
            skips.append(box.press(lambda: shift.skip(-30)))
            box.step_for(SETTLE_S)
            skips.append(box.press(lambda: shift.skip(10)))
            box.step_for(SETTLE_S)
        back_to_live = []
        for _ in range(ROUNDS):
            back_to_live.append(box.press(shift.go_live))
            box.step_for(SETTLE_S)
            shift.skip(-20)
            box.step_for(SETTLE_S)
        for _ in range(ROUNDS):  # the programme began 35 s ago (the demo's guide has none this short)
            starts.append(box.press(lambda: shift.start_over(time.time() - 35)))
            box.step_for(SETTLE_S)
        gaps = {}
        for speed in (8, 32):
            shift.seek(0.0)  # the buffer's first moment
            box.step_for(SETTLE_S)
            gaps[f"forward_x{speed}"] = _wind_gap(box, 1, speed)
            shift.go_live()
            box.step_for(SETTLE_S)
            gaps[f"rewind_x{speed}"] = _wind_gap(box, -1, speed)
            shift.go_live()
            box.step_for(SETTLE_S)
        held = _copy_buffer(app, directory / "buffer.ts")
    finally:
        box.close()
    figures = {
        "pause_resume_ms": _p50(pause_resume), "skip_p50_ms": _p50(skips), "skip_p90_ms": _p90(skips),
        "back_to_live_ms": _p50(back_to_live), "start_over_ms": _p50(starts),
        "trick_max_gap_ms": round(max(gaps.values()), 1), "trick_gaps_ms": {k: round(v, 1) for k, v in gaps.items()},
    }  # fmt: skip
    return figures, held


def _copy_buffer(app, path: Path) -> Path:
    """The channel's buffer as one TS file (segments in order), copied while the box still holds it."""
    local = app.services[-1].local
    writers = local.shift
    channel = app.box.current
    buffer = writers.buffers[channel.id]
    with path.open("wb") as out:
        for segment in list(buffer.segments):
            with contextlib.suppress(FileNotFoundError):
                out.write(segment.path.read_bytes())
    return path


def measure_baseline(lineup: Lineup, held: Path) -> dict:
    """Plain libVLC: pause/resume of the live HTTP stream, opening the same TS file at a time, re-joining live."""
    from stb.player.engine import Engine, EngineOptions

    engine = Engine(EngineOptions())
    player = engine.create_player("baseline")
    adapter = player.adapter
    live_url = lineup.channels[0].urls[0]
    try:
        with _file_server(held) as file_url:
            pause_resume, opens, joins = [], [], []
            adapter.open(live_url, [])
            _wait(lambda: _decoded(player) > 0)
            for _ in range(ROUNDS):
                adapter.set_pause(True)
                time.sleep(SETTLE_S)
                pause_resume.append(_timed(player, lambda: adapter.set_pause(False)))
                time.sleep(SETTLE_S)
            for i in range(2 * ROUNDS):
                opens.append(_timed(player, lambda i=i: adapter.open(file_url, [f":start-time={5 + 3 * i}"])))
                time.sleep(SETTLE_S)
            for _ in range(ROUNDS):
                joins.append(_timed(player, lambda: adapter.open(live_url, [])))
                time.sleep(SETTLE_S)
    finally:
        player.release()
        engine.release()
    return {"pause_resume_ms": _p50(pause_resume), "seek_p50_ms": _p50(opens), "seek_p90_ms": _p90(opens),
            "rejoin_live_ms": _p50(joins)}  # fmt: skip


def _timed(player, action: Callable[[], object]) -> float:
    """``action``, then milliseconds until a new picture is on screen."""
    screen = Screen(player)
    screen.press(action)
    _wait(screen.changed)
    return (time.monotonic() - screen.pressed) * 1000


def _wait(check: Callable[[], bool]) -> None:
    end = time.monotonic() + PICTURE_TIMEOUT_S
    while not check():
        if time.monotonic() > end:
            raise StbError("pvr benchmark: the baseline player showed no picture")
        time.sleep(POLL_S)


@contextlib.contextmanager
def _file_server(path: Path) -> Iterator[str]:
    """``path`` over loopback HTTP with byte ranges (Starlette's FileResponse), as a plain web server offers it."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    async def serve(request):
        return FileResponse(path, media_type="video/mp2t")

    config = uvicorn.Config(Starlette(routes=[Route("/buffer.ts", serve)]), host="127.0.0.1", port=0,
                            log_level="warning", lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    _wait_started(server)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/buffer.ts"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait_started(server) -> None:
    end = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > end:
            raise StbError("pvr benchmark: the file server did not start")
        time.sleep(0.01)


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def _p90(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)


def run(lineup: Lineup, buffer_s: float = BUFFER_S) -> dict:
    """The timeshift block of the report: ours, the baseline, and baseline ÷ ours (>1: we are faster)."""
    plain = Lineup(name=lineup.name, channels=[c.model_copy(update={"urls": [u + "?join=live" for u in c.urls]})
                                               for c in lineup.channels[:2]])  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="stb-bench-pvr-") as tmp:
        ours, held = measure_box(plain, Path(tmp), buffer_s)
        baseline = measure_baseline(plain, held)
    pairs = {
        "pause_resume": ("pause_resume_ms", "pause_resume_ms"),
        "skip": ("skip_p50_ms", "seek_p50_ms"),
        "start_over": ("start_over_ms", "seek_p50_ms"),
        "back_to_live": ("back_to_live_ms", "rejoin_live_ms"),
    }
    ratios = {name: round(baseline[b] / max(ours[o], 0.1), 2) for name, (o, b) in pairs.items()}  # fmt: skip
    return {**ours, "buffer_s": buffer_s, "baseline": baseline, "speedup_vs_baseline": ratios}


def render(report: dict) -> list[str]:
    b, r = report["baseline"], report["speedup_vs_baseline"]
    gaps = ", ".join(f"{name.replace('_x', ' ×')} {ms:.0f}" for name, ms in report["trick_gaps_ms"].items())
    return [
        f"timeshift: key → new picture on the TV (a {report['buffer_s']:.0f} s buffer of a demo channel at its "
        "live edge), beside plain libVLC on the same content",
        f"  pause → resume {report['pause_resume_ms']:.0f} ms (libVLC pausing the live stream: "
        f"{b['pause_resume_ms']:.0f} ms, ×{r['pause_resume']})",
        f"  skip ±10/30 s p50 {report['skip_p50_ms']:.0f} ms, p90 {report['skip_p90_ms']:.0f} ms (libVLC opening "
        f"the same TS over HTTP at a time: p50 {b['seek_p50_ms']:.0f}, p90 {b['seek_p90_ms']:.0f} ms, ×{r['skip']})",
        f"  start over {report['start_over_ms']:.0f} ms (×{r['start_over']}); back to live "
        f"{report['back_to_live_ms']:.0f} ms (libVLC re-joining the live edge: {b['rejoin_live_ms']:.0f} ms, "
        f"×{r['back_to_live']})",
        f"  trick play: the longest wait for a new picture {report['trick_max_gap_ms']:.0f} ms ({gaps} ms; "
        "libVLC cannot rewind a live stream at all)",
    ]


def buffer_wrap(hours: float = 2.5, keep_hours: float = 2.0, sample_minutes: float = 10.0) -> dict:
    """A sped-up soak: ``hours`` of a demo channel through a buffer that keeps ``keep_hours``, read at the live
    edge as a player would; the process's RSS every ``sample_minutes`` of channel time (flat: nothing leaks
    as segments come and go)."""
    import resource

    from stb.headend.catalog import CHANNELS
    from stb.headend.media import clip_path, media_dir
    from stb.timeshift.buffer import Limits, TimeshiftBuffer
    from stb.timeshift.reader import BufferReader
    from stb.ts.packets import PACKET

    clip = clip_path(CHANNELS[1], media_dir()).read_bytes()  # `make setup` made it (the bench needs the head-end)
    clip = clip[: len(clip) // PACKET * PACKET]
    bits_per_s = len(clip) * 8 / 20.0  # the demo clips are 20 s long
    chunk = 100 * PACKET
    clock = [0.0]
    rss: list[float] = []
    with tempfile.TemporaryDirectory(prefix="stb-bench-wrap-") as tmp:
        buffer = TimeshiftBuffer(Path(tmp) / "buffer", Limits(max_seconds=keep_hours * 3600, free_floor_bytes=0),
                                 clock=lambda: clock[0], free_bytes=lambda _: 1 << 50)  # fmt: skip
        reader: BufferReader | None = None
        next_sample, written, began = 0.0, 0, time.monotonic()
        wrapped_at: int | None = None
        while clock[0] < hours * 3600:
            for at in range(0, len(clip) - chunk + 1, chunk):
                buffer.write(clip[at : at + chunk])
                written += chunk
                clock[0] += chunk * 8 / bits_per_s
                if reader is None and buffer.marks:
                    reader = BufferReader(buffer, buffer.marks[0])
                while reader is not None and reader.read():
                    pass
            if clock[0] >= next_sample:
                next_sample += sample_minutes * 60
                rss.append(_rss_mb())
                if wrapped_at is None and clock[0] >= keep_hours * 3600:
                    wrapped_at = len(rss) - 1  # from here on the oldest segments go as new ones come
        span = buffer.stats()["seconds"]
        jumps = reader.jumps if reader is not None else 0
        if reader is not None:
            reader.close()
        buffer.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = round(rss[-1] - rss[1], 1) if len(rss) > 1 else 0.0  # from the first sample after warming up
    wrapping = round(rss[-1] - rss[wrapped_at], 1) if wrapped_at is not None else None  # the buffer full, turning
    return {"channel_hours": hours, "buffer_hours": keep_hours, "buffer_span_s": span,
            "written_mb": round(written / 1e6), "seconds": round(time.monotonic() - began, 1), "rss_mb": rss,
            "rss_growth_mb": growth, "rss_growth_while_wrapping_mb": wrapping, "peak_rss_mb": round(peak_mb),
            "reader_jumps": jumps}  # fmt: skip


def _rss_mb() -> float:
    """Resident memory now (Linux), MB."""
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6, 1)
