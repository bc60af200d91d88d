"""`stb bench pvr`'s combined scenario: N recordings, live TV and its timeshift buffer, all at once in one box.

The real box (:func:`stb.assembly.build_app`, headless): libVLC shows a channel that no timer records while the
TV's relay writes it into the timeshift buffer; the recorder (on the API's loop, reading through the box's
relay) has N timers on N other channels fire together. Measured in the same run: the box's CPU with live TV and
timeshift alone (the baseline), then with the recordings on top (their cost is the difference, per recording);
bytes written per second to recordings and to the buffer; recording start (timer time → first bytes on disk);
the pictures the TV decoded per second in both (live TV must not suffer). Afterwards every recording file, and
the buffer's bytes, are checked by our TS analyser (:mod:`stb.ts.continuity`) and by ffmpeg's demuxer, and
one recording is decoded whole by ffmpeg at ``-v error`` (a stock reader must find nothing to say).
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stb.errors import StbError

LEAD_S = 2.0  # the timers are set this far ahead, so the recorder's scheduler fires them
START_TIMEOUT_S = 30.0


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bytes_under(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*.ts"):
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size
    return total


def _decoded(app: Any) -> int:
    counts = app.player.adapter.counts()
    return counts.video if counts is not None else 0


class _Window:
    """What one stretch of the box's life cost: CPU, bytes to recordings and to the buffer, pictures decoded."""

    def __init__(self, app: Any, recordings: Path, shift: Path) -> None:
        self.app, self.recordings, self.shift = app, recordings, shift

    def measure(self, seconds: float, step: Callable[[float], None]) -> dict[str, float]:
        rec, buf, pictures = _bytes_under(self.recordings), _bytes_under(self.shift), _decoded(self.app)
        cpu, began = _cpu_s(), time.monotonic()
        step(seconds)
        elapsed = time.monotonic() - began
        return {
            "cpu": (_cpu_s() - cpu) / elapsed,
            "recording_bytes_per_s": (_bytes_under(self.recordings) - rec) / elapsed,
            "buffer_bytes_per_s": (_bytes_under(self.shift) - buf) / elapsed,
            "pictures_per_s": (_decoded(self.app) - pictures) / elapsed,
        }


def ffmpeg_error_lines(path: Path) -> list[str]:
    """What ffmpeg says at ``-v error`` decoding the whole file (a stock reader's judgement): nothing, if clean."""
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0", "-f", "null", "-"]
    run = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=300)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if run.returncode != 0:
        raise StbError(f"ffmpeg cannot read {path.name}: {lines[-1] if lines else run.returncode}")
    return lines


