"""Timeshift on the TV's own relay: the channel on screen written into a rolling buffer, served from any moment.

The TV's channel is read once, by the local relay; one more viewer of that feed (internal: not another
screen) writes it into a :class:`~stb.timeshift.buffer.TimeshiftBuffer`. ``/shift/<id>?at=<t>`` serves
the buffer from the keyframe at or before ``t`` and follows the live edge after it, so libVLC plays the
past exactly as it plays live: paused (TCP back-pressure: the reader waits, nothing is dropped),
resumed, or reopened somewhere else. Times are the buffer's clock, ``time.monotonic()`` of this process,
which the TV's controller reads too.

The channel the viewer left keeps its buffer for ``LEFT_KEEP_S`` (zapped away by mistake: go back and
start over), at most ``KEEP_BUFFERS`` in all. A reader that *holds* its channel (another screen took the
timeshifted programme over, ``stb take``) keeps the buffer written while it reads, whatever the TV does next
(standby, a zap): that screen goes on behind live as the TV would have. Everything here runs on the local
relay's event loop, except :meth:`ShiftWriters.window`, which any thread may call (the buffer locks what it reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from stb.relay.errors import ChannelLocked, RelayBusy, UpstreamDown
from stb.relay.feed import ChannelSource
from stb.relay.relay import Relay
from stb.timeshift.buffer import DEFAULT_LIMITS, BufferStopped, Limits, TimeshiftBuffer
from stb.timeshift.reader import BufferReader

log = logging.getLogger(__name__)

LEFT_KEEP_S = 600.0  # the buffer of a channel zapped away from stays this long
KEEP_BUFFERS = 2  # the channel on screen and the one before it
RETRY_S = 2.0  # a channel that sends nothing is asked again this often while it is on screen
EDGE_POLL_S = 0.02  # a reader at the live edge looks for new bytes this often


@dataclass(frozen=True)
class ShiftWindow:
    """What a channel's buffer holds, on the buffer's clock (``time.monotonic()``)."""

    start_at: float
    live_at: float
    error: str | None  # the buffer stopped taking data (the disk is full): it keeps what it holds


class ShiftWriters:
    """Writes the TV's channel into its buffer; keeps the previous channel's for a while; serves both."""

    def __init__(
        self,
        relay: Relay,
        directory: Path,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.relay = relay
        self.directory = directory
        self.limits = limits
        self._clock = clock
        self.buffers: dict[str, TimeshiftBuffer] = {}
        self.current: str | None = None
        self._writers: dict[str, asyncio.Task] = {}
        self._left_at: dict[str, float] = {}
        self._held: dict[str, int] = {}  # readers that keep their channel written (another screen took it over)
        self._made = 0

    # -- what the TV shows -----------------------------------------------------------------------------
    def watch(self, source: ChannelSource | None) -> None:
        """The TV now shows ``source`` (None: nothing to buffer: standby, a locked or a flung channel)."""
        previous = self.current
        self.current = source.id if source is not None else None
        if previous is not None and previous != self.current:
            self._left_at[previous] = self._clock()
            if not self._held.get(previous):
                self._stop_writer(previous)
        if source is not None:
            self._left_at.pop(source.id, None)
            if source.id not in self._writers:
                self._writers[source.id] = asyncio.create_task(self._write(source), name=f"shift-{source.id}")
        self.tidy()

    def tidy(self) -> None:
        """Drop the buffers of channels left too long ago, and the oldest beyond ``KEEP_BUFFERS``."""
        now = self._clock()
        left = sorted(self._left_at.items(), key=lambda item: item[1], reverse=True)
        for rank, (channel_id, at) in enumerate(left, start=1 if self.current else 0):
            if self._held.get(channel_id):
                continue  # another screen reads it on
            if rank >= KEEP_BUFFERS or now - at >= LEFT_KEEP_S:
                self._left_at.pop(channel_id, None)
                buffer = self.buffers.pop(channel_id, None)
                if buffer is not None:
                    buffer.close()

    async def _write(self, source: ChannelSource) -> None:
        """Read the channel through the relay into its buffer, asking again while it is on screen."""
        buffer = self.buffers.get(source.id)
        if buffer is None or buffer.closed or buffer.error is not None:
            if buffer is not None:
                buffer.close()
            self._made += 1
            buffer = self.buffers[source.id] = TimeshiftBuffer(self.directory / f"{self._made:04d}", self.limits,
                                                               clock=self._clock)  # fmt: skip
        while self._wanted(source.id):
            try:
                chunks = await self.relay.open_channel(source.id, internal=True)
            except (LookupError, ChannelLocked) as exc:
                log.info("timeshift %s: not buffered: %s", source.name, exc)
                return
            except (UpstreamDown, RelayBusy) as exc:
                log.info("timeshift %s: %s; asking again", source.name, exc)
                await asyncio.sleep(RETRY_S)
                continue
            try:
                async for chunk in chunks:
                    buffer.write(chunk)
            except BufferStopped as exc:  # the disk filled up: the buffer keeps what it has, the TV says so
                log.warning("timeshift %s stopped: %s", source.name, exc)
                return
            finally:
                with contextlib.suppress(Exception):
                    await chunks.aclose()  # type: ignore[attr-defined]
            await asyncio.sleep(RETRY_S)  # the feed ended (the upstream went away): the relay retries it

    def _wanted(self, channel_id: str) -> bool:
        return self.current == channel_id or bool(self._held.get(channel_id))

    def _stop_writer(self, channel_id: str) -> None:
        task = self._writers.pop(channel_id, None)
        if task is not None:
            task.cancel()

    # -- reading ---------------------------------------------------------------------------------------
    def window(self, channel_id: str) -> ShiftWindow | None:
        """What ``channel_id``'s buffer holds now; None when it has none (yet). Any thread."""
        buffer = self.buffers.get(channel_id)
        if buffer is None:
            return None
        start, live = buffer.start_at, buffer.live_at
        if start is None or live is None:
            return None
        return ShiftWindow(start, live, buffer.error)

    def open(self, channel_id: str, at: float | None, behind: float | None = None,
             hold: bool = False) -> AsyncIterator[bytes]:  # fmt: skip
        """The buffer from the keyframe at or before ``at`` (or ``behind`` seconds before its live edge; neither:
        the newest), then live. ``hold``: the channel is written on while this reader reads. Raises LookupError
        (no buffer), ValueError (not a finite moment)."""
        if any(t is not None and not math.isfinite(t) for t in (at, behind)):
            raise ValueError("a moment must be a finite number of seconds")
        buffer = self.buffers.get(channel_id)
        if buffer is None or buffer.closed:
            raise LookupError(f"no timeshift buffer for {channel_id!r}")
        live = buffer.live_at
        if live is not None and behind is not None:
            at = live - max(0.0, behind)
        mark = buffer.mark_at(live if at is None else min(at, live)) if live is not None else None
        if mark is None:
            raise LookupError(f"nothing buffered of {channel_id!r} yet")
        return self._drain(BufferReader(buffer, mark), channel_id if hold else None)

    async def _drain(self, reader: BufferReader, held: str | None = None) -> AsyncIterator[bytes]:
        if held is not None:  # from the first read on (a body never started never holds)
            self._held[held] = self._held.get(held, 0) + 1
        try:
            while True:
                try:
                    data = reader.read()
                except BufferStopped:
                    return
                if data:
                    yield data
                    await asyncio.sleep(0)  # let the loop run: a player gone is noticed before the next write
                else:
                    await asyncio.sleep(EDGE_POLL_S)
        finally:
            reader.close()
            if held is not None:
                self._release(held)

    def _release(self, channel_id: str) -> None:
        """A holding reader left: a channel the TV no longer shows stops being written and ages as a left one."""
        count = self._held.pop(channel_id, 0) - 1
        if count > 0:
            self._held[channel_id] = count
        elif channel_id != self.current:
            self._stop_writer(channel_id)
            self._left_at.setdefault(channel_id, self._clock())
            self.tidy()

    def copy_since(self, channel_id: str, since: float, into: Path) -> float | None:
        """What the buffer holds of ``channel_id`` from ``since`` (wall clock; its start when it holds less) to its
        live edge, written to ``into`` ("record now" keeps it); returns the wall time it starts at, None without a
        buffer. Any thread: it reads the files and the locked index, as a player's reader does."""
        buffer = self.buffers.get(channel_id)
        offset = time.time() - self._clock()
        mark = buffer.mark_at(since - offset) if buffer is not None and not buffer.closed else None
        if buffer is None or mark is None:
            return None
        reader = BufferReader(buffer, mark)
        try:
            with into.open("wb") as out:
                while data := reader.read():
                    out.write(data)
        except BufferStopped:
            pass  # the buffer ended meanwhile: what was copied stands
        finally:
            reader.close()
        return mark.at + offset

    async def close(self) -> None:
        for channel_id in list(self._writers):
            self._stop_writer(channel_id)
        await asyncio.sleep(0)
        for buffer in self.buffers.values():
            buffer.close()
        self.buffers.clear()
        with contextlib.suppress(OSError):
            self.directory.rmdir()


def buffers_directory(root: Path) -> Path:
    """A new folder of this box's own under ``root``; those a crashed box left behind (its process gone) go."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("box-*"):
        pid = old.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"box-{os.getpid()}-", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
