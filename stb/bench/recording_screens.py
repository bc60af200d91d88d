"""`stb bench pvr --scenario other_screens`: a recording on a laptop's stock player, beside the same file on disk.

The box's recorder records a demo channel; the box's API (uvicorn on loopback, the real routes, a paired device,
signed URLs) serves it. mpv, as a laptop runs it (``--vo=null --ao=null``), is driven over its JSON IPC:

- ``recording_seek_ms``: mpv plays the recording over the TS route (byte ranges) and seeks to points spread over
  it; each seek is the time from the ``seek`` command to mpv's ``playback-restart`` (decoding again from there).
  The baseline is the same mpv seeking to the same points in the file on disk, in the same run.
- ``resume_elsewhere_ms``: one client plays, stops a few seconds in and stores its position (``PUT
  …/position``, as ``stb recordings play`` does); another asks the box for the recording (``POST
  …/stream-urls``: its URLs and the shared position) and starts mpv there, over the TS route and over HLS: the
  time from asking to the first picture, and how far the position it shows is from where the first one stopped.
  Baseline: the same mpv opening the file on disk at that position.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stb.errors import StbError

SEEK_POINTS = (0.2, 0.8, 0.4, 0.6, 0.3, 0.7, 0.5)  # shares of the recording, jumping back and forth
ANSWER_S = 30.0  # mpv that does not answer in this long: the bench stops with a clear line
STOP_AFTER_S = 3.0  # the first client plays this long before it stops


class Mpv:
    """mpv with its JSON IPC socket: commands, properties, and waiting for an event."""

    def __init__(self, url: str, work: Path, start: float | None = None, pause: bool = False) -> None:
        self.socket_path = work / f"mpv-{time.monotonic_ns()}.sock"
        args = ["mpv", "--no-config", "--really-quiet", "--vo=null", "--ao=null", "--keep-open=yes", "--idle=no",
                f"--input-ipc-server={self.socket_path}", "--cache=no"]  # fmt: skip
        if start is not None:
            args.append(f"--start={start:.3f}")
        if pause:
            args.append("--pause")
        self.began = time.monotonic()
        self.process = subprocess.Popen([*args, url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.events: list[tuple[float, str]] = []
        self._replies: dict[int, Any] = {}
        self._next = 0
        self._cond = threading.Condition()
        self._sock = self._connect()
        threading.Thread(target=self._read, name="mpv-ipc", daemon=True).start()

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + ANSWER_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StbError(f"mpv stopped at once (exit {self.process.returncode})")
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(str(self.socket_path))
                return sock
            except OSError:
                sock.close()
                time.sleep(0.005)
        raise StbError("mpv did not open its IPC socket in time")

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                with self._cond:
                    if "event" in message:
                        self.events.append((time.monotonic(), message["event"]))
                    elif "request_id" in message:
                        self._replies[message["request_id"]] = message
                    self._cond.notify_all()

    def command(self, *args: Any) -> Any:
        with self._cond:
            self._next += 1
            ask = self._next
        self._sock.sendall(json.dumps({"command": list(args), "request_id": ask}).encode() + b"\n")
        with self._cond:
            if not self._cond.wait_for(lambda: ask in self._replies, ANSWER_S):
                raise StbError(f"mpv did not answer {args[0]} in time")
            return self._replies.pop(ask).get("data")

    def wait_event(self, name: str, after: float) -> float:
        """When ``name`` came (the first one after ``after``, monotonic)."""
        with self._cond:
            found = self._cond.wait_for(lambda: next((t for t, e in self.events if e == name and t >= after), None),
                                        ANSWER_S)  # fmt: skip
        if not found:
            raise StbError(f"mpv sent no {name} in {ANSWER_S:.0f} s")
        return float(found)

    def seek(self, at: float) -> float:
        """Seconds from the seek command to playback going on at ``at``."""
        began = time.monotonic()
        self.command("seek", at, "absolute")
        return self.wait_event("playback-restart", began) - began

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._sock.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@contextlib.contextmanager
def serving(pvr: Any, work: Path, streams: int = 0, relay: Any = None) -> Iterator[tuple[str, dict[str, str]]]:
    """The box's API over the recorder on loopback, in a thread; (its root URL, a paired device's auth header).
    ``streams``: room for that many screens on the one token. With the recorder's ``relay``, the recorder runs on
    the API's loop as in the box (it records while it serves); both are closed at the end."""
    import uvicorn

    from stb.commands import CommandQueue
    from stb.lan.auth import Auth
    from stb.net.api import Limits, NetContext, create_app
    from stb.net.http import for_box
    from stb.net.signed import StreamSigner

    auth = Auth(directory=work / "auth")
    pending = auth.begin("Bench laptop")
    _, token = auth.complete(pending.id, pending.code)
    limits = Limits()
    if streams:
        limits.raise_for_one_client(streams)
    ctx = NetContext(box_info=dict, commands=CommandQueue(), auth=auth, box=None, guide=lambda: None,  # type: ignore[arg-type]
                     open_on_lan=lambda: False, pvr=pvr, signer=StreamSigner(work), limits=limits)  # fmt: skip
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off", http=for_box(limits)))  # fmt: skip
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), name="bench-api")
    thread.start()
    deadline = time.monotonic() + ANSWER_S
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    if not server.started:
        raise StbError("the box's API did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        if relay is not None:
            asyncio.run_coroutine_threadsafe(pvr.async_start(), loop).result(ANSWER_S)
        yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    finally:
        if relay is not None:  # what it records ends as interrupted, before the API goes
            asyncio.run_coroutine_threadsafe(pvr.async_close(), loop).result(ANSWER_S)
            asyncio.run_coroutine_threadsafe(relay.close(), loop).result(ANSWER_S)
        asyncio.run_coroutine_threadsafe(ctx.sessions.stop(), loop).result(30)  # its watcher, before the loop ends
        server.should_exit = True
        thread.join(30)
        loop.close()
        ctx.guide_thread.close()


async def no_guide(query: Any, default: Any) -> Any:
    return default


def recorder(lineup: Any, work: Path, channels: int) -> tuple[Any, Any]:
    """The box's recorder reading ``lineup``'s channels through a relay, as in the box (no guide): (pvr, relay)."""
    from stb.pvr.service import Pvr
    from stb.relay.feed import ChannelSource
    from stb.relay.relay import Relay

    def source(channel_id: str) -> ChannelSource | None:
        found = lineup.by_id(channel_id)
        return ChannelSource(found.id, found.name, tuple(found.urls)) if found else None

    def name(channel_id: str) -> str | None:
        found = lineup.by_id(channel_id)
        return found.name if found else None

    relay = Relay(source, max_upstreams=channels)
    pvr = Pvr(state_dir=work / "state", recordings_dir=work / "recordings", reader=relay, guide=no_guide,
              channel_name=name, max_channels=lambda: channels)  # fmt: skip
    return pvr, relay


def record(host: str, port: int, work: Path, seconds: float) -> Any:
    """A recording of the first TS channel of the demo head-end, ``seconds`` long, made by the box's recorder."""
    from stb.headend.catalog import CHANNELS, demo_lineup

    channel = next(c for c in CHANNELS if not c.hls)

    async def run() -> Any:
        pvr, relay = recorder(demo_lineup(host, port), work, 1)
        await pvr.async_start()
        begin = time.time() + 1.0
        timer = await pvr.schedule_manual(channel.id, begin, begin + seconds)
        while pvr.timers:
            await asyncio.sleep(0.2)
        await pvr.async_close()
        await relay.close()
        return pvr, timer.recording

    pvr, recording_id = asyncio.run(run())
    if recording_id is None or pvr.library.recordings[recording_id].state not in ("done", "partial"):
        raise StbError("the recording for the bench failed")
    pvr.library.rebuild()  # the library as another run of the box finds it
    return pvr, recording_id


def other_screens(host: str, port: int, work: Path, seconds: float) -> dict[str, Any]:
    import httpx

    if shutil.which("mpv") is None:
        raise StbError("the other_screens scenario needs mpv (apt-get install mpv)")
    length_s = max(20.0, 2 * seconds)
    pvr, rec = record(host, port, work, length_s)
    meta = pvr.library.recordings[rec]
    disk = pvr.library.folder(rec) / meta.parts[0].file
    duration = meta.parts[0].end - meta.parts[0].start if meta.parts[0].end else length_s
    with serving(pvr, work) as (root, auth), httpx.Client(base_url=root, headers=auth, timeout=30) as api:
        urls = api.post(f"/api/v1/recordings/{rec}/stream-urls").json()
        seeks = {"ts_route": _seeks(root + urls["ts"], work, duration), "file": _seeks(str(disk), work, duration)}
        resume = _resume(api, root, rec, str(disk), work)
    p50 = {k: statistics.median(v) for k, v in seeks.items()}
    return {
        "recording_s": round(duration, 1),
        "recording_seek_ms": {"p50": round(p50["ts_route"] * 1000, 1), "max": round(max(seeks["ts_route"]) * 1000, 1),
                              "file_p50": round(p50["file"] * 1000, 1),
                              "ratio_to_file": round(p50["ts_route"] / p50["file"], 2) if p50["file"] else None,
                              "each": [round(s * 1000, 1) for s in seeks["ts_route"]],
                              "player": "mpv (seek → playback-restart, JSON IPC)"},
        "resume_elsewhere_ms": resume,
    }  # fmt: skip


def _seeks(url: str, work: Path, duration: float) -> list[float]:
    player = Mpv(url, work)
    try:
        player.wait_event("playback-restart", player.began)
        return [player.seek(share * duration) for share in SEEK_POINTS]
    finally:
        player.close()


def _first_picture(url: str, work: Path, start: float, asked: float) -> tuple[float, float]:
    """(seconds from ``asked`` to mpv playing at ``start``, the position it shows then)."""
    player = Mpv(url, work, start=start)
    try:
        shown = player.wait_event("playback-restart", player.began)
        at = player.command("get_property", "time-pos")
        return shown - asked, float(at)
    finally:
        player.close()


def _resume(api: Any, root: str, rec: str, disk: str, work: Path) -> dict[str, Any]:
    first = Mpv(root + api.post(f"/api/v1/recordings/{rec}/stream-urls").json()["ts"], work)
    try:
        first.wait_event("playback-restart", first.began)
        time.sleep(STOP_AFTER_S)
        stopped = float(first.command("get_property", "time-pos"))
    finally:
        first.close()
    api.put(f"/api/v1/recordings/{rec}/position", json={"position": round(stopped, 1)}).raise_for_status()
    out: dict[str, Any] = {"stopped_at_s": round(stopped, 2)}
    for how in ("ts", "hls"):
        asked = time.monotonic()
        urls = api.post(f"/api/v1/recordings/{rec}/stream-urls").json()
        took, at = _first_picture(root + urls[how], work, urls["position"], asked)
        out[f"{how}_first_frame_ms"] = round(took * 1000, 1)
        out[f"{how}_position_diff_s"] = round(abs(at - stopped), 2)
    took, at = _first_picture(disk, work, round(stopped, 1), time.monotonic())
    out["file_first_frame_ms"] = round(took * 1000, 1)
    out["ratio_to_file"] = round(out["ts_first_frame_ms"] / out["file_first_frame_ms"], 2) if took else None
    return out


def render(part: dict[str, Any]) -> list[str]:
    seek, resume = part["recording_seek_ms"], part["resume_elsewhere_ms"]
    return [
        f"a {part['recording_s']:.0f} s recording on a laptop's mpv ({seek['player']}):",
        f"  seek over the TS route: p50 {seek['p50']:.0f} ms, max {seek['max']:.0f} ms (the file on disk: p50 "
        f"{seek['file_p50']:.0f} ms, ×{seek['ratio_to_file']})",
        f"  resume elsewhere (stopped at {resume['stopped_at_s']:.1f} s): first picture over TS "
        f"{resume['ts_first_frame_ms']:.0f} ms ({resume['ts_position_diff_s']:.2f} s off), over HLS "
        f"{resume['hls_first_frame_ms']:.0f} ms ({resume['hls_position_diff_s']:.2f} s off); the file on disk "
        f"{resume['file_first_frame_ms']:.0f} ms (×{resume['ratio_to_file']})",
    ]  # fmt: skip
