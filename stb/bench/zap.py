"""`stb bench zap`: key press → first new frame of the new channel, four ways, on the demo head-end.

(a) plain libVLC with its default options, one player whose media is replaced at each zap;
(b) our engine without pre-tuning (low caching, same single player);
(c) our engine with pre-tuning (up, down and last channel kept tuned in silent players);
(d) our engine with every channel in the keyframe cache (:mod:`stb.relay.local`), no pre-tuning;
(e) our engine reading through the TV's relay with nothing cached (the box's default path, both switches off:
    libVLC reads only loopback URLs, :mod:`stb.relay.guard`), no pre-tuning; (f) the same with pre-tuning.
An HLS block zaps between a TS channel and the demo's HLS channel, straight (b) and through the relay (e).
Each runs sequential up zaps and random zaps. Two figures per zap, both read from the on-screen
player's frame buffer (a condition variable, no sleeping):
- first picture: the first frame after the key press whose burnt-in marker is the new channel's;
- smooth: from when on pictures keep coming with no gap over 200 ms (libVLC shows the first
  decoded picture at once, then often holds it until its clock starts: a still is not TV yet).
Between zaps the loop runs the UI thread's part at 30 Hz for ``dwell`` seconds, as a viewer
would watch for a moment; CPU is the process's own user+system time over those dwell periods.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stb.box import Box, ChannelChanged
from stb.config import StateStore
from stb.errors import StbError
from stb.headend import marker
from stb.lineup.model import Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState
from stb.player.zapper import Zapper
from stb.relay.feed import ChannelSource
from stb.relay.local import LocalRelay

FRAME_S = 1 / 30
SMOOTH_GAP_S = 0.2
FIRST_FRAME_TIMEOUT_S = 15.0
GOOD_CHANNELS = range(1, 11)  # the demo's plain live channels; HLS and the broken ones have benches of their own


@contextlib.contextmanager
def demo_headend() -> Iterator[Lineup]:
    """The demo head-end as a child process on a free loopback port; yields its line-up."""
    from stb.headend.catalog import demo_lineup
    from stb.headend.process import headend_on_free_port

    with headend_on_free_port() as (_, port):
        yield demo_lineup("127.0.0.1", port)


def channel_on_screen(player) -> int | None:
    """The channel number burnt into the player's newest picture (the demo head-end's marker)."""
    with player.frames.front() as frame:
        if frame is None:
            return None
        pixels, fmt = frame
        return marker.decode(pixels, fmt.width, fmt.height, fmt.pitch)


def smooth_start(times: list[float], first: float, until: float, gap: float = SMOOTH_GAP_S) -> float:
    """When, from ``first`` on, frames started coming with no gap over ``gap`` until ``until``.

    ``until`` itself when frames stopped again before it: never smooth within the window.
    """
    times = [t for t in times if first <= t <= until]
    smooth = first
    for earlier, later in itertools.pairwise(times):
        if later - earlier > gap:
            smooth = later
    if not times or until - times[-1] > gap:
        return until
    return smooth


class Rig:
    """Box → Zapper wired as in the App, without pygame; times every call made on the 'UI thread'."""

    def __init__(
        self, lineup: Lineup, options: EngineOptions, pretune: int, state_dir: Path, cache: bool, relay: bool = False
    ) -> None:
        self.engine = Engine(options)
        self.box = Box(lineup, StateStore(state_dir))
        self.zapper = Zapper(self.engine, pretune, self.box.likely_next)
        self.ui_calls_ms: list[float] = []
        self.box.subscribe(lambda e: isinstance(e, ChannelChanged) and self._timed(self.zapper.zap, e.channel))
        self.cache: LocalRelay | None = None
        if relay and not cache:  # the TV's relay as it runs with both switches off: every channel through it
            sources = {c.id: ChannelSource(c.id, c.name, tuple(c.urls)) for c in lineup.channels}
            self.cache = LocalRelay(sources.get, max_clients=2 * len(sources))
            self.cache.start()
            self.zapper.set_routes(self.cache.route)
        if cache:  # every channel read ahead (the demo's are small): random zaps among cached channels
            sources = {c.id: ChannelSource(c.id, c.name, tuple(c.urls)) for c in lineup.channels}
            self.cache = LocalRelay(sources.get, max_clients=2 * len(sources))
            self.cache.start()
            self.zapper.set_routes(self.cache.route)
            self.cache.keep(list(sources.values()))
            deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
            while set(self.cache.summary.ready) != set(sources):
                if time.monotonic() > deadline:
                    raise StbError(f"zap benchmark: the keyframe cache holds only {self.cache.summary.ready}")
                time.sleep(0.05)

    def _timed(self, fn: Callable, *args) -> None:
        started = time.perf_counter()
        fn(*args)
        self.ui_calls_ms.append((time.perf_counter() - started) * 1000)

    def run_ui(self, seconds: float) -> None:
        """The UI thread's share for ``seconds``: one zapper step per 30 Hz frame."""
        end = time.monotonic() + seconds
        while (now := time.monotonic()) < end:
            self._timed(self.zapper.step, now)
            time.sleep(max(0.0, FRAME_S - (time.monotonic() - now)))

    def zap(self, action: Callable[[], None]) -> tuple[float, float]:
        """Press the key: (pressed, first picture of the new channel), monotonic times."""
        pressed = time.monotonic()
        action()
        player, number = self.zapper.active, self.box.current.number if self.box.current else None
        seen = pressed
        while True:
            if not player.frames.wait_for_frame(after=seen, timeout=FIRST_FRAME_TIMEOUT_S):
                raise StbError(f"zap benchmark: channel {number} gave no picture in {FIRST_FRAME_TIMEOUT_S} s")
            seen = player.frames.last_frame_at
            if channel_on_screen(player) == number:
                return pressed, seen

    def smooth_since(self, first: float, until: float) -> float:
        return smooth_start(list(self.zapper.active.frames.recent), first, until)

    def close(self) -> None:
        self.zapper.release()
        self.engine.release()
        if self.cache is not None:
            self.cache.stop()


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50_ms": round(statistics.median(ordered), 1), "p90_ms": pct(0.9), "p99_ms": pct(0.99)}


