"""`stb bench pvr --scenario screens`: 10 screens watching 10 different recordings while 2 channels record.

The box's recorder and API as in :mod:`stb.bench.recording_screens` (uvicorn on loopback, the real routes, a paired
device, signed URLs), with the recorder running on the API's loop as in the box. First it records one short
programme per screen, all at once, on different demo channels. Then the API starts 2 recordings of live channels
(``POST /api/v1/timers``, "record now") and, while they record:

1. the baseline: the same reads as the screens' (stock ffmpeg, ``-re``: real-time speed), of the files on disk;
2. the screens: ffmpeg reading each recording over the URLs ``POST …/stream-urls`` gives, half over the TS
   route (byte ranges), half over HLS (playlist + segments); some start partway (``-ss``: a range request, or a
   later segment).

Each ffmpeg is the judge of what it received: its debug log names every "Continuity check failed" and counts the
bytes it read. The box's CPU (this process: the API, the recorder, the relay) is measured in both stretches.
Afterwards the 2 recordings are stopped (``DELETE /api/v1/timers/{id}``) and checked by ffmpeg and by
:mod:`stb.ts.continuity`. A screen that received nothing, or whose ffmpeg failed, fails the bench.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stb.errors import StbError

SEEK_SHARE = 0.4  # the screens that seek start this far into their recording
MIN_LENGTH_S = 8.0
LEAD_S = 1.0  # the first recordings' timers are set this far ahead, so the scheduler fires them
WAIT_S = 60.0  # longer than this for something that takes seconds: the bench stops with a clear line
STATISTICS = re.compile(r"Statistics: (\d+) bytes read, (\d+) seeks")


@dataclass
class Screen:
    index: int
    recording: str
    channel: str
    route: str  # "ts" or "hls"
    seek_s: float | None
    url: str
    disk: Path


def _ffmpeg(source: str, seconds: float, seek: float | None, log: Path) -> subprocess.Popen:
    """A stock client reading ``source`` at real-time speed for ``seconds``, its debug log into ``log``."""
    start = ["-ss", f"{seek:.2f}"] if seek is not None else []
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "debug", "-re", *start, "-i", source, "-t", f"{seconds:.2f}",
               "-map", "0", "-c", "copy", "-f", "null", "-"]  # fmt: skip
    with log.open("w") as out:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out)


def _judged(log: Path, code: int, elapsed: float) -> dict[str, Any]:
    from stb.bench.pvr import CC_FAILED

    text = log.read_text(errors="replace")
    stats = [(int(b), int(s)) for b, s in STATISTICS.findall(text)]
    got = sum(b for b, _ in stats)
    lines = [line for line in text.splitlines() if line.strip()]
    return {"bytes": got, "seeks": sum(s for _, s in stats), "continuity_errors": text.count(CC_FAILED),
            "mb_s": round(got / elapsed / 1e6, 3), "exit": code,
            "last_line": lines[-1][:200] if code and lines else None}  # fmt: skip


def _read_all(screens: list[Screen], work: Path, seconds: float, from_disk: bool) -> dict[str, Any]:
    """Every screen's ffmpeg at once; each one's bytes and errors, and the box's CPU over the stretch."""
    from stb.bench.pvr import _cpu_s

    kind = "disk" if from_disk else "box"
    logs = [work / f"screen-{s.index}-{kind}.log" for s in screens]
    cpu, began = _cpu_s(), time.monotonic()
    sources = [str(s.disk) if from_disk else s.url for s in screens]
    children = [_ffmpeg(source, seconds, s.seek_s, log) for source, s, log in zip(sources, screens, logs, strict=True)]
    ended: list[tuple[int, float]] = []
    for child in children:
        try:
            ended.append((child.wait(timeout=seconds + WAIT_S), time.monotonic() - began))
        except subprocess.TimeoutExpired:
            child.kill()
            ended.append((child.wait(), time.monotonic() - began))
    elapsed = time.monotonic() - began
    each = [_judged(log, code, took) for log, (code, took) in zip(logs, ended, strict=True)]
    return {"cpu": (_cpu_s() - cpu) / elapsed, "each": each}


