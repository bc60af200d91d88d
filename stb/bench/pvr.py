"""`stb bench pvr`: recordings and timeshift measured against the demo head-end in one run.

Each scenario is a function of a :class:`Rig` (the head-end, a scratch folder, the options) returning its
own part of the report; :func:`run` merges them (timeshift: pause_resume_ms, skip_p50_ms, back_to_live_ms,
start_over_ms, trick_max_gap_ms; combined: continuity_errors, recording_start_ms; phone:
recording_first_frame_ms; other_screens: recording_seek_ms, resume_elsewhere_ms; catchup: catchup_start_ms;
screens: continuity_errors_screens, continuity_errors_recordings).

``combined`` (:mod:`stb.bench.pvr_combined`): N recordings, live TV and its timeshift buffer at once in the
real box: the issue's figures ``continuity_errors`` and ``recording_start_ms`` come from it.

``recordings``: the recorder alone, N timers on N channels firing together; recording start is timer time →
first bytes on disk (the channels not read before: the relay connects to the head-end first). The files are
checked by ffmpeg's MPEG-TS demuxer, whose debug log names every continuity-counter error. CPU is the box's
process while recording, beside the same relay reads with the bytes thrown away (the baseline), in the same
run. Its keys end in ``_alone`` where the combined scenario has the same figure.

``screens`` (:mod:`stb.bench.pvr_screens`, ``--scenario screens``): 10 stock ffmpeg clients, each on a different
recording over the box's TS and HLS routes (some starting partway), while 2 channels record: continuity errors in
what the screens received and in the recordings, bytes per screen, the box's CPU against the recordings alone
(the same reads from disk meanwhile), in one run. It ignores ``--recordings``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stb.errors import StbError

LEAD_S = 2.0  # timers are set this far ahead, so the scheduler has to fire them
CC_FAILED = "Continuity check failed"  # what ffmpeg's TS demuxer logs (at debug) for each counter jump


@dataclass
class Rig:
    host: str
    port: int
    work: Path
    recordings: int
    seconds: float


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def continuity_errors(path: Path) -> int:
    """Continuity-counter errors in a TS file, as ffmpeg's demuxer counts them (its debug log)."""
    child = subprocess.Popen(["ffmpeg", "-hide_banner", "-nostdin", "-v", "debug", "-i", str(path), "-map", "0",
                              "-c", "copy", "-f", "null", "-"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, errors="replace")  # fmt: skip
    assert child.stderr is not None
    errors = sum(CC_FAILED in line for line in child.stderr)
    if child.wait(timeout=300) != 0:
        raise StbError(f"ffmpeg cannot read {path.name}")
    return errors


def recordings(rig: Rig) -> dict[str, Any]:
    """N recordings at once: start latency, continuity, CPU per recording against plain relay reads, disk rate."""
    from stb.headend.catalog import CHANNELS, demo_lineup
    from stb.pvr.service import Pvr
    from stb.relay.feed import ChannelSource
    from stb.relay.relay import Relay

    lineup = demo_lineup(rig.host, rig.port)
    chosen = [c.id for c in CHANNELS if not c.hls][: rig.recordings]
    if len(chosen) < rig.recordings:
        raise StbError(f"the demo head-end has {len(chosen)} TS channels; ask for at most that many recordings")

    def source(channel_id: str) -> ChannelSource | None:
        channel = lineup.by_id(channel_id)
        return ChannelSource(channel.id, channel.name, tuple(channel.urls)) if channel else None

    async def baseline() -> float:
        """The same channels read through a relay for the same time, the bytes thrown away."""
        relay = Relay(source, max_upstreams=len(chosen))
        streams = [await relay.open_channel(cid, internal=True) for cid in chosen]

        async def drain(stream: Any) -> None:
            async for _ in stream:
                pass

        tasks = [asyncio.ensure_future(drain(s)) for s in streams]
        await asyncio.sleep(1.0)  # past the first GOPs, as the recordings are
        before, began = _cpu_s(), time.monotonic()
        await asyncio.sleep(rig.seconds)
        used = (_cpu_s() - before) / (time.monotonic() - began)
        for task in tasks:
            task.cancel()
        await relay.close()
        return used

    async def record() -> dict[str, Any]:
        relay = Relay(source, max_upstreams=len(chosen))
        names = {c.id: c.name for c in lineup.channels}

        async def no_guide(query: Any, default: Any) -> Any:
            return default

        pvr = Pvr(state_dir=rig.work / "state", recordings_dir=rig.work / "recordings", reader=relay,
                  guide=no_guide, channel_name=names.get, max_channels=lambda: len(chosen))  # fmt: skip
        await pvr.async_start()
        start = time.time() + LEAD_S
        timers = [await pvr.schedule_manual(cid, start, start + 1.0 + rig.seconds + 1.0) for cid in chosen]
        await asyncio.sleep(LEAD_S + 1.0)
        size_before = sum(m.size for m in pvr.library.recordings.values())
        before, began = _cpu_s(), time.monotonic()
        await asyncio.sleep(rig.seconds)
        used = (_cpu_s() - before) / (time.monotonic() - began)
        written = sum(m.size for m in pvr.library.recordings.values()) - size_before
        elapsed = time.monotonic() - began
        while pvr.timers:  # to their end
            await asyncio.sleep(0.2)
        metas = [pvr.library.recordings[t.recording] for t in timers if t.recording]
        await pvr.async_close()
        await relay.close()
        return {"cpu": used, "bytes_per_s": written / elapsed, "metas": metas}

    base_cpu = asyncio.run(baseline())
    done = asyncio.run(record())
    metas = done["metas"]
    starts = [m.first_bytes_ms for m in metas if m.first_bytes_ms is not None]
    files = {m.channel: [rig.work / "recordings" / m.id / p.file for p in m.parts] for m in metas}
    errors = {channel: sum(continuity_errors(f) for f in paths) for channel, paths in files.items()}
    n = len(chosen)
    return {
        "recordings": n,
        "seconds": rig.seconds,
        "recording_start_ms_alone": {
            "p50": statistics.median(starts) if starts else None,
            "max": max(starts) if starts else None,
            "each": starts,
        },
        "continuity_errors_alone": sum(errors.values()),
        "continuity_errors_per_file": errors,
        "parts": {m.channel: len(m.parts) for m in metas},
        "states": {m.channel: m.state for m in metas},
        "cpu_percent_per_recording": round(100 * done["cpu"] / n, 2),
        "baseline_relay_read_cpu_percent_per_channel": round(100 * base_cpu / n, 2),
        "cpu_ratio_to_relay_read": round(done["cpu"] / base_cpu, 2) if base_cpu > 0 else None,
        "disk_write_mb_s": round(done["bytes_per_s"] / 1e6, 3),
        "disk_write_mb_s_per_recording": round(done["bytes_per_s"] / 1e6 / n, 3),
    }


def combined(rig: Rig) -> dict[str, Any]:
    """N recordings + live TV + its timeshift buffer at once, in the real box (:mod:`stb.bench.pvr_combined`)."""
    from stb.bench import pvr_combined

    return pvr_combined.run(rig.host, rig.port, rig.work, rig.recordings, rig.seconds)


def timeshift(rig: Rig) -> dict[str, Any]:
    """Pause, skip, start over, back to live and trick play on the TV (:mod:`stb.bench.timeshift`)."""
    from stb.bench import timeshift as shift
    from stb.headend.catalog import demo_lineup

    return shift.run(demo_lineup(rig.host, rig.port), buffer_s=max(8.0, 4 * rig.seconds))


def buffer_wrap(rig: Rig) -> dict[str, Any]:
    """A sped-up soak of the timeshift buffer wrapping: RSS flat over hours of a channel (stb.bench.timeshift)."""
    from stb.bench import timeshift as shift

    hours = max(0.1, rig.seconds / 4)  # the default 10 s: 2.5 h of channel time through a 2 h buffer
    return shift.buffer_wrap(hours=hours, keep_hours=hours * 0.8, sample_minutes=hours * 60 / 15)


def other_screens(rig: Rig) -> dict[str, Any]:
    """A recording in a laptop's mpv: seeks over the TS route, resume on another client (bench.recording_screens)."""
    from stb.bench import recording_screens

    return recording_screens.other_screens(rig.host, rig.port, rig.work, rig.seconds)


def phone(rig: Rig) -> dict[str, Any]:
    """A phone's chromium watching a recording the box made: Play → first frame, seeks (stb.bench.phone_recordings)."""
    from stb.bench import phone_recordings

    return phone_recordings.run(rig.host, rig.port, rig.work, record_s=max(20.0, 3 * rig.seconds))


def catchup(rig: Rig) -> dict[str, Any]:
    """A past programme from the head-end's archive on the TV, beside libVLC opening it (:mod:`stb.bench.catchup`)."""
    from stb.bench import catchup as archive
    from stb.headend.catalog import demo_lineup

    return archive.run(demo_lineup(rig.host, rig.port))


def screens(rig: Rig) -> dict[str, Any]:
    """10 screens on 10 different recordings while 2 channels record (:mod:`stb.bench.pvr_screens`)."""
    from stb.bench import pvr_screens

    return pvr_screens.run(rig.host, rig.port, rig.work, rig.seconds)


SCENARIOS: dict[str, Callable[[Rig], dict[str, Any]]] = {
    "combined": combined, "recordings": recordings, "timeshift": timeshift, "buffer_wrap": buffer_wrap,
    "phone": phone, "catchup": catchup, "other_screens": other_screens, "screens": screens,
}  # fmt: skip


def run(recording_count: int = 4, seconds: float = 10.0, scenarios: list[str] | None = None) -> dict[str, Any]:
    """Every scenario (or those named) against one demo head-end; one report with a part per scenario."""
    from stb.headend.process import headend_on_free_port

    chosen = scenarios or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        raise StbError(f"no pvr scenario {unknown[0]!r} (there are: {', '.join(SCENARIOS)})")
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="stb-bench-pvr-") as tmp, headend_on_free_port() as (_, port):
        for name in chosen:
            work = Path(tmp) / name
            work.mkdir()
            report[name] = SCENARIOS[name](Rig("127.0.0.1", port, work, recording_count, seconds))
    return report


