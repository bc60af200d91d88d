"""HLS renditions of relayed streams, for browsers (hls.js) and phones (Safari's native HLS).

No transcoding: the relay's input is MPEG-TS already, so a segment is that TS cut at a video
keyframe. A :class:`Segmenter` cuts a new segment at the first random-access point once the current
one lasts the target duration (2 s: two GOPs of the demo channels), starts every segment with the
latest PAT and PMT, and measures each one from the keyframes' DTS, so ``#EXTINF`` is true. Fed the
live stream, it also cuts at each zap (a segment never mixes two channels) and flags the next
segment as a discontinuity.

A :class:`Rendition` is one such segmenter reading one relay stream (a channel's, or the live one
that follows the TV), shared by every HLS client, with a sliding window of segments in memory.
:class:`HlsRenditions` starts a rendition on the first playlist request and stops it when no
playlist or segment was asked for during ``idle_s`` (players poll every target duration). A
rendition that stops and starts again goes on with the sequence numbers where it left off, behind a
discontinuity, so a player that was polling sees it as a gap and not as a playlist gone backwards.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from stb.relay.errors import UpstreamDown
from stb.ts.packets import PACKET, SYNC, discontinuous, pes_time, pmt_pid, video_pid

log = logging.getLogger(__name__)

TARGET_S = 2.0
WINDOW = 6  # segments in the playlist (and in memory)
MAX_WINDOW_BYTES = 24 * 1024 * 1024  # and at most this many bytes of them (6 × 2 s of a 16 Mbit/s channel)
MAX_SEGMENT_BYTES = 8 * 1024 * 1024  # a stream without keyframes is cut anyway (its segments then start mid-GOP)
IDLE_S = 30.0
READY_S = 10.0
CLOCK = 90_000  # PTS/DTS ticks per second
WRAP = 1 << 33
#: What a rendition's source yields between two channels of the live stream (real chunks are never empty).
SPLICE = b""

Opener = Callable[[], Awaitable[AsyncIterator[bytes]]]


@dataclass(frozen=True)
class Segment:
    seq: int
    data: bytes
    duration: float  # seconds
    discontinuity: bool  # the first segment of another source (a zap, or a restarted rendition)


class Segmenter:
    """Cuts 188-byte-aligned TS into segments that start with PAT, PMT and a video keyframe."""

    def __init__(self, target_s: float = TARGET_S, first_seq: int = 0, discontinuity_first: bool = False) -> None:
        self.target_ticks = round(target_s * CLOCK)
        self.next_seq = first_seq
        self._discontinuity = discontinuity_first
        self._began = False  # a segment was begun: a splice from now on is a discontinuity
        self._first = True  # the first segment of a source is cut at half the target: a player starts sooner
        self._reset_programme()
        self._current: bytearray | None = None  # None: waiting for the first keyframe
        self._start: int | None = None  # DTS of the current segment's keyframe
        self._last: int | None = None  # latest video DTS
        self._frame = 0  # ticks between the latest two video frames

    def _reset_programme(self) -> None:
        self._pat: bytes | None = None
        self._pmt: bytes | None = None
        self._pmt_pid: int | None = None
        self._video_pid: int | None = None

    def feed(self, data: bytes) -> list[Segment]:
        """The segments ``data`` completed (usually none)."""
        done: list[Segment] = []
        for at in range(0, len(data) - PACKET + 1, PACKET):
            packet = data[at : at + PACKET]
            if packet[0] != SYNC:
                continue
            pid = (packet[1] & 0x1F) << 8 | packet[2]
            if pid == 0:
                self._pat = packet
                self._pmt_pid = pmt_pid(packet) or self._pmt_pid
            elif pid == self._pmt_pid:
                self._pmt = packet
                self._video_pid = video_pid(packet) or self._video_pid
            elif pid == self._video_pid and (time := pes_time(packet)) is not None:
                if self._last is not None and 0 < (time - self._last) % WRAP < CLOCK:
                    self._frame = (time - self._last) % WRAP
                self._last = time
                keyframe = packet[3] & 0x20 and packet[4] and packet[5] & 0x40
                if keyframe and self._pat is not None and self._pmt is not None:
                    if self._current is None:
                        self._begin(time)
                    elif self._start is not None and (time - self._start) % WRAP >= self.target_ticks // (
                        2 if self._first else 1
                    ):
                        done.append(self._end((time - self._start) % WRAP))
                        self._begin(time)
                        self._first = False
            if self._current is not None:
                self._current += packet
                if len(self._current) >= MAX_SEGMENT_BYTES:
                    done.append(self._end(self._elapsed()))
                    self._begin(self._last)
        return done

    def splice(self) -> list[Segment]:
        """The next bytes come from another source: end the current segment here (the last one of that source)."""
        done = [self._end(self._elapsed())] if self._current else []
        self._current = None
        self._start = self._last = None
        self._frame = 0
        self._reset_programme()
        self._discontinuity = self._discontinuity or self._began
        self._first = True
        return done

    def _elapsed(self) -> int:
        if self._start is None or self._last is None:
            return 0
        return (self._last - self._start) % WRAP + self._frame

    def _begin(self, time: int | None) -> None:
        # copies of the tables last sent, marked discontinuous: a player reading segment after segment sees no
        # duplicate (ffmpeg counts one as a continuity error); the next copy in the stream follows on from them
        self._current = bytearray(discontinuous(self._pat) + discontinuous(self._pmt) if self._pat and self._pmt
                                  else (self._pat or b"") + (self._pmt or b""))  # fmt: skip
        self._start = time
        self._began = True

    def _end(self, ticks: int) -> Segment:
        segment = Segment(self.next_seq, bytes(self._current or b""), ticks / CLOCK, self._discontinuity)
        self.next_seq += 1
        self._discontinuity = False
        self._current = None
        return segment


class Rendition:
    """One stream's segments, cut as the relay delivers it, in a sliding window."""

    def __init__(self, key: str, segmenter: Segmenter, window: int = WINDOW, max_bytes: int = MAX_WINDOW_BYTES) -> None:
        self.key = key
        self.segmenter = segmenter
        self.window = window
        self.max_bytes = max_bytes
        self.segments: collections.deque[Segment] = collections.deque()
        self.discontinuity_sequence = 0
        self.target_duration = math.ceil(segmenter.target_ticks / CLOCK)
        self.error: BaseException | None = None
        self.requests = 0
        self.last_request = 0.0
        self.clients: dict[str, float] = {}  # who asked (address and device) → when, for the counts
        self._bytes = 0
        self._ready = asyncio.Event()
        self._done = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start(self, opener: Opener) -> None:
        self._task = asyncio.create_task(self._run(opener), name=f"hls-{self.key}")

    def touch(self, client: str, now: float) -> None:
        self.requests += 1
        self.last_request = self.clients[client] = now

    def recent_clients(self, since: float) -> set[str]:
        for client in [c for c, at in self.clients.items() if at < since]:
            del self.clients[client]
        return set(self.clients)

    async def wait_ready(self, timeout: float) -> None:
        """Until the first segment is complete; raises what the relay refused with, or UpstreamDown in time."""
        waits = [asyncio.ensure_future(self._ready.wait()), asyncio.ensure_future(self._done.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        if self._ready.is_set():
            return
        if self.error is not None:
            raise self.error
        if self._done.is_set():
            raise UpstreamDown("the stream ended before its first segment")
        raise UpstreamDown(f"no complete {self.target_duration} s segment came within {timeout:.0f} s")

    def segment(self, seq: int) -> Segment | None:
        first = self.segments[0].seq if self.segments else 0
        if 0 <= seq - first < len(self.segments):
            return self.segments[seq - first]
        return None

    def playlist(self, query: str = "") -> str:
        """The media playlist; ``query`` (with its "?") goes on every segment URI, e.g. the request's signature."""
        segments = list(self.segments)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{self.target_duration}",
                 f"#EXT-X-MEDIA-SEQUENCE:{segments[0].seq if segments else 0}",
                 f"#EXT-X-DISCONTINUITY-SEQUENCE:{self.discontinuity_sequence}"]  # fmt: skip
        for segment in segments:
            if segment.discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
            lines += [f"#EXTINF:{segment.duration:.3f},", f"{segment.seq}.ts{query}"]
        return "\n".join(lines) + "\n"

    def stats(self, since: float) -> dict:
        first = self.segments[0].seq if self.segments else None
        error = str(self.error) if self.error else None
        return {"segments": len(self.segments), "first_seq": first, "bytes": self._bytes, "requests": self.requests,
                "clients": len(self.recent_clients(since)), "error": error}  # fmt: skip

    async def stop(self) -> None:
        task = self._task
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        self._done.set()

    # -- private ----------------------------------------------------------------------------------------

    async def _run(self, opener: Opener) -> None:
        try:
            source = await opener()
        except Exception as exc:  # the relay's refusal (locked, busy, down…): the waiting requests say it
            self.error = exc
            self._done.set()
            return
        try:
            async for chunk in source:
                for segment in self.segmenter.feed(chunk) if chunk else self.segmenter.splice():
                    self._add(segment)
        except Exception as exc:
            self.error = exc
            log.warning("hls %s: segmenting failed", self.key, exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                await source.aclose()  # type: ignore[attr-defined]
            self._done.set()

    def _add(self, segment: Segment) -> None:
        if not segment.data:
            return
        self.segments.append(segment)
        self._bytes += len(segment.data)
        # a segment longer than planned (a long GOP) raises the target: its rounded EXTINF must not exceed it
        self.target_duration = max(self.target_duration, round(segment.duration))
        while len(self.segments) > self.window or (self._bytes > self.max_bytes and len(self.segments) > 1):
            gone = self.segments.popleft()
            self._bytes -= len(gone.data)
            if gone.discontinuity:
                self.discontinuity_sequence += 1
        self._ready.set()


class HlsRenditions:
    """Every running rendition, by key ("live", or "channel/ID"): started on demand, stopped when idle."""

    def __init__(self, target_s: float = TARGET_S, window: int = WINDOW, idle_s: float = IDLE_S,
                 ready_s: float = READY_S, on_change: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        self.target_s = target_s
        self.window = window
        self.idle_s = idle_s
        self.ready_s = ready_s
        self.on_change = on_change
        self.renditions: dict[str, Rendition] = {}
        self.started = 0
        self._next_seq: dict[str, int] = {}  # where a restarted rendition goes on
        self._reaper: asyncio.Task | None = None
        self._closed = False

    async def open(self, key: str, opener: Opener, client: str) -> Rendition:
        """The running rendition for ``key``, started with ``opener`` if need be, once it has a segment."""
        if self._closed:
            raise UpstreamDown("the box is stopping")
        loop = asyncio.get_running_loop()
        rendition = self.renditions.get(key)
        if rendition is None or rendition.finished:
            if rendition is not None:
                self._forget(rendition)
            first = self._next_seq.get(key)
            segmenter = Segmenter(self.target_s, first or 0, discontinuity_first=first is not None)
            rendition = self.renditions[key] = Rendition(key, segmenter, self.window)
            rendition.start(opener)
            self.started += 1
            self._ensure_reaper()
        rendition.touch(client, loop.time())
        self.on_change()
        try:
            await rendition.wait_ready(self.ready_s)
        except BaseException:
            if self.renditions.get(key) is rendition and not rendition.segments:
                self._forget(rendition)
                await rendition.stop()
                self.on_change()
            raise
        rendition.last_request = loop.time()  # idle counts from the answer, not from a slow start
        return rendition

    def get(self, key: str, client: str) -> Rendition | None:
        """The running rendition for a segment request (which never starts one)."""
        rendition = self.renditions.get(key)
        if rendition is None:
            return None
        rendition.touch(client, asyncio.get_running_loop().time())
        return rendition

    def clients(self) -> int:
        """Distinct clients (address and device) that asked for a playlist or segment within ``idle_s``."""
        since = asyncio.get_running_loop().time() - self.idle_s
        return len(set().union(*(r.recent_clients(since) for r in self.renditions.values())))

    def stats(self) -> dict:
        since = asyncio.get_running_loop().time() - self.idle_s
        return {"renditions": len(self.renditions), "started": self.started, "clients": self.clients(),
                "streams": {key: r.stats(since) for key, r in self.renditions.items()}}  # fmt: skip

    async def close(self) -> None:
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        renditions, self.renditions = list(self.renditions.values()), {}
        await asyncio.gather(*(r.stop() for r in renditions))
        self.on_change()

    def _forget(self, rendition: Rendition) -> None:
        if self.renditions.get(rendition.key) is rendition:
            del self.renditions[rendition.key]
        if rendition.segments:  # only streams that played: a key that never did (an unknown id) is not kept
            self._next_seq[rendition.key] = rendition.segmenter.next_seq

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap())

    async def _reap(self) -> None:
        """Stop renditions nobody asked anything of for ``idle_s``, and ones whose stream ended."""
        loop = asyncio.get_running_loop()
        while self.renditions and not self._closed:
            await asyncio.sleep(min(1.0, self.idle_s / 4))
            now = loop.time()
            for rendition in list(self.renditions.values()):
                starting = not rendition.ready and not rendition.finished  # open() times it out itself
                if not starting and (rendition.finished or now - rendition.last_request >= self.idle_s):
                    self._forget(rendition)
                    await rendition.stop()
            self.on_change()
