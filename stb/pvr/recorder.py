"""One recording being written: a channel's TS from the relay, as received, into ``part-N.ts`` files.

The relay's stream is read like any other screen's (one upstream read shared by all). When the source
goes quiet for ``GAP_S`` the gap is marked in ``meta.json`` and the channel is opened again until it
sends; what comes then goes into a new part, which starts at a keyframe with its tables (the relay's join
point), so every part plays on its own. A full disk stops the recording cleanly: the half packet is cut,
the reserve is freed so ``meta.json`` can say why. Bytes are written as they come: a kill -9 loses only
what the relay had not handed over yet; each part's thread (:mod:`stb.pvr.writer`) also syncs every
``SYNC_S`` against a power cut, and keeps a slow disk from holding up the relay's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable

from stb.pvr.library import Gap, Library, Meta, Part, RecordingState
from stb.pvr.ports import ChannelReader, Clock, EventSink
from stb.pvr.writer import FULL, PartWriter
from stb.relay.errors import ChannelLocked, RelayBusy, UpstreamDown

log = logging.getLogger(__name__)

GAP_S = 5.0  # no bytes this long: the source dropped (a loaded box can pause a healthy one for 2 s)
RETRY_S = 2.0  # between tries to open a channel that is away
SAVE_S = 10.0  # meta.json's part sizes refreshed this often while recording (the files stay the truth)


class DiskFull(Exception):
    pass


class Failed(Exception):
    pass


class Recorder:
    """Writes ``meta``'s recording until ``until()`` (UTC epoch; the timer may move) or until stopped."""

    def __init__(self, library: Library, meta: Meta, reader: ChannelReader, clock: Clock,
                 until: Callable[[], float], events: EventSink, began: float) -> None:  # fmt: skip
        self.library, self.meta, self.reader, self.clock = library, meta, reader, clock
        self.until, self.events, self.began = until, events, began
        self.task: asyncio.Task | None = None
        self.final: RecordingState | None = None  # what a stop() asked the recording to end as
        self._finishing = False  # past recording, closing its part and writing meta.json
        self.final_reason: str | None = None
        self._writer: PartWriter | None = None
        self._part: Part | None = None
        self._last_data: float | None = None
        self._saved = 0.0
        self._first_saved = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"recording-{self.meta.id}")

    async def stop(self, state: RecordingState, reason: str | None = None) -> None:
        """End it now as ``state`` ("interrupted": the box stops; it resumes when the box is back)."""
        self.final, self.final_reason = state, reason
        task = self.task
        if task is not None and not task.done():
            if not self._finishing:  # a cancel inside the finishing block would leave meta.json "recording"
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    async def _run(self) -> None:
        meta = self.meta
        state: RecordingState = "done"
        reason: str | None = None
        try:
            await self._record()
        except asyncio.CancelledError:
            state, reason = self.final or "partial", self.final_reason
        except DiskFull as exc:
            state, reason = "partial", f"the disk is full: {exc}"
        except Failed as exc:
            state, reason = "failed" if not meta.size and not self._part else "partial", str(exc)
        except Exception as exc:  # a bug: the recording stays playable and says so
            log.warning("recording %s failed", meta.id, exc_info=True)
            state, reason = "partial", f"internal error: {exc}"
        finally:
            self._finishing = True  # from here on it ends by itself: stop() waits instead of cancelling
            await self._close_part()
            now = self.clock.time()
            for gap in meta.gaps:
                gap.end = gap.end if gap.end is not None else now
            if state in ("done", "partial") and not meta.parts:
                state, reason = "failed", reason or "the channel sent nothing while it was to be recorded"
            elif state == "done" and meta.gaps:
                reason = f"{len(meta.gaps)} gap(s) where the source sent nothing"
            meta.state, meta.reason = state, reason
            if state != "interrupted":
                (self.library.folder(meta.id) / ".reserve").unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a full disk even after the reserve: the files still tell
                self.library.save(meta)
            data = {"id": meta.id, "timer": meta.timer, "channel": meta.channel, "title": meta.title,
                    "state": state, "reason": reason}  # fmt: skip
            if state in ("done", "interrupted") or (state == "partial" and self.final == "partial"):
                self.events("recording_stopped", data)
            else:
                self.events("recording_failed", data)

    async def _record(self) -> None:
        while self.clock.time() < self.until():
            try:
                stream = await self.reader.open_channel(self.meta.channel, internal=True, recording=True)
            except (LookupError, ChannelLocked) as exc:
                raise Failed(str(exc)) from None
            except (RelayBusy, UpstreamDown) as exc:
                await self._gap(str(exc))
                await self.clock.sleep(RETRY_S)
                continue
            try:
                await self._write(stream)
            finally:
                await stream.aclose()  # type: ignore[attr-defined]  # the relay's is an async generator

    async def _write(self, stream: AsyncIterator[bytes]) -> None:
        chunks = aiter(stream)
        while True:
            try:
                async with asyncio.timeout(GAP_S):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                await self._gap("the relay ended the channel's stream")
                return
            except TimeoutError:
                await self._gap(f"the source sent nothing for {GAP_S:.0f} s")
                return
            now = self.clock.time()
            if self._part is None:
                self._open_part(now)
            await self._put(chunk)
            if self._part is None:  # the disk fell behind: a gap, and a new part when it has caught up
                return
            self._last_data = now
            if self.meta.first_bytes_ms is not None and not self._first_saved:
                self._first_saved = True
                self._save()
            if now - self._saved >= SAVE_S:
                self._saved = now
                self._save()
            if now >= self.until():
                return

    def _open_part(self, now: float) -> None:
        meta = self.meta
        path = self.library.next_part(meta)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            if exc.errno in FULL:
                raise DiskFull(exc.strerror) from None
            raise
        self._part = Part(path.name, now)
        self._writer = PartWriter(fd, self._part, self._first_bytes)
        meta.parts.append(self._part)
        if meta.gaps and meta.gaps[-1].end is None:
            meta.gaps[-1].end = now
        self._save()

    async def _put(self, chunk: bytes) -> None:
        writer = self._writer
        assert writer is not None
        if writer.error is not None:
            if writer.error.errno in FULL:
                raise DiskFull(writer.error.strerror)
            raise writer.error
        if not writer.put(chunk):
            await self._gap("the disk is too slow for the stream")

    async def _gap(self, reason: str) -> None:
        """The source is away: close the part, open a gap (once), keep trying."""
        await self._close_part()
        gaps = self.meta.gaps
        if not gaps or gaps[-1].end is not None:
            log.info("recording %s: %s", self.meta.id, reason)
            gaps.append(Gap(self._last_data or self.clock.time(), None, reason))
            self._save()

    def _first_bytes(self) -> None:
        """On the writer's thread: the first bytes are on disk (the meta is saved by the loop)."""
        if self.meta.first_bytes_ms is None:
            self.meta.first_bytes_ms = round(max(0.0, self.clock.time() - self.began) * 1000, 1)

    async def _close_part(self) -> None:
        """End the part being written: its thread writes what is queued, syncs and closes the file (waited
        for off the loop: a slow disk may take a while)."""
        if self._part is not None:
            self._part.end = self._last_data or self._part.start
            self._part = None
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                await asyncio.to_thread(writer.close)
            except asyncio.CancelledError:  # stopped again while it finished: finish here, then go
                writer.close()
                raise

    def _save(self) -> None:
        try:
            self.library.save(self.meta)
        except OSError as exc:
            if exc.errno in FULL:
                raise DiskFull(exc.strerror) from None
            raise