def render(report: dict[str, Any]) -> str:
    lines = []
    if "combined" in report:
        from stb.bench import pvr_combined

        lines += pvr_combined.render(report["combined"])
    rec = report.get("recordings")
    if rec:
        start = rec["recording_start_ms_alone"]
        lines += [
            f"recordings alone: {rec['recordings']} at once for {rec['seconds']:.0f} s from the demo head-end",
            f"  recording start (timer → bytes on disk): p50 {start['p50']:.0f} ms, max {start['max']:.0f} ms",
            f"  continuity errors (ffmpeg's TS demuxer): {rec['continuity_errors_alone']} in all files",
            f"  CPU per recording: {rec['cpu_percent_per_recording']:.2f} % (relay read alone: "
            f"{rec['baseline_relay_read_cpu_percent_per_channel']:.2f} % per channel, "
            f"×{rec['cpu_ratio_to_relay_read']})",
            f"  disk writes: {rec['disk_write_mb_s']:.3f} MB/s "
            f"({rec['disk_write_mb_s_per_recording']:.3f} per recording)",
        ]  # fmt: skip
    wrap = report.get("buffer_wrap")
    if wrap:
        lines.append(f"timeshift buffer wrapping: {wrap['channel_hours']:.1f} h of a channel through a "
                     f"{wrap['buffer_hours']:.1f} h buffer ({wrap['written_mb']} MB, {wrap['seconds']:.0f} s sped up): "
                     f"RSS {wrap['rss_mb'][1] if len(wrap['rss_mb']) > 1 else 0:.0f} → {wrap['rss_mb'][-1]:.0f} MB "
                     f"(growth {wrap['rss_growth_mb']:+.1f} MB filling, {wrap['rss_growth_while_wrapping_mb']:+.1f} MB "
                     "while wrapping), the reader at live never lost its place "
                     f"({wrap['reader_jumps']} jumps)")  # fmt: skip
    if "other_screens" in report:
        from stb.bench import recording_screens

        lines += recording_screens.render(report["other_screens"])
    if "screens" in report:
        from stb.bench import pvr_screens

        lines += pvr_screens.render(report["screens"])
    if "timeshift" in report:
        from stb.bench import timeshift as shift

        lines += shift.render(report["timeshift"])
    if "phone" in report:
        from stb.bench import phone_recordings

        lines += phone_recordings.render(report["phone"])
    if "catchup" in report:
        from stb.bench import catchup as archive

        lines += archive.render(report["catchup"])
    return "\n".join(lines)
