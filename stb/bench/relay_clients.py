"""The client side of `stb bench relay`, run as its own process so its CPU is never counted as the box's.

``python -m stb.bench.relay_clients JOB`` where JOB is JSON; events go to stdout as JSON lines, with
``time.monotonic()`` times (CLOCK_MONOTONIC: the same clock in every process, so the bench compares
them with the TV's). Two jobs:

- ``readers``: N HTTP readers at once (plus an optional direct *reference* reader). Once all are
  connected it says ``connected``; ``start`` on stdin opens the measured window, ``stop`` closes it
  and prints the ``result``: bytes per reader in the window, the longest pause between arrivals,
  readers that ended early, and how much later than the reference reader the first reader got the
  same TS packets (matched by a hash of each packet after its 4-byte header, which the splicer
  rewrites: PID and counter).
- ``mirror``: one player. ffmpeg is started first and waits on a pipe (its start-up is a player's
  cost, not the relay's); then the request goes out (``request``), and the events ``first_byte``,
  ``keyframe`` (the first video random-access packet), ``pmt`` (each new PMT version: a splice
  reached the client) and ``picture`` (each change of the channel marker in ffmpeg's decoded
  frames) follow, until stdin closes.

The readers are plain asyncio protocols (HTTP/1.1, chunked bodies decoded by hand) rather than
httpx: fifty of them share two cores with the box, and h11's pure-Python parsing per chunk would
take CPU from the thing measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from stb.headend import marker
from stb.ts.packets import PACKET, SYNC, pmt_pid, psi_section, random_access, video_pid

CONNECT_TIMEOUT_S = 20.0
WIDTH, HEIGHT = 640, 360  # the demo head-end's pictures (stb.headend.media; not imported: it pulls in a lot)
PSI_PIDS = {0x0000, 0x0011, 0x1FFF}

_print_lock = threading.Lock()


def emit(event: str, **fields: object) -> None:
    """One JSON line on stdout (from any thread)."""
    line = json.dumps({"event": event, **fields})
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Dechunker:
    """HTTP/1.1 chunked transfer coding → the body bytes, fed in pieces as they arrive."""

    def __init__(self) -> None:
        self._pending = b""
        self._left = 0  # body bytes still to come in the current chunk
        self._skip = 0  # CRLF after a chunk's data
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buf = self._pending + data if self._pending else data
        self._pending = b""
        out: list[bytes] = []
        at = 0
        while at < len(buf) and not self.done:
            if self._left:
                take = min(self._left, len(buf) - at)
                out.append(buf[at : at + take])
                at += take
                self._left -= take
                if not self._left:
                    self._skip = 2
            elif self._skip:
                step = min(self._skip, len(buf) - at)
                at += step
                self._skip -= step
            else:
                end = buf.find(b"\r\n", at)
                if end < 0:
                    self._pending = buf[at:]
                    break
                size = int(buf[at:end].split(b";")[0] or b"0", 16)
                at = end + 2
                if size == 0:
                    self.done = True
                else:
                    self._left = size
        return b"".join(out)


class HttpReader(asyncio.Protocol):
    """One GET whose body goes to ``on_body(data, arrived_at)`` as it arrives."""

    def __init__(self, on_body: Callable[[bytes, float], None]) -> None:
        self.on_body = on_body
        self.status: int | None = None
        self.headers_done = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._head = b""
        self._chunks: Dechunker | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if self.status is None:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self._head[:end].decode("latin-1"), self._head[end + 4 :]
            self._head = b""
            lines = head.split("\r\n")
            self.status = int(lines[0].split()[1])
            fields = {k.strip().lower(): v.strip().lower() for k, _, v in (line.partition(":") for line in lines[1:])}
            if fields.get("transfer-encoding") == "chunked":
                self._chunks = Dechunker()
            if not self.headers_done.done():
                self.headers_done.set_result(self.status)
            if not data:
                return
        body = self._chunks.feed(data) if self._chunks is not None else data
        if body:
            self.on_body(body, now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.headers_done.done():
            self.headers_done.set_exception(ConnectionError(str(exc or "closed before the headers")))
        if not self.closed.done():
            self.closed.set_result(time.monotonic())

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_get(url: str, on_body: Callable[[bytes, float], None]) -> HttpReader:
    """Connect, send the GET and wait for the status line; the body keeps flowing to ``on_body``."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    _, reader = await loop.create_connection(lambda: HttpReader(on_body), host, port)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: stb-bench\r\nConnection: close\r\n\r\n"
    assert reader.transport is not None
    reader.transport.write(request.encode())
    await reader.headers_done
    return reader


