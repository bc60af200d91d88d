"""Recordings that go wrong: the box killed mid-recording, a full disk, a source that drops, clock jumps,
damaged timer files, and hostile ids in the recordings API.

The recordings come through the product's own relay (:class:`stb.relay.relay.Relay`) from a loopback
server sending a demo clip at its own rate, and are written by the product's recorder
(:class:`stb.pvr.service.Pvr`); what is on disk is then read by ffprobe, a stock TS reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from stb.reliability.api import API, case, exchange, get, refusal
from stb.reliability.harness import Case, Outcome
from stb.reliability.tvlab import CLIP_S, bad_upstream, demo_clip, send_headers, send_paced

AREA = "pvr"
CHANNEL = "rec"
KILL_LOSS_S = 2.0  # what a kill -9 may cost a recording at most
UP_S = 30.0  # hang guard for "the recording has started"


# -- the rig -------------------------------------------------------------------------------------------------
class Source:
    """A demo clip sent at its own rate, for ever; ``down`` makes it drop every connection and refuse new ones."""

    def __init__(self, fast: bool = False) -> None:
        self.clip = demo_clip(1)
        self.rate = len(self.clip) / CLIP_S * (20 if fast else 1)
        self.down = threading.Event()

    def serve(self, handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        if self.down.is_set():
            handler.send_error(503)
            return
        send_headers(handler)
        over = _either(stop, self.down)
        while not over.is_set():  # the clip again and again, as a channel that never ends
            send_paced(handler, self.clip, self.rate, over)


def _either(a: threading.Event, b: threading.Event) -> threading.Event:
    """An event set once ``a`` or ``b`` is (polled by a small thread that ends with them)."""
    both = threading.Event()

    def watch() -> None:
        while not (a.is_set() or b.is_set()):
            time.sleep(0.05)
        both.set()

    threading.Thread(target=watch, daemon=True).start()
    return both


def _pvr(state: Path, recordings: Path, url: str, events: Callable[[str, dict], None] = lambda k, d: None):
    """The product's relay and recorder on one channel at ``url`` (no guide: "record now" takes an hour)."""
    from stb.pvr.service import Pvr
    from stb.relay.feed import ChannelSource
    from stb.relay.relay import Relay

    source = ChannelSource(CHANNEL, "Recorded channel", (url,))
    relay = Relay(lambda cid: source if cid == CHANNEL else None, stall_s=3.0)

    async def no_guide(query: Any, default: Any) -> Any:
        return default

    pvr = Pvr(state_dir=state, recordings_dir=recordings, reader=relay, guide=no_guide,
              channel_name=lambda cid: source.name if cid == CHANNEL else None, events=events)  # fmt: skip
    return relay, pvr


def record_child() -> None:
    """``python -c "…record_child()" STATE RECORDINGS URL``: record now (or resume the timer saved), for ever."""
    state, recordings, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    async def main() -> None:
        _, pvr = _pvr(state, recordings, url)
        await pvr.async_start()
        if not pvr.timers:
            await pvr.schedule_now(CHANNEL)
        await asyncio.Event().wait()

    asyncio.run(main())


def _parts(recordings: Path) -> list[Path]:
    return sorted(recordings.glob("*/part-*.ts"))


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def probe(path: Path) -> tuple[float, set[str], str]:
    """ffprobe's duration of a TS file, its stream types, and what it complained about."""
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                           "-of", "json", str(path)], capture_output=True, text=True, timeout=60)  # fmt: skip
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        data = {}
    duration = float(data.get("format", {}).get("duration") or 0.0)
    return duration, {s.get("codec_type", "") for s in data.get("streams", [])}, done.stderr.strip()[:200]


