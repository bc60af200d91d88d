"""`stb bench ui`: the TV UI's frame times with a big guide and real video playing, headless.

One app, a 1000-channel line-up (streams from the demo head-end, guide from a synthetic 14-day XMLTV
imported first), measured in four parts:
- start → first video frame of the first channel;
- frame time of live TV with the banner up;
- frame time of the guide grid while a held key scrolls it (key repeat: one key per frame), with the
  grid as shipped (cached) and, as the same-run baseline, redrawn from scratch every frame;
- key → presented frame: keys posted from another thread at random moments into the real loop.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from stb.bench.synthetic import write_guide
from stb.bench.zap import GOOD_CHANNELS, demo_headend
from stb.errors import StbError

FRAME_MS = 1000 / 30
FIRST_FRAME_TIMEOUT_S = 20.0
SCROLL_KEYS = ["down"] * 12 + ["right"] * 3 + ["channel_down"] + ["up"] * 6 + ["left"] * 2


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"frames": len(ordered), "p50_ms": round(statistics.median(ordered), 2), "p99_ms": round(p99, 2),
            "max_ms": round(ordered[-1], 2)}  # fmt: skip


def _big_lineup(demo, channels: int):
    from stb.lineup.model import Channel, Lineup

    urls = [c.urls[0] for c in demo.sorted_channels() if c.number in GOOD_CHANNELS]
    return Lineup(
        name="bench ui",
        channels=[Channel(number=n + 1, id=f"c{n}", name=f"Channel {n + 1}", urls=[urls[n % len(urls)]],
                          guide_id=f"ch{n}.bench", groups=[f"Group {n // 100 + 1}"]) for n in range(channels)],
    )  # fmt: skip


def _timed_frames(app, frames: int, before_each=None) -> list[float]:
    """Milliseconds of ``app.step`` (input, player, drawing, flip) per frame, paced at 30 Hz by the
    app's own wait (which lets a screen draw ahead between frames, as in ``stb run``)."""
    samples = []
    next_frame = time.monotonic()
    for i in range(frames):
        started = time.perf_counter()
        if before_each is not None:
            before_each(i)
        app.step()
        samples.append((time.perf_counter() - started) * 1000)
        next_frame = max(next_frame + FRAME_MS / 1000, time.monotonic())
        app.wait_for_frame(next_frame)
    return samples


def _scroll(app, cached: bool, frames: int) -> list[float]:
    app.stack.replace(app.open_guide(cached=cached))
    _timed_frames(app, 15)  # warm: fonts opened, first rows loaded
    keys = SCROLL_KEYS * (frames // len(SCROLL_KEYS) + 1)
    return _timed_frames(app, frames, lambda i: app.act(keys[i]))


def _key_to_frame(app, keys: int, seed: int) -> list[float]:
    """Keys posted from a thread at random times into the real loop; ms until their frame was flipped."""
    import pygame

    posted: list[float] = []
    done = threading.Event()

    def typist() -> None:
        rng = random.Random(seed)
        for _ in range(keys):
            time.sleep(rng.uniform(0.05, 0.2))
            posted.append(time.perf_counter())
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_DOWN, unicode="", mod=0, scancode=0))
        done.set()

    latencies: list[float] = []
    thread = threading.Thread(target=typist, daemon=True)
    thread.start()
    pending: list = []
    next_frame = time.monotonic()
    deadline = time.monotonic() + keys * 0.5 + 5
    while (not done.is_set() or len(latencies) < len(posted)) and time.monotonic() < deadline:
        handled = len(posted)  # keys posted before this step are handled by it
        app.step(pending)
        flipped = time.perf_counter()
        latencies += [(flipped - t) * 1000 for t in posted[len(latencies) : handled]]
        next_frame = max(next_frame + FRAME_MS / 1000, time.monotonic())
        pending = app.wait_for_frame(next_frame)
    thread.join(timeout=5)
    return latencies


