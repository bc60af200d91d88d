"""One live channel: ffmpeg plays the loop clip at real time; we fan its TS out to every viewer.

ffmpeg runs once per channel, however many viewers there are. Each viewer has a bounded backlog:
a viewer that stops reading fills it and is dropped, and never slows the channel or anyone else.
A new viewer starts with PAT, PMT and everything since the latest keyframe, so it decodes at once.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from stb.headend.children import die_with_parent_hook, stop_supervised
from stb.headend.tspackets import PACKET, JoinPoint

log = logging.getLogger(__name__)

READ_SIZE = PACKET * 512  # one pipe read: ffmpeg writes ~10 KB at a time at demo bit rates
BACKLOG_BYTES = 512 * 1024  # ~4.5 s of a demo channel queued for one viewer, then it counts as stalled
RESTART_DELAY_S = 1.0


class Viewer:
    """One subscriber's backlog: chunks the fan-out has published and the viewer has not taken yet."""

    def __init__(self, limit_bytes: int = BACKLOG_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.dropped = False
        self.closed = False
        self._chunks: collections.deque[bytes] = collections.deque()
        self._bytes = 0
        self._ready = asyncio.Event()

    @property
    def backlog(self) -> int:
        return self._bytes

    def offer(self, chunk: bytes) -> bool:
        """Queue ``chunk``; False (and the viewer is dropped) when that would exceed the backlog limit."""
        if self.dropped or self.closed:
            return False
        if self._bytes + len(chunk) > self.limit_bytes and self._chunks:
            self.dropped = True
            self._chunks.clear()
            self._bytes = 0
            self._ready.set()
            return False
        self._chunks.append(chunk)
        self._bytes += len(chunk)
        self._ready.set()
        return True

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> bytes | None:
        """The next chunk, waiting for one; None once dropped or closed."""
        while not self._chunks:
            if self.dropped or self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        if self.dropped:
            return None
        chunk = self._chunks.popleft()
        self._bytes -= len(chunk)
        return chunk


class Broadcast:
    """A channel's single ffmpeg and the fan-out of its output to every viewer."""

    def __init__(self, channel_id: str, clip: Path) -> None:
        self.channel_id = channel_id
        self.clip = clip
        self.viewers: set[Viewer] = set()
        self.join_point = JoinPoint()
        self.bytes_out = 0
        self.restarts = 0
        self.dropped = 0
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    def command(self) -> list[str]:
        # -re: real time; -stream_loop -1 with -c copy keeps timestamps rising across the loop point
        return [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(self.clip),
            "-c", "copy", "-f", "mpegts", "-",
        ]  # fmt: skip

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"broadcast-{self.channel_id}")

    async def _run(self) -> None:
        while True:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                preexec_fn=die_with_parent_hook(),
            )
            assert self._process.stdout is not None
            pending = b""
            while data := await self._process.stdout.read(READ_SIZE):
                pending += data
                aligned = len(pending) - len(pending) % PACKET
                if aligned:
                    self.publish(pending[:aligned])
                    pending = pending[aligned:]
            code = await self._process.wait()
            self.restarts += 1
            log.warning("%s: ffmpeg exited (%s), restarting", self.channel_id, code)
            await asyncio.sleep(RESTART_DELAY_S)

    def publish(self, chunk: bytes) -> None:
        """Hand 188-byte-aligned TS to every viewer; drop the ones that fell too far behind."""
        self.join_point.feed(chunk)
        self.bytes_out += len(chunk)
        for viewer in list(self.viewers):
            if not viewer.offer(chunk):
                self.viewers.discard(viewer)
                if viewer.dropped:
                    self.dropped += 1
                    log.info("%s: dropped a viewer that stopped reading", self.channel_id)

    def subscribe(self, limit_bytes: int = BACKLOG_BYTES, fast_join: bool = True) -> Viewer:
        """A new viewer, primed with the join data (PAT, PMT, the GOP so far) when there is any.

        ``fast_join=False`` starts it at the live edge instead, like most servers: the player then
        waits for the next PAT/PMT and keyframe (the zap benchmark's harder case).
        """
        viewer = Viewer(limit_bytes)
        first = self.join_point.join_data() if fast_join else b""
        if first:
            viewer.offer(first)
        self.viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        viewer.close()
        self.viewers.discard(viewer)

    async def stream(self, limit_seconds: float | None = None, fast_join: bool = True) -> AsyncIterator[bytes]:
        """The channel as a viewer sees it, from the latest keyframe on; ends when dropped or closed."""
        viewer = self.subscribe(fast_join=fast_join)
        loop = asyncio.get_running_loop()
        until = None if limit_seconds is None else loop.time() + limit_seconds
        try:
            while True:
                if until is None:
                    chunk = await viewer.next()
                else:
                    remaining = until - loop.time()
                    if remaining <= 0:
                        return
                    try:
                        chunk = await asyncio.wait_for(viewer.next(), remaining)
                    except TimeoutError:
                        return
                if chunk is None:
                    return
                yield chunk
        finally:
            self.unsubscribe(viewer)

    async def stop(self) -> None:
        """Stop ffmpeg (and wait for it: no zombie) and end every viewer's stream."""
        await stop_supervised(self._task, self._process)
        for viewer in list(self.viewers):
            self.unsubscribe(viewer)