@contextlib.contextmanager
def _child(work: Path, url: str) -> Iterator[subprocess.Popen]:
    code = "from stb.reliability.pvr import record_child; record_child()"
    child = subprocess.Popen([sys.executable, "-c", code, str(work / "state"), str(work / "recordings"), url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)


# -- kill -9 -------------------------------------------------------------------------------------------------
def _kill_during_recording(work: Path) -> Outcome:
    from stb.pvr.library import Library

    source = Source()
    with bad_upstream(source.serve) as upstream:
        with _child(work, upstream.url) as child:
            first = work / "recordings"
            if not _wait(lambda: any(p.stat().st_size > source.rate * 3 for p in _parts(first)), UP_S):
                return Outcome(False, "the recording did not start")
            time.sleep(random.uniform(0.5, 3.0))
            os.kill(child.pid, signal.SIGKILL)
            killed_at = time.time()
            child.wait(10)
        library = Library(work / "recordings")
        library.rebuild()
        metas = list(library.recordings.values())
        if len(metas) != 1 or len(metas[0].parts) != 1:
            return Outcome(False, f"after the kill: {len(metas)} recordings, not one with one part", lost=1)
        part = metas[0].parts[0]
        duration, kinds, complaint = probe(work / "recordings" / metas[0].id / part.file)
        covered = part.start + duration  # the clip's join GOP may add a little before the part's wall start
        with _child(work, upstream.url):
            resumed = _wait(lambda: len(_parts(work / "recordings")) == 2 and _parts(work / "recordings")[1].stat()
                            .st_size > 0, UP_S)  # fmt: skip
    library.rebuild()
    meta = next(iter(library.recordings.values()), None)
    problems = []
    if "video" not in kinds:
        problems.append(f"part 1 does not play: {complaint or 'no video stream'}")
    if covered < killed_at - KILL_LOSS_S:
        problems.append(f"part 1 plays to {killed_at - covered:.1f} s before the kill")
    if not resumed or meta is None or [p.file for p in meta.parts] != ["part-1.ts", "part-2.ts"]:
        problems.append("recording did not resume as a second part after the restart")
    saw = (f"part 1 plays {duration:.1f} s, to {max(0.0, killed_at - covered):.1f} s before the kill; after the "
           f"restart {'a second part is written' if resumed else 'nothing more'}; state {meta.state if meta else '?'}"
           )  # fmt: skip
    return Outcome(not problems, "; ".join(problems) or saw, lost=0 if "video" in kinds else 1)


# -- disk full -----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _tmpfs(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def _run_pvr(work: Path, recordings: Path, url: str, scenario: Callable[[Any, list], Any]) -> Any:
    """``scenario(pvr, events)`` (a coroutine function) with the product's relay and recorder running."""
    events: list[tuple[str, dict]] = []

    async def main() -> Any:
        relay, pvr = _pvr(work / "state", recordings, url, lambda k, d: events.append((k, d)))
        await pvr.async_start()
        try:
            return await scenario(pvr, events)
        finally:
            await pvr.async_close()
            await relay.close()

    return asyncio.run(main())


async def _until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _disk_full(work: Path) -> Outcome:
    source = Source(fast=True)
    with bad_upstream(source.serve) as upstream, _tmpfs(work / "small-disk", "4m") as disk:
        other = disk / "0123456789abcdef"
        other.mkdir()
        (other / "part-1.ts").write_bytes(source.clip[: 188 * 2000])
        kept = (other / "part-1.ts").read_bytes()

        async def scenario(pvr: Any, events: list) -> Any:
            timer = await pvr.schedule_now(CHANNEL)
            meta = pvr.library.recordings.get(timer.recording)
            ended = await _until(lambda: meta is not None and meta.state != "recording", UP_S)
            return meta, ended

        meta, ended = _run_pvr(work, disk, upstream.url, scenario)
        problems = []
        if meta is None or not ended:
            return Outcome(False, "the recording neither started nor stopped on the full disk")
        saved = json.loads((disk / meta.id / "meta.json").read_text())
        part = disk / meta.id / "part-1.ts"
        size = part.stat().st_size if part.exists() else 0
        duration, kinds, complaint = probe(part) if size else (0.0, set(), "no file")
        if saved["state"] != "partial" or "disk is full" not in (saved["reason"] or ""):
            problems.append(f"meta.json says {saved['state']}: {saved['reason']}")
        if size % 188 or "video" not in kinds:
            problems.append(f"the part is {size} bytes and plays {kinds or 'nothing'}: {complaint}")
        if (other / "part-1.ts").read_bytes() != kept:
            problems.append("another recording on the disk changed")
        saw = f"stopped as {saved['state']} ({saved['reason']}); {size} bytes kept, {duration:.1f} s playable"
    return Outcome(not problems, "; ".join(problems) or saw, lost=0 if not problems else 1)


# -- a source that drops -------------------------------------------------------------------------------------
def _source_drop(work: Path) -> Outcome:
    source = Source()
    with bad_upstream(source.serve) as upstream:

        async def scenario(pvr: Any, events: list) -> Any:
            timer = await pvr.schedule_now(CHANNEL)
            meta = pvr.library.recordings[timer.recording]
            if not await _until(lambda: meta.size > source.rate * 2, UP_S):
                return meta, "the recording did not start"
            source.down.set()
            await _until(lambda: bool(meta.gaps), UP_S)
            await asyncio.sleep(4.0)
            source.down.clear()
            back = await _until(lambda: len(meta.parts) == 2 and meta.parts[1].bytes > source.rate, UP_S)
            return meta, None if back else "the recording did not go on when the source came back"

        meta, failed = _run_pvr(work, work / "recordings", upstream.url, scenario)
    if failed:
        return Outcome(False, failed)
    problems = []
    gap = meta.gaps[0] if meta.gaps else None
    if gap is None or gap.end is None:
        problems.append("no gap marked in meta.json")
    played = [probe(work / "recordings" / meta.id / p.file) for p in meta.parts]
    if not all("video" in kinds for _, kinds, _ in played):
        problems.append(f"a part does not play: {[c for _, _, c in played]}")
    length = (gap.end - gap.start) if gap is not None and gap.end is not None else 0.0
    saw = f"{len(meta.parts)} parts ({', '.join(f'{d:.1f} s' for d, _, _ in played)}), a gap of {length:.1f} s marked"
    return Outcome(not problems, "; ".join(problems) or saw)


# -- clock jumps ---------------------------------------------------------------------------------------------
class JumpingClock:
    """The wall clock as the case sets it (a jump, a DST change); waiting is real."""

    def __init__(self, at: float) -> None:
        self.at = at

    def time(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.1))