# -- readers ---------------------------------------------------------------------------------------


class Counter:
    """What one reader got: all of it, and what arrived inside the measured window."""

    def __init__(self, hashes: dict[int, float] | None = None) -> None:
        self.bytes = 0
        self.window_bytes = 0
        self.counting = False
        self.last_at: float | None = None
        self.max_gap_s = 0.0
        self.hashes = hashes  # packet hash → first arrival, for the latency match
        self.repeated: set[int] = set()
        self._pending = b""

    def take(self, data: bytes, now: float) -> None:
        self.bytes += len(data)
        if self.counting:
            self.window_bytes += len(data)
            if self.last_at is not None:
                self.max_gap_s = max(self.max_gap_s, now - self.last_at)
        self.last_at = now
        if self.hashes is not None:
            self._hash_packets(data, now)

    def _hash_packets(self, data: bytes, now: float) -> None:
        data = self._pending + data
        whole = len(data) - len(data) % PACKET
        self._pending = data[whole:]
        hashes, repeated = self.hashes, self.repeated
        assert hashes is not None
        for at in range(0, whole, PACKET):
            if data[at] != SYNC or ((data[at + 1] & 0x1F) << 8 | data[at + 2]) in PSI_PIDS:
                continue
            key = hash(data[at + 4 : at + PACKET])
            if key in hashes:
                repeated.add(key)  # stuffing, repeated tables: not a packet that can be matched
            else:
                hashes[key] = now


def added_latency(relayed: Counter, reference: Counter, since: float) -> dict:
    """When the relayed reader got each packet, minus when the direct reader got it (ms)."""
    assert relayed.hashes is not None and reference.hashes is not None
    bad = relayed.repeated | reference.repeated
    delays = sorted(
        (t - reference.hashes[key]) * 1000
        for key, t in relayed.hashes.items()
        if t >= since and key in reference.hashes and key not in bad
    )
    if not delays:
        return {"packets": 0}
    pick = lambda q: round(delays[min(len(delays) - 1, int(q * len(delays)))], 2)  # noqa: E731
    return {"packets": len(delays), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "max_ms": round(delays[-1], 2)}


