"""One TS source fanned out to many viewers, each with a bounded backlog.

The source is read once, however many viewers there are. A viewer that stops reading fills its
backlog and is dropped: it never slows the source or anyone else. A new viewer starts with PAT,
PMT and everything since the latest keyframe, so its decoder has a picture at once.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator

from stb.ts.packets import JoinPoint

log = logging.getLogger(__name__)

BACKLOG_BYTES = 512 * 1024  # ~4.5 s of a demo channel queued for one viewer, then it counts as stalled


class Viewer:
    """One subscriber's backlog: chunks the fan-out has published and the viewer has not taken yet."""

    def __init__(self, limit_bytes: int = BACKLOG_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.internal = False  # the box's own reader (an HLS rendition), not another screen
        self.marks = False  # wants an empty chunk where the stream changes source (see FanOut.mark)
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

    def take(self) -> bytes | None:
        """The next chunk if one is queued (None otherwise), without waiting."""
        if not self._chunks or self.dropped:
            return None
        chunk = self._chunks.popleft()
        self._bytes -= len(chunk)
        return chunk

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


class FanOut:
    """Publishes 188-byte-aligned TS chunks to every subscribed viewer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.viewers: set[Viewer] = set()
        self.join_point = JoinPoint()
        self.bytes_out = 0
        self.dropped = 0

    def publish(self, chunk: bytes) -> None:
        """Hand 188-byte-aligned TS to every viewer; drop the ones that fell too far behind."""
        self.join_point.feed(chunk)
        self.bytes_out += len(chunk)
        for viewer in list(self.viewers):
            if not viewer.offer(chunk):
                self.viewers.discard(viewer)
                if viewer.dropped:
                    self.dropped += 1
                    log.info("%s: dropped a viewer that stopped reading", self.name)

    def mark(self, chunk: bytes = b"") -> None:
        """Hand ``chunk`` (empty: a mark where the source changes) to the viewers that asked for marks."""
        for viewer in list(self.viewers):
            if viewer.marks:
                viewer.offer(chunk)

    def subscribe(
        self, limit_bytes: int = BACKLOG_BYTES, fast_join: bool = True, viewer: Viewer | None = None
    ) -> Viewer:
        """A new viewer (or ``viewer``), primed with the join data (PAT, PMT, the GOP so far) when there is any.

        ``fast_join=False`` starts it at the live edge instead, like most servers: the player then
        waits for the next PAT/PMT and keyframe (the zap benchmark's harder case).
        """
        viewer = viewer or Viewer(limit_bytes)
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

    def close_viewers(self) -> None:
        for viewer in list(self.viewers):
            self.unsubscribe(viewer)