def _clock_jumps(work: Path) -> Outcome:
    from stb.pvr.service import Pvr
    from stb.relay.feed import ChannelSource
    from stb.relay.relay import Relay

    source = Source()
    # 2026-10-25 00:30 UTC: Europe's clocks go back an hour at 01:00 UTC; timers are kept in UTC, so nothing moves
    base = 1792888200.0
    clock = JumpingClock(base)
    events: list[tuple[str, dict]] = []
    with bad_upstream(source.serve) as upstream:
        channel = ChannelSource(CHANNEL, "Recorded channel", (upstream.url,))

        async def no_guide(query: Any, default: Any) -> Any:
            return default

        async def main() -> list[str]:
            relay = Relay(lambda cid: channel if cid == CHANNEL else None)
            pvr = Pvr(state_dir=work / "state", recordings_dir=work / "recordings", reader=relay, guide=no_guide,
                      channel_name=lambda cid: channel.name if cid == CHANNEL else None, clock=clock,
                      events=lambda k, d: events.append((k, d)))  # fmt: skip
            await pvr.async_start()
            wrong = []
            try:
                jumped_over = await pvr.schedule_manual(CHANNEL, base + 1800, base + 3600, "Jumped over")
                jumped_into = await pvr.schedule_manual(CHANNEL, base + 3 * 3600, base + 5 * 3600, "Jumped into")
                later = await pvr.schedule_manual(CHANNEL, base + 8 * 3600, base + 9 * 3600, "Later")
                clock.at = base + 4 * 3600  # forward four hours, past the DST change, into the second timer
                fired = await _until(lambda: jumped_into.recording is not None
                                     and pvr.library.recordings[jumped_into.recording].size > 0, UP_S)  # fmt: skip
                if jumped_over.id in pvr.timers or ("recording_failed", "missed") not in [
                        (k, d["state"]) for k, d in events]:  # fmt: skip
                    wrong.append("the timer jumped over was not skipped and said so")
                if not fired:
                    wrong.append("the timer jumped into did not record")
                clock.at = base + 3.5 * 3600  # back half an hour: still inside it
                await asyncio.sleep(2 * 2.0 + 0.5)  # two of the recorder's looks at the clock
                if pvr.timers.get(jumped_into.id) is None or pvr.timers[jumped_into.id].state != "recording":
                    wrong.append("a jump back inside the programme stopped the recording")
                if pvr.timers.get(later.id) is None or pvr.timers[later.id].state != "scheduled":
                    wrong.append("the later timer did not stay scheduled")
                clock.at = base + 5 * 3600 + 1
                if not await _until(lambda: jumped_into.id not in pvr.timers, UP_S):
                    wrong.append("the recording did not end at its end")
            finally:
                await pvr.async_close()
                await relay.close()
            return wrong

        wrong = asyncio.run(main())
    saw = ", ".join(f"{k} {d['title']} ({d['state']})" for k, d in events)
    return Outcome(not wrong, "; ".join(wrong) or saw)


