"""`stb bench pvr`'s catch-up figure: a past programme chosen on the TV → its first picture, from the archive.

A headless box (the real App: UI loop, libVLC, the guide imported from the demo head-end) plays past
programmes of catch-up channels as the details screen's "Play from archive" does (the TV core's catch-up
controller), each timed until a new picture is on screen. The baseline is plain libVLC opening the same
archive URLs directly, in the same run: what is left is what the box adds (building the URL, the zapper,
the stream on screen).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from stb.bench.timeshift import PICTURE_TIMEOUT_S, SETTLE_S, Screen
from stb.errors import StbError
from stb.lineup.model import Lineup

ROUNDS = 6


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def _until(step, check, what: str) -> None:
    end = time.monotonic() + PICTURE_TIMEOUT_S
    while not check():
        if time.monotonic() > end:
            raise StbError(f"pvr benchmark: {what} did not happen in {PICTURE_TIMEOUT_S:.0f} s")
        step()
        time.sleep(1 / 120)


def measure_box(lineup: Lineup, directory: Path) -> tuple[list[float], list[str]]:
    """Milliseconds from "play this past programme" to its first picture, and the archive URLs played."""
    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.guide.store import import_sources
    from stb.tv.catchup import catchup_of

    import_sources(directory / "guide.db", lineup.guide_sources)
    app = build_app(lineup, headless=True, store=StateStore(directory / "state"), guide_db=directory / "guide.db",
                    pretune=0)  # fmt: skip
    app.start()
    try:
        _until(app.step, lambda: app.player.state.value == "playing", "the first channel")
        guide, now = app.tv.guide, time.time()
        assert guide is not None
        picks = []
        for channel in [c for c in lineup.channels if catchup_of(c) is not None]:
            past = [p for p in guide.window([channel.id], now - 6 * 3600, now).get(channel.id, []) if p.stop <= now]
            picks += [(p, channel) for p in past[-2:]]
        if len(picks) < ROUNDS:
            raise StbError("pvr benchmark: the demo guide has too few finished programmes yet (just after midnight)")
        picks = picks[:ROUNDS]
        times, urls = [], []
        for programme, channel in picks:
            screen = Screen(app.player)
            screen.press(lambda p=programme, c=channel: app.tv.catchup.play(p, c))
            _until(app.step, lambda s=screen: s.changed() and app.player.channel is not None
                   and app.player.channel.id.startswith("archive-"), "the archive's first picture")  # fmt: skip
            times.append((time.monotonic() - screen.pressed) * 1000)
            assert app.player.channel is not None
            urls.append(app.player.channel.urls[0])
            app.tv.catchup.back_to_live()
            end = time.monotonic() + SETTLE_S
            while time.monotonic() < end:
                app.step()
                time.sleep(1 / 60)
    finally:
        app.close()
    return times, urls


def measure_baseline(urls: list[str]) -> list[float]:
    """Plain libVLC opening each archive URL directly: milliseconds to a new picture."""
    from stb.player.engine import Engine, EngineOptions

    engine = Engine(EngineOptions())
    player = engine.create_player("baseline")
    times = []
    try:
        for url in urls:
            screen = Screen(player)
            screen.press(lambda u=url: player.adapter.open(u, []))
            _until(lambda: None, screen.changed, "the baseline's picture")
            times.append((time.monotonic() - screen.pressed) * 1000)
            time.sleep(SETTLE_S)
    finally:
        player.release()
        engine.release()
    return times


def warm(base: str, channel_ids: list[str]) -> None:
    """One byte of each channel's archive first: the head-end indexes a clip on its first archive request,
    which neither the box nor the baseline should pay."""
    import httpx

    start = int(time.time()) - 3600
    with httpx.Client(timeout=30) as client:
        for cid in channel_ids:
            client.get(f"{base}/archive/{cid}/archive-{start}-60.ts", headers={"Range": "bytes=0-0"})


def run(lineup: Lineup) -> dict:
    """The catch-up block of the report: ours, the baseline, and ours ÷ the baseline (1: nothing added)."""
    if lineup.headend is not None:
        from stb.headend.catalog import base_url

        warm(base_url(lineup.headend.host, lineup.headend.port), [c.id for c in lineup.channels if c.catchup])
    with tempfile.TemporaryDirectory(prefix="stb-bench-catchup-") as tmp:
        ours, urls = measure_box(lineup, Path(tmp))
    # the URLs again for this moment: a shift-style one ends at "now"; the same programme, the same start
    fresh = [_refresh(url) for url in urls]
    baseline = measure_baseline(fresh)
    return {
        "catchup_start_ms": _p50(ours),
        "catchup_start_each_ms": [round(t, 1) for t in ours],
        "baseline_direct_open_ms": _p50(baseline),
        "baseline_each_ms": [round(t, 1) for t in baseline],
        "ratio_to_direct_open": round(_p50(ours) / max(_p50(baseline), 0.1), 2),
        "rounds": len(ours),
    }


def _refresh(url: str) -> str:
    """``lutc`` (the client's now) moved to now; everything else as the box built it."""
    import re

    return re.sub(r"([?&]lutc=)\d+", lambda m: f"{m.group(1)}{int(time.time())}", url)


def render(report: dict) -> list[str]:
    return [
        f"catch-up: a past programme → first picture p50 {report['catchup_start_ms']:.0f} ms "
        f"(libVLC opening the archive URL directly: {report['baseline_direct_open_ms']:.0f} ms, "
        f"×{report['ratio_to_direct_open']}), {report['rounds']} programmes on shift- and Flussonic-style archives"
    ]