def run(host: str, port: int, work: Path, count: int, seconds: float) -> dict[str, Any]:
    """The scenario against the demo head-end on ``host:port``; ``seconds`` of each window (at most ~60 s in all
    for the default 10 s and 4 recordings)."""
    from stb.assembly import build_app
    from stb.bench.pvr import continuity_errors
    from stb.config import StateStore
    from stb.headend.catalog import CHANNELS, demo_lineup
    from stb.settings import Settings, SettingsStore
    from stb.ts.continuity import check_file

    lineup = demo_lineup(host, port)
    ts_channels = [c.id for c in CHANNELS if not c.hls]
    if count + 1 > len(ts_channels):
        raise StbError(f"the demo head-end has {len(ts_channels)} TS channels: at most {len(ts_channels) - 1} "
                       "recordings beside the one on the TV")  # fmt: skip
    recorded, watched = ts_channels[:count], ts_channels[count]
    state, shift_dir = work / "state", work / "shift"
    settings = Settings(timeshift=True, timeshift_dir=str(shift_dir), recordings_dir=str(work / "recordings"),
                        recording_channels=count, relay_channels=max(4, count))  # fmt: skip
    state.mkdir(parents=True, exist_ok=True)
    SettingsStore(state).save(settings)
    app = build_app(lineup, api_port=_free_port(), headless=True, store=StateStore(state),
                    guide_db=work / "guide.db", pretune=0)  # fmt: skip
    app.start()

    def step(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.step()
            time.sleep(1 / 60)

    def until(check: Callable[[], bool], what: str, timeout: float = START_TIMEOUT_S) -> None:
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise StbError(f"pvr benchmark (combined): {what} did not happen in {timeout:.0f} s")
            app.step()
            time.sleep(1 / 60)

    try:
        pvr = app.tv.recordings.pvr
        shift = app.tv.timeshift
        if pvr is None or shift is None:
            raise StbError("pvr benchmark (combined): the box has no recorder or no timeshift")
        until(lambda: pvr.loop is not None, "the recorder's start")
        app.box.zap(watched)
        until(lambda: app.player.state.value == "playing" and app.player.channel is not None
              and app.player.channel.id == watched, "live TV")  # fmt: skip
        until(lambda: (w := shift.window()) is not None and w.live_at - w.start_at >= 2.0, "the timeshift buffer")
        window = _Window(app, work / "recordings", shift_dir)
        alone = window.measure(seconds, step)  # live TV and its buffer: the baseline
        start = time.time() + LEAD_S
        asked = [pvr.submit(lambda c=cid: pvr.schedule_manual(c, start, start + LEAD_S + seconds + 1.0))
                 for cid in recorded]  # fmt: skip
        timers = [future.result(START_TIMEOUT_S) for future in asked]
        step(LEAD_S + 1.0)  # the timers fired, past the first GOPs
        together = window.measure(seconds, step)
        until(lambda: not any(t.id in pvr.timers for t in timers), "the recordings' end", timeout=seconds + 30)
        view = pvr.submit(pvr.view).result(START_TIMEOUT_S)
        still_on = app.player.state.value == "playing" and app.player.channel is not None and (
            app.player.channel.id == watched)  # fmt: skip
        buffer_copy = work / "buffer.ts"
        local = next((s.local for s in app.services if getattr(s, "local", None) is not None), None)
        if local is None or local.copy_since(watched, 0.0, buffer_copy) is None:
            raise StbError("pvr benchmark (combined): the TV's timeshift buffer could not be read")
        recordings_dir = Path(pvr.library.directory)
    finally:
        app.close()
    metas = [m for m in view.recordings if m.timer in {t.id for t in timers}]
    starts = [m.first_bytes_ms for m in metas if m.first_bytes_ms is not None]
    files = {m.channel: [recordings_dir / m.id / p.file for p in m.parts] for m in metas}
    ours = {channel: sum(check_file(f).errors for f in paths) for channel, paths in files.items()}
    ffmpeg = {channel: sum(continuity_errors(f) for f in paths) for channel, paths in files.items()}
    first_file = next((paths[0] for paths in files.values() if paths), None)
    decode_errors = ffmpeg_error_lines(first_file) if first_file is not None else None
    buffer_check = check_file(buffer_copy)
    extra = together["cpu"] - alone["cpu"]
    return {
        "recordings": count,
        "seconds": seconds,
        "tv_channel": watched,
        "recording_start_ms": {
            "p50": statistics.median(starts) if starts else None,
            "max": max(starts) if starts else None,
            "each": starts,
        },
        "continuity_errors": sum(ours.values()) + sum(ffmpeg.values()),
        "continuity_errors_per_file": {"stb_ts": ours, "ffmpeg": ffmpeg},
        "ffmpeg_decode_error_lines": len(decode_errors) if decode_errors is not None else None,
        "ffmpeg_decode_errors_sample": (decode_errors or [])[:5],
        "timeshift_buffer_continuity_errors": buffer_check.errors,
        "timeshift_buffer_packets": buffer_check.packets,
        "states": {m.channel: m.state for m in metas},
        "parts": {m.channel: len(m.parts) for m in metas},
        "cpu_percent_tv_and_timeshift": round(100 * alone["cpu"], 2),
        "cpu_percent_with_recordings": round(100 * together["cpu"], 2),
        "cpu_percent_per_recording": round(100 * extra / count, 2),
        "disk_write_mb_s": round((together["recording_bytes_per_s"] + together["buffer_bytes_per_s"]) / 1e6, 3),
        "disk_write_mb_s_recordings": round(together["recording_bytes_per_s"] / 1e6, 3),
        "disk_write_mb_s_timeshift": round(together["buffer_bytes_per_s"] / 1e6, 3),
        "tv_pictures_per_s": {
            "alone": round(alone["pictures_per_s"], 1),
            "with_recordings": round(together["pictures_per_s"], 1),
        },
        "tv_still_on_its_channel": still_on,
    }


def render(rec: dict[str, Any]) -> list[str]:
    start, pictures = rec["recording_start_ms"], rec["tv_pictures_per_s"]
    p50 = f"{start['p50']:.0f}" if start["p50"] is not None else "–"
    top = f"{start['max']:.0f}" if start["max"] is not None else "–"
    return [
        f"combined: {rec['recordings']} recordings + live TV ({rec['tv_channel']}) + its timeshift buffer, "
        f"{rec['seconds']:.0f} s",
        f"  recording start (timer → bytes on disk): p50 {p50} ms, max {top} ms",
        f"  continuity errors: {rec['continuity_errors']} in all recordings (stb.ts and ffmpeg's demuxer), "
        f"{rec['timeshift_buffer_continuity_errors']} in the buffer; ffmpeg -v error decoding one: "
        f"{rec['ffmpeg_decode_error_lines']} lines",
        f"  CPU: live TV + timeshift {rec['cpu_percent_tv_and_timeshift']:.1f} %, with the recordings "
        f"{rec['cpu_percent_with_recordings']:.1f} % ({rec['cpu_percent_per_recording']:.2f} % per recording)",
        f"  disk writes: {rec['disk_write_mb_s']:.3f} MB/s ({rec['disk_write_mb_s_recordings']:.3f} recordings, "
        f"{rec['disk_write_mb_s_timeshift']:.3f} timeshift)",
        f"  live TV: {pictures['alone']} pictures/s alone, {pictures['with_recordings']} with the recordings",
    ]