def _call(api: Any, method: str, path: str, **kwargs: Any) -> Any:
    """The box's answer (JSON, or None for 204); an error answer stops the bench with its detail, in one line."""
    answer = api.request(method, path, **kwargs)
    if answer.status_code >= 400:
        detail = answer.json().get("detail") if "json" in answer.headers.get("content-type", "") else answer.text
        raise StbError(f"pvr benchmark (screens): {method} {path}: {answer.status_code} {str(detail)[:200]}")
    return answer.json() if answer.content else None


def _wait_for(check: Any, what: str, timeout: float) -> Any:
    end = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > end:
            raise StbError(f"pvr benchmark (screens): {what} did not happen in {timeout:.0f} s")
        time.sleep(0.2)
    return found


def _first_recordings(pvr: Any, api: Any, channels: list[str], length: float) -> list[dict[str, Any]]:
    """One recording per channel, all at once, made by the recorder; their entries in ``GET /recordings``."""
    start = time.time() + LEAD_S
    asked = [pvr.submit(lambda c=c: pvr.schedule_manual(c, start, start + length)) for c in channels]
    timers = {future.result(WAIT_S).id for future in asked}
    _wait_for(lambda: not timers & {t["id"] for t in _call(api, "GET", "/api/v1/timers")["timers"]},
              "the first recordings' end", length + WAIT_S)  # fmt: skip
    made = [r for r in _call(api, "GET", "/api/v1/recordings")["recordings"] if r["size"] > 0]
    if len(made) < len(channels) or any(r["state"] not in ("done", "partial") for r in made):
        states = ", ".join(f"{r['channel']} {r['state']}" for r in made)
        raise StbError(f"pvr benchmark (screens): the recordings to watch failed ({states or 'none made'})")
    return made


def _screen(index: int, meta: dict[str, Any], api: Any, root: str, folder: Path) -> Screen:
    """Screen ``index``: alternately on the TS route and on HLS, two in four starting partway, at the URL the API
    gives for its recording (``POST …/stream-urls``)."""
    route = "ts" if index % 2 == 0 else "hls"
    url = root + _call(api, "POST", f"/api/v1/recordings/{meta['id']}/stream-urls")[route]
    seek = SEEK_SHARE * meta["duration"] if index % 4 in (2, 3) else None  # of 10: two on each route
    return Screen(index, meta["id"], meta["channel"], route, seek, url, folder / meta["parts"][0]["file"])