# -- damaged files -------------------------------------------------------------------------------------------
def _corrupt_timer_file(work: Path) -> Outcome:
    from stb.pvr.library import Library, Meta
    from stb.pvr.timers import Timer, TimerFiles, new_id

    files = TimerFiles(work / "state" / "timers")
    good = Timer(new_id(), CHANNEL, "Later", time.time() + 3600, time.time() + 7200)
    files.save_timer(good)
    bad = work / "state" / "timers" / f"timer-{new_id()}.json"
    bad.write_bytes(b'{"id": "' + os.urandom(40) + b'"')
    library = Library(work / "recordings")
    meta = Meta(new_id(), CHANNEL, "Recorded channel", "Kept", 0, 1)
    library.create(meta)
    (work / "recordings" / meta.id / "part-1.ts").write_bytes(demo_clip(1)[: 188 * 100])
    (work / "recordings" / meta.id / "meta.json").write_bytes(b"\x00\xff garbage")

    async def scenario(pvr: Any, events: list) -> Any:
        return set(pvr.timers), list(pvr.problems), list(pvr.library.recordings), events

    timers, problems, recordings, events = _run_pvr(work, work / "recordings", "http://127.0.0.1:9/", scenario)
    wrong = []
    if timers != {good.id}:
        wrong.append(f"timers loaded: {sorted(timers)}")
    if not any(bad.name in p for p in problems) or not list(bad.parent.glob(f"{bad.name}.corrupt-*")):
        wrong.append(f"the damaged timer file is not named and kept aside: {problems}")
    if recordings != [meta.id] or not list((work / "recordings" / meta.id).glob("meta.json.corrupt-*")):
        wrong.append("the recording with a damaged meta.json was not kept and rebuilt")
    if sum(kind == "recording_problem" for kind, _ in events) != 2:
        wrong.append(f"no notice for each: {events}")
    return Outcome(not wrong, "; ".join(wrong) or " / ".join(problems), lost=0 if timers == {good.id} else 1)


# -- hostile ids ---------------------------------------------------------------------------------------------
HOSTILE = ["../../state/settings.json", "..%2F..%2Fstate", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "0123456789abcdef%00",
           "0123456789ABCDEF", "0123456789abcdef/../0123456789abcde0", "%c0%ae%c0%ae", "a" * 4000, "-rf",
           "*"]  # fmt: skip


@case("hostile ids in the recordings and timers paths", "every one refused (404/422 problem JSON); no file "
      "outside a recording read or removed", area=AREA)  # fmt: skip
def _hostile_ids(box: Any) -> Outcome:
    token = box.pair()
    canary = box.app.box.store.path.parent / "settings.json"
    box.app.box.settings_changed()
    before = canary.read_bytes() if canary.exists() else None
    wrong = []
    for hostile in HOSTILE:
        for method, path in (("GET", f"recordings/{hostile}"), ("DELETE", f"recordings/{hostile}"),
                             ("DELETE", f"timers/{hostile}"), ("PUT", f"recordings/{hostile}/position")):  # fmt: skip
            body = '{"position": 1}' if method == "PUT" else ""
            extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
            answer = exchange(box.port, get(f"{API}/{path}", token, method, extra) + body.encode())
            problem = refusal(answer, 404, 405, 422)
            if problem:
                wrong.append(f"{method} {path[:60]}: {problem}")
    after = canary.read_bytes() if canary.exists() else None
    if after != before:
        wrong.append("settings.json changed or went")
    return Outcome(not wrong, "; ".join(wrong[:3]) or f"{len(HOSTILE) * 4} hostile requests refused")


CASES: list[Case] = [
    Case(AREA, "kill -9 during a recording", f"kept and playable to within {KILL_LOSS_S:.0f} s of the kill; "
         "after the restart the recording goes on as a second part", _kill_during_recording, seconds=120),
    Case(AREA, "disk full during a recording", "the recording stops cleanly as partial, meta.json says the disk "
         "is full, the file plays; another recording on the disk unchanged", _disk_full, needs_root=True,
         seconds=90),
    Case(AREA, "the source drops during a recording", "the gap is marked in meta.json and the recording goes on "
         "in a new part when the source is back; each part plays", _source_drop, seconds=120),
    Case(AREA, "clock jumps and a DST change with pending timers", "a jump over a timer skips it and says so, a "
         "jump into one records, a jump back inside it keeps recording, later ones stay (timers are UTC: the DST "
         "change crossed moves nothing)",
         _clock_jumps, seconds=60),
    Case(AREA, "corrupt timer file and recording index", "each damaged file named and kept aside; the other "
         "timers load, the recording is rebuilt from its files", _corrupt_timer_file, seconds=60),
    _hostile_ids,
]  # fmt: skip
