"""`stb bench soak`: many zaps over every demo channel (broken ones too); resources must stay flat.

RSS, open file descriptors and threads (libVLC's native ones included: /proc counts them all) are
read after a settled start and again after the same settling at the end, on the same channel with
the same pre-tuned set, so the two readings describe the same steady state.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from stb.bench.zap import Rig, demo_headend
from stb.player.engine import EngineOptions

SETTLE_S = 4.0


def _resources() -> dict:
    with open("/proc/self/status") as status:
        rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {
        "rss_mb": round(rss_kb / 1024, 1),
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
    }


def _settle_on_channel_2(rig: Rig) -> None:
    """The same steady state for both readings: channel 2, last channel 3, pre-tuned 3 and 1.

    All of them play, so no broken channel is half-way through a retry when resources are read.
    """
    rig.box.zap_number(3)
    rig.box.zap_number(2)
    rig.run_ui(SETTLE_S)


def _trimmed() -> float | None:
    """RSS after asking glibc to hand freed memory back (malloc_trim): what is really still in use."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return None
    ctypes.CDLL(name).malloc_trim(0)
    return _resources()["rss_mb"]


def run(zaps: int, dwell: float, pretune: int, max_seconds: float, seed: int = 1) -> dict:
    rng = random.Random(seed)
    with demo_headend() as lineup, tempfile.TemporaryDirectory(prefix="stb-bench-soak-") as state:
        rig = Rig(lineup, EngineOptions(), pretune, Path(state))
        try:
            rig.box.start()
            _settle_on_channel_2(rig)
            start = _resources()
            numbers = [c.number for c in lineup.channels]
            actions = [rig.box.zap_up, rig.box.zap_down, rig.box.zap_last]
            began, done = time.monotonic(), 0
            curve = []  # RSS along the way: a plateau is allocator slack, a slope is a leak
            while done < zaps and time.monotonic() - began < max_seconds:
                if done % max(1, zaps // 10) == 0:
                    curve.append((done, _resources()["rss_mb"]))
                if rng.random() < 0.5:
                    rng.choice(actions)()
                else:
                    rig.box.zap_number(rng.choice(numbers))
                rig.run_ui(rng.uniform(0, dwell))
                done += 1
            seconds = time.monotonic() - began
            _settle_on_channel_2(rig)
            end = _resources()
            end_trimmed = _trimmed()
        finally:
            rig.close()
    return {
        "zaps": done,
        "seconds": round(seconds, 1),
        "start": start,
        "end": end,
        "growth": {k: round(end[k] - start[k], 1) for k in start},
        "rss_curve": curve,
        "end_rss_after_malloc_trim_mb": end_trimmed,
    }


def render(d: dict) -> str:
    s, e, g = d["start"], d["end"], d["growth"]
    return "\n".join([
        f"soak: {d['zaps']} zaps in {d['seconds']} s",
        f"  RSS     {s['rss_mb']:>8} MB -> {e['rss_mb']:>8} MB  ({g['rss_mb']:+})",
        f"  fds     {s['fds']:>8}    -> {e['fds']:>8}     ({g['fds']:+})",
        f"  threads {s['threads']:>8}    -> {e['threads']:>8}     ({g['threads']:+})",
        "  RSS along the way: " + "  ".join(f"{n}:{mb:.0f}" for n, mb in d["rss_curve"]),
        f"  RSS at the end after malloc_trim: {d['end_rss_after_malloc_trim_mb']} MB (freed memory glibc kept)",
    ])  # fmt: skip