@dataclass
class Series:
    first_picture_ms: list[float] = field(default_factory=list)
    smooth_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def summary(self) -> dict:
        return {
            "zaps": len(self.first_picture_ms),
            "first_picture": _percentiles(self.first_picture_ms),
            "smooth": _percentiles(self.smooth_ms),
            "cpu_percent": round(100 * self.cpu_s / max(self.wall_s, 1e-9), 1),
        }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _series(rig: Rig, actions: list[Callable[[], None]], dwell: float) -> Series:
    series = Series()
    for action in actions:
        pressed, first = rig.zap(action)
        cpu, wall = _cpu(), time.monotonic()
        rig.run_ui(dwell)
        series.cpu_s += _cpu() - cpu
        series.wall_s += time.monotonic() - wall
        series.first_picture_ms.append((first - pressed) * 1000)
        series.smooth_ms.append((rig.smooth_since(first, time.monotonic()) - pressed) * 1000)
    return series


def _scenario(
    lineup: Lineup,
    options: EngineOptions,
    pretune: int,
    cache: bool,
    zaps: int,
    dwell: float,
    seed: int,
    relay: bool = False,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="stb-bench-zap-") as state:
        rig = Rig(lineup, options, pretune, Path(state), cache, relay)
        try:
            rig.box.start()
            rig.zap(lambda: None)  # channel 1's first picture (start-up, not a zap)
            rig.run_ui(max(dwell, 2.0))  # let the pre-tuned set fill before the first measured zap
            up = _series(rig, [rig.box.zap_up] * zaps, dwell)
            rng = random.Random(seed)
            numbers = [c.number for c in lineup.channels]
            targets = []
            current = rig.box.current.number if rig.box.current else numbers[0]
            for _ in range(zaps):
                current = rng.choice([n for n in numbers if n != current])
                targets.append(current)
            jump = _series(rig, [lambda n=n: rig.box.zap_number(n) for n in targets], dwell)
            calls = sorted(rig.ui_calls_ms)
            if rig.zapper.active.state is not PlaybackState.PLAYING:
                raise StbError(f"zap benchmark: the last channel ended {rig.zapper.active.state.value}")
        finally:
            rig.close()
    return {
        "up": up.summary(),
        "random": jump.summary(),
        "ui_thread_max_ms": round(calls[-1], 1),
        "ui_thread_p99_ms": round(calls[int(0.99 * (len(calls) - 1))], 1),
    }


SCENARIOS = {  # options, pre-tuned players, keyframe cache, through the TV's relay
    "a_libvlc_defaults": (EngineOptions(network_caching_ms=None), 0, False, False),
    "b_engine_no_pretune": (EngineOptions(), 0, False, False),
    "c_engine_pretune": (EngineOptions(), 3, False, False),
    "d_engine_cache": (EngineOptions(), 0, True, True),  # (b) with every channel in the keyframe cache
    "e_engine_relay": (EngineOptions(), 0, False, True),  # (b) through the TV's relay, nothing cached (the default)
    "f_pretune_relay": (EngineOptions(), 3, False, True),  # (c) through the TV's relay
}
HLS_SCENARIOS = ("b_engine_no_pretune", "e_engine_relay")
HLS_PAIR = (1, 11)  # a TS channel and the demo's HLS channel: every other zap is to HLS


JOINS = {
    "keyframe_join": "",  # the demo head-end's fast join: PAT, PMT and the GOP so far, at once
    "live_edge_join": "?join=live",  # an ordinary server: the player waits for PAT/PMT and a keyframe
}


