"""One live channel: ffmpeg plays the loop clip at real time; we fan its TS out to every viewer.

ffmpeg runs once per channel, however many viewers there are. Each viewer has a bounded queue: a
viewer that stops reading fills it and is dropped, and never slows the channel or anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from stb.headend.tspackets import PACKET, JoinPoint

log = logging.getLogger(__name__)

CHUNK = PACKET * 64  # ~12 KB: about 0.1 s of a demo channel
QUEUE_CHUNKS = 128  # ~10 s of backlog per viewer before it counts as stalled and is dropped


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the head-end dies, even by kill -9 (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Viewer:
    def __init__(self, first: bytes) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self.dropped = False
        if first:
            self.queue.put_nowait(first)


class Broadcast:
    def __init__(self, channel_id: str, clip: Path) -> None:
        self.channel_id = channel_id
        self.clip = clip
        self.viewers: set[Viewer] = set()
        self.join_point = JoinPoint()
        self.bytes_out = 0
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    def command(self) -> list[str]:
        return [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(self.clip),
            "-c", "copy", "-f", "mpegts", "-",
        ]  # fmt: skip

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"broadcast-{self.channel_id}")

    async def _run(self) -> None:
        while True:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
            assert self._process.stdout is not None
            pending = b""
            while data := await self._process.stdout.read(CHUNK):
                pending += data
                aligned = len(pending) - len(pending) % PACKET
                if aligned:
                    self._publish(pending[:aligned])
                    pending = pending[aligned:]
            code = await self._process.wait()
            self.restarts += 1
            log.warning("%s: ffmpeg exited (%s), restarting", self.channel_id, code)
            await asyncio.sleep(1.0)

    def _publish(self, chunk: bytes) -> None:
        self.join_point.feed(chunk)
        self.bytes_out += len(chunk)
        for viewer in list(self.viewers):
            try:
                viewer.queue.put_nowait(chunk)
            except asyncio.QueueFull:
                viewer.dropped = True
                self.viewers.discard(viewer)
                log.info("%s: dropped a viewer that stopped reading", self.channel_id)

    def subscribe(self) -> Viewer:
        viewer = Viewer(self.join_point.join_data())
        self.viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)

    async def stream(self, limit_seconds: float | None = None) -> AsyncIterator[bytes]:
        """The channel as a viewer sees it, from the latest keyframe on; ends when dropped."""
        viewer = self.subscribe()
        loop = asyncio.get_running_loop()
        until = None if limit_seconds is None else loop.time() + limit_seconds
        try:
            while not viewer.dropped or not viewer.queue.empty():
                if until is not None and loop.time() >= until:
                    return
                yield await viewer.queue.get()
        finally:
            self.unsubscribe(viewer)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await self._process.wait()