def run(host: str, port: int, work: Path, seconds: float, screens: int = 10, recording: int = 2) -> dict[str, Any]:
    """``screens`` clients on different recordings for ``seconds`` while ``recording`` channels record."""
    import httpx

    from stb.bench.pvr import continuity_errors
    from stb.bench.recording_screens import recorder, serving
    from stb.headend.catalog import CHANNELS, demo_lineup
    from stb.ts.continuity import check_file

    ts_channels = [c.id for c in CHANNELS if not c.hls]
    length = max(MIN_LENGTH_S, (seconds + 2.0) / (1 - SEEK_SHARE))
    pvr, relay = recorder(demo_lineup(host, port), work, screens + recording)
    with serving(pvr, work, streams=screens, relay=relay) as (root, auth), \
            httpx.Client(base_url=root, headers=auth, timeout=WAIT_S) as api:  # fmt: skip
        began = time.monotonic()
        made = _first_recordings(pvr, api, [ts_channels[i % len(ts_channels)] for i in range(screens)], length)
        setup_s = time.monotonic() - began
        plan = [_screen(i, meta, api, root, pvr.library.folder(meta["id"])) for i, meta in enumerate(made)]
        live = [_call(api, "POST", "/api/v1/timers", json={"what": "now", "channel": c})["timer"]["id"]
                for c in ts_channels[-recording:]]  # fmt: skip

        def recording_now() -> list[dict[str, Any]]:
            timers = [t for t in _call(api, "GET", "/api/v1/timers")["timers"] if t["id"] in live and t["recording"]]
            metas = [_call(api, "GET", f"/api/v1/recordings/{t['recording']}") for t in timers]
            return metas if len(metas) == len(live) and all(m["size"] > 0 for m in metas) else []

        ids = [m["id"] for m in _wait_for(recording_now, "the live recordings' first bytes", WAIT_S)]
        disk = _read_all(plan, work, seconds, from_disk=True)
        box = _read_all(plan, work, seconds, from_disk=False)
        for timer in live:
            _call(api, "DELETE", f"/api/v1/timers/{timer}")
        metas = [_call(api, "GET", f"/api/v1/recordings/{i}") for i in ids]
        files = {m["channel"]: [pvr.library.folder(m["id"]) / p["file"] for p in m["parts"]] for m in metas}
    check_screens(plan, box["each"])
    received, from_disk = sum(r["bytes"] for r in box["each"]), sum(r["bytes"] for r in disk["each"])
    return {
        "screens": len(plan),
        "recordings_while": len(ids),
        "seconds": seconds,
        "setup_s": round(setup_s, 1),
        "recording_s": round(length, 1),
        "routes": {
            "ts": sum(s.route == "ts" for s in plan),
            "hls": sum(s.route == "hls" for s in plan),
            "seeking": sum(s.seek_s is not None for s in plan),
        },
        "continuity_errors_screens": sum(r["continuity_errors"] for r in box["each"]),
        "continuity_errors_disk": sum(r["continuity_errors"] for r in disk["each"]),
        "continuity_errors_recordings": sum(continuity_errors(f) for paths in files.values() for f in paths),
        "continuity_errors_recordings_stb_ts": sum(check_file(f).errors for paths in files.values() for f in paths),
        "recordings_while_states": {m["channel"]: m["state"] for m in metas},
        "bytes_per_screen": round(received / len(plan)),
        "mb_s_per_screen": round(sum(r["mb_s"] for r in box["each"]) / len(plan), 3),
        "bytes_ratio_to_disk": round(received / from_disk, 2) if from_disk else None,
        "cpu_percent": round(100 * box["cpu"], 1),
        "cpu_percent_recordings_alone": round(100 * disk["cpu"], 1),
        "cpu_ratio_to_recordings_alone": round(box["cpu"] / disk["cpu"], 2) if disk["cpu"] > 0 else None,
        "each": [
            {"screen": s.index, "channel": s.channel, "route": s.route, "seek_s": s.seek_s and round(s.seek_s, 1), **r}
            for s, r in zip(plan, box["each"], strict=True)
        ],
    }


def check_screens(plan: list[Screen], each: list[dict[str, Any]]) -> None:
    """Every screen received bytes and its ffmpeg ended well; else the bench fails naming them (0 continuity errors
    from a client that got nothing would be no figure)."""
    failed = []
    for screen, got in zip(plan, each, strict=True):
        if got["exit"] or not got["bytes"]:
            why = f"ffmpeg exit {got['exit']}: {got['last_line']}" if got["exit"] else "no bytes received"
            failed.append(f"screen {screen.index} ({screen.route}, {screen.channel}): {why}")
    if failed:
        raise StbError(f"pvr benchmark (screens): {len(failed)} screen(s) failed: {'; '.join(failed[:3])}")


def render(part: dict[str, Any]) -> list[str]:
    routes = part["routes"]
    return [
        f"screens: {part['screens']} ffmpeg clients on {part['screens']} different recordings for "
        f"{part['seconds']:.0f} s ({routes['ts']} TS route, {routes['hls']} HLS, {routes['seeking']} starting "
        f"partway) while {part['recordings_while']} channels record (setup: {part['screens']} recordings of "
        f"{part['recording_s']:.0f} s in {part['setup_s']:.0f} s)",
        f"  continuity errors: {part['continuity_errors_screens']} in what the screens received (ffmpeg), "
        f"{part['continuity_errors_recordings']} in the recordings made meanwhile "
        f"({part['continuity_errors_recordings_stb_ts']} by stb.ts); reading the files from disk: "
        f"{part['continuity_errors_disk']}",
        f"  per screen: {part['bytes_per_screen'] / 1e6:.2f} MB, {part['mb_s_per_screen']:.3f} MB/s "
        f"(×{part['bytes_ratio_to_disk']} the bytes of the same reads from disk)",
        f"  box CPU: {part['cpu_percent']:.1f} % with the screens, {part['cpu_percent_recordings_alone']:.1f} % "
        f"with the recordings alone (×{part['cpu_ratio_to_recordings_alone']})",
    ]