def _with_query(lineup: Lineup, query: str) -> Lineup:
    channels = [c.model_copy(update={"urls": [u + query for u in c.urls]}) for c in lineup.channels]
    return Lineup(name=lineup.name, channels=channels)


def run(zaps: int, dwell: float, pretune: int, joins: list[str] | None = None, seed: int = 1) -> dict:
    result: dict = {"zaps_per_series": zaps, "dwell_s": dwell, "pretune": pretune}
    with demo_headend() as full:
        good = Lineup(name="bench", channels=[c for c in full.channels if c.number in GOOD_CHANNELS])
        for join in joins or list(JOINS):
            lineup = _with_query(good, JOINS[join])
            block = result[join] = {}
            for name, (options, default_pretune, cache, relay) in SCENARIOS.items():
                count = pretune if default_pretune else 0
                block[name] = _scenario(lineup, options, count, cache, zaps, dwell, seed, relay)
            _ratios(block)
        pair = Lineup(name="bench-hls", channels=[c for c in full.channels if c.number in HLS_PAIR])
        hls = result["hls_pair"] = {}
        for name in HLS_SCENARIOS:
            options, _, cache, relay = SCENARIOS[name]
            hls[name] = _scenario(pair, options, 0, cache, zaps, dwell, seed, relay)
        direct, relayed = (hls[n]["up"]["first_picture"]["p50_ms"] for n in HLS_SCENARIOS)
        hls["relay_vs_direct_p50"] = round(relayed / max(direct, 0.1), 2)
    if "live_edge_join" in result:  # issue 23's figure: random zaps among cached channels, at the live edge
        block = result["live_edge_join"]
        cached, plain = block["d_engine_cache"]["random"], block["b_engine_no_pretune"]["random"]
        result["random_cached_p50_ms"] = cached["first_picture"]["p50_ms"]
        result["cache_speedup_vs_engine"] = round(
            plain["first_picture"]["p50_ms"] / max(cached["first_picture"]["p50_ms"], 0.1), 1
        )
    return result


def _ratios(block: dict) -> None:
    base = block["a_libvlc_defaults"]
    for name in ("b_engine_no_pretune", "c_engine_pretune", "d_engine_cache", "e_engine_relay", "f_pretune_relay"):
        for kind in ("up", "random"):
            series = block[name][kind]
            for figure in ("first_picture", "smooth"):
                speedup = base[kind][figure]["p50_ms"] / max(series[figure]["p50_ms"], 0.1)
                series[figure]["speedup_p50_vs_a"] = round(speedup, 1)
    block["pretune_cpu_cost_percent"] = round(
        block["c_engine_pretune"]["up"]["cpu_percent"] - block["b_engine_no_pretune"]["up"]["cpu_percent"], 1
    )


def render(d: dict) -> str:
    lines = [f"zap benchmark: {d['zaps_per_series']} zaps per series, {d['dwell_s']} s watched after each, "
             f"pre-tune {d['pretune']}"]  # fmt: skip
    for join in JOINS:
        if join not in d:
            continue
        block = d[join]
        lines.append(f" {join.replace('_', ' ')}:")
        for name in SCENARIOS:
            s = block[name]
            for kind in ("up", "random"):
                for figure in ("first_picture", "smooth"):
                    z = s[kind][figure]
                    speed = f"  {z['speedup_p50_vs_a']:>5}x vs (a)" if "speedup_p50_vs_a" in z else ""
                    lines.append(
                        f"  {name:<20} {kind:<6} {figure:<13} p50 {z['p50_ms']:7.1f}  p90 {z['p90_ms']:7.1f}  "
                        f"p99 {z['p99_ms']:7.1f} ms{speed}"
                    )
                lines.append(f"  {'':<20} {kind:<6} cpu while watching {s[kind]['cpu_percent']:5.1f}%")
            lines.append(
                f"  {'':<20} UI thread: longest call {s['ui_thread_max_ms']} ms, p99 {s['ui_thread_p99_ms']} ms"
            )
        lines.append(f"  pre-tuning costs {block['pretune_cpu_cost_percent']} % CPU (of one core) while watching")
    if "hls_pair" in d:
        hls = d["hls_pair"]
        lines.append(f" channel {HLS_PAIR[0]} <-> HLS channel {HLS_PAIR[1]} (every other zap to HLS):")
        for name in HLS_SCENARIOS:
            z = hls[name]["up"]["first_picture"]
            lines.append(f"  {name:<20} first picture p50 {z['p50_ms']:7.1f}  p90 {z['p90_ms']:7.1f} ms")
        lines.append(f"  through the TV's relay / straight: {hls['relay_vs_direct_p50']}x (p50)")
    if "random_cached_p50_ms" in d:
        lines.append(
            f" random zaps among cached channels at the live edge: first picture p50 {d['random_cached_p50_ms']} ms, "
            f"{d['cache_speedup_vs_engine']}x the engine without the cache"
        )
    return "\n".join(lines)