async def readers(job: dict) -> None:
    urls: list[str] = job["urls"]
    reference_url: str | None = job.get("reference")
    counters = [Counter(hashes={} if i == 0 and reference_url else None) for i in range(len(urls))]
    reference = Counter(hashes={}) if reference_url else None
    opened: list[HttpReader | None] = [None] * len(urls)
    failures: list[str] = []

    async def connect(i: int) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                opened[i] = await open_get(urls[i], counters[i].take)
        except (OSError, TimeoutError, ValueError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    ref_reader = await open_get(reference_url, reference.take) if reference_url and reference else None
    await asyncio.gather(*(connect(i) for i in range(len(urls))))
    statuses = [r.status if r is not None else None for r in opened]
    emit("connected", ok=sum(s == 200 for s in statuses), statuses=statuses, failures=failures[:5])

    command = await asyncio.to_thread(sys.stdin.readline)
    started = time.monotonic()
    for counter in [*counters, *([reference] if reference else [])]:
        counter.counting, counter.last_at = True, None
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    if command.strip() == "start":
        emit("started", t=started)
        await asyncio.to_thread(sys.stdin.readline)
    stopped = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = max(stopped - started, 1e-6)
    results = []
    for reader, counter in zip(opened, counters, strict=True):
        ended = reader is not None and reader.closed.done()
        quiet = stopped - counter.last_at if counter.last_at is not None else seconds
        results.append({"status": reader.status if reader else None, "bytes": counter.bytes,
                        "window_bytes": counter.window_bytes, "ended_early": ended,
                        "max_gap_s": round(max(counter.max_gap_s, quiet), 3)})  # fmt: skip
    result: dict = {"seconds": round(seconds, 3), "readers": results,
                    "client_cpu_percent": round(100 * (usage.ru_utime + usage.ru_stime - usage_before.ru_utime
                                                       - usage_before.ru_stime) / seconds, 1)}  # fmt: skip
    if reference is not None:
        result["reference_window_bytes"] = reference.window_bytes
        result["latency_added"] = added_latency(counters[0], reference, started)
    for reader in [*opened, ref_reader]:
        if reader is not None:
            reader.close()
    emit("result", **result)


# -- mirror ----------------------------------------------------------------------------------------


class StreamWatch:
    """Finds the first video keyframe and every new PMT version in the TS a player receives."""

    def __init__(self) -> None:
        self.pmt_pid: int | None = None
        self.video_pid: int | None = None
        self.pmt_version: int | None = None
        self.keyframe_seen = False
        self._pending = b""

    def feed(self, data: bytes, now: float) -> None:
        data = self._pending + data
        whole = len(data) - len(data) % PACKET
        self._pending = data[whole:]
        for at in range(0, whole, PACKET):
            packet = data[at : at + PACKET]
            if packet[0] != SYNC:
                continue
            pid = (packet[1] & 0x1F) << 8 | packet[2]
            if pid == 0:
                self.pmt_pid = pmt_pid(packet) or self.pmt_pid
            elif pid == self.pmt_pid:
                self.video_pid = video_pid(packet) or self.video_pid
                version = _psi_version(packet)
                if version is not None and version != self.pmt_version:
                    self.pmt_version = version
                    emit("pmt", version=version, t=now)
            elif pid == self.video_pid and not self.keyframe_seen and random_access(packet):
                self.keyframe_seen = True
                emit("keyframe", t=now)


def _psi_version(packet: bytes) -> int | None:
    section = psi_section(packet)
    return (section[5] >> 1) & 0x1F if section is not None and len(section) > 5 else None


def _decoder() -> subprocess.Popen:
    """ffmpeg decoding TS from its stdin to raw RGB frames, tuned to show a picture as soon as it can.

    Probing cut to the minimum (ffmpeg's defaults wait ~4.5 s here); no ``-fflags nobuffer``, which
    made it wait for the next keyframe half of the time (0.6–1.1 s) instead of using the one it had.
    """
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-probesize", "32", "-analyzeduration", "1",
               "-threads", "1", "-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0", "-fps_mode", "passthrough",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _watch_pictures(decoder: subprocess.Popen) -> None:
    """Reads ffmpeg's frames; says when the marker shows a new channel (the first picture included)."""
    assert decoder.stdout is not None
    size = WIDTH * HEIGHT * 3
    frame = bytearray(size)
    view = memoryview(frame)
    shown: int | None = None
    pictures = 0
    while True:
        got = 0
        while got < size:
            n = decoder.stdout.readinto(view[got:])
            if not n:
                return
            got += n
        now = time.monotonic()
        pictures += 1
        channel = marker.decode(frame, WIDTH, HEIGHT, WIDTH * 3, 3)
        if pictures == 1 or (channel is not None and channel != shown):
            shown = channel
            emit("picture", channel=channel, t=now, pictures=pictures)


def _feed_decoder(decoder: subprocess.Popen, chunks: queue.SimpleQueue) -> None:
    assert decoder.stdin is not None
    while (chunk := chunks.get()) is not None:
        try:
            decoder.stdin.write(chunk)
            decoder.stdin.flush()
        except (BrokenPipeError, ValueError):
            return


async def mirror(job: dict) -> None:
    decoder = _decoder() if job.get("decode", True) else None
    chunks: queue.SimpleQueue = queue.SimpleQueue()
    if decoder is not None:
        threading.Thread(target=_watch_pictures, args=(decoder,), daemon=True).start()
        threading.Thread(target=_feed_decoder, args=(decoder, chunks), daemon=True).start()
        await asyncio.sleep(0.3)  # ffmpeg up and waiting on its pipe
    watch = StreamWatch()
    first = True

    def body(data: bytes, now: float) -> None:
        nonlocal first
        if first:
            first = False
            emit("first_byte", t=now)
        watch.feed(data, now)
        if decoder is not None:
            chunks.put(data)

    emit("request", t=time.monotonic())
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            reader = await open_get(job["url"], body)
    except (OSError, TimeoutError, ValueError) as exc:
        emit("error", reason=f"{type(exc).__name__}: {exc}")
        reader = None
    if reader is not None:
        emit("status", status=reader.status)
        stdin_closed = asyncio.ensure_future(asyncio.to_thread(sys.stdin.read))
        await asyncio.wait({stdin_closed, reader.closed}, return_when=asyncio.FIRST_COMPLETED)
        reader.close()
    chunks.put(None)
    if decoder is not None:
        with contextlib.suppress(OSError):
            decoder.kill()
        decoder.wait()
    emit("end")


def main() -> None:
    job = json.loads(sys.argv[1])
    asyncio.run({"readers": readers, "mirror": mirror}[job["kind"]](job))


if __name__ == "__main__":
    main()