def run(channels: int = 1000, days: int = 14, frames: int = 300, keys: int = 60, seed: int = 1,
        skins: tuple[str, ...] = ("default",)) -> dict:  # fmt: skip
    """Every figure with the first skin; the grid and key → frame figures again with each other skin, on the same
    guide and line-up (a skin's layout must cost nothing per frame)."""
    from stb.guide.store import import_sources

    result: dict = {"channels": channels, "days": days, "skin": skins[0]}
    with tempfile.TemporaryDirectory(prefix="stb-bench-ui-") as tmp, demo_headend() as demo:
        work = Path(tmp)
        xml = work / "guide.xml"
        result["programmes"] = write_guide(xml, channels, days)
        import_sources(work / "g.db", [str(xml)])
        lineup = _big_lineup(demo, channels)
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        result |= _measure(work, lineup, skins[0], frames, keys, seed, full=True)
        result["skins"] = {skins[0]: _skin_figures(result)}
        for skin in skins[1:]:
            result["skins"][skin] = _skin_figures(_measure(work / skin, lineup, skin, frames, keys, seed, full=False,
                                                           guide_db=work / "g.db"))  # fmt: skip
    return result


def _skin_figures(r: dict) -> dict:
    return {
        "live_with_banner_p99_ms": r["live_with_banner"]["p99_ms"],
        "grid_scrolling_p99_ms": r["grid_scrolling"]["p99_ms"],
        "key_to_frame_p99_ms": r["key_to_frame"]["p99_ms"],
    }


def _measure(work: Path, lineup, skin: str, frames: int, keys: int, seed: int, full: bool,
             guide_db: Path | None = None) -> dict:  # fmt: skip
    from stb.config import StateStore
    from stb.player.engine import PlaybackState
    from stb.ui.app import App

    work.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    started = time.monotonic()
    app = App(lineup, headless=True, store=StateStore(work), guide_db=guide_db or work / "g.db", skin=skin)
    app.report.started_at = started
    try:
        app.start()
        if app.skin is None or app.skin.name != skin:
            raise StbError(f"ui benchmark: skin {skin!r} could not be used")
        while app.player.state is not PlaybackState.PLAYING:
            if time.monotonic() - started > FIRST_FRAME_TIMEOUT_S:
                raise StbError(f"ui benchmark: no picture in {FIRST_FRAME_TIMEOUT_S:.0f} s")
            app.step()
            time.sleep(0.005)
        result["start_to_first_frame_s"] = round(app.report.first_frame_s or 0.0, 3)
        _timed_frames(app, 30)
        result["live_with_banner"] = _stats(_timed_frames(app, frames, lambda i: app.screen.show_banner(
            time.monotonic())))  # fmt: skip
        result["grid_scrolling"] = _stats(_scroll(app, cached=True, frames=frames))
        if full:
            result["grid_full_redraw"] = _stats(_scroll(app, cached=False, frames=frames))
        app.stack.replace(app.open_guide())
        _timed_frames(app, 15)
        result["key_to_frame"] = _stats(_key_to_frame(app, keys, seed))
        result["key_to_frame"]["frames_p99"] = round(result["key_to_frame"]["p99_ms"] / FRAME_MS, 2)
        if full:
            result["ratios"] = {
                "grid_p99_full_redraw_over_cached": round(
                    result["grid_full_redraw"]["p99_ms"] / max(0.01, result["grid_scrolling"]["p99_ms"]), 1
                ),
                "grid_p50_full_redraw_over_cached": round(
                    result["grid_full_redraw"]["p50_ms"] / max(0.01, result["grid_scrolling"]["p50_ms"]), 1
                ),
            }
    finally:
        app.close()
    return result


def render(d: dict) -> str:
    def row(name: str, s: dict) -> str:
        return f"  {name:<28} p50 {s['p50_ms']:6.2f} ms  p99 {s['p99_ms']:6.2f} ms  max {s['max_ms']:6.2f} ms"

    r = d["ratios"]
    return "\n".join([
        f"ui benchmark: {d['channels']} channels × {d['days']} days ({d['programmes']} programmes), headless 1280x720",
        f"  start → first video frame    {d['start_to_first_frame_s']:.2f} s",
        row("live TV with banner", d["live_with_banner"]),
        row("guide grid, scrolling", d["grid_scrolling"]),
        row("baseline: full redraw", d["grid_full_redraw"]),
        row("key → presented frame", d["key_to_frame"]) + f"  ({d['key_to_frame']['frames_p99']} frames at p99)",
        f"  full redraw / cached grid: p50 {r['grid_p50_full_redraw_over_cached']}x, "
        f"p99 {r['grid_p99_full_redraw_over_cached']}x",
        "  per skin (p99):",
        *(f"    {name:<14} live+banner {s['live_with_banner_p99_ms']:6.2f} ms  grid "
          f"{s['grid_scrolling_p99_ms']:6.2f} ms  key → frame {s['key_to_frame_p99_ms']:6.2f} ms"
          for name, s in d.get("skins", {}).items()),
    ])  # fmt: skip
