"""One recording being written: a channel's TS from the relay, as received, into ``part-N.ts`` files.

The relay's stream is read like any other screen's (one upstream read shared by all). When the source
goes quiet for ``GAP_S`` the gap is marked in ``meta.json`` and the channel is opened again until it
sends; what comes then goes into a new part, which starts at a keyframe with its tables (the relay's join
point), so every part plays on its own. A full disk stops the recording cleanly: the half packet is cut,
the reserve is freed so ``meta.json`` can say why. Bytes are written as they come: a kill -9 loses only
what the relay had not handed over yet; the data is also synced every ``SYNC_S`` against a power cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from collections.abc import AsyncIterator, Callable

from stb.pvr.library import Gap, Library, Meta, Part, RecordingState
from stb.pvr.ports import ChannelReader, Clock, EventSink
from stb.relay.errors import ChannelLocked, RelayBusy, UpstreamDown
from stb.ts.packets import PACKET

log = logging.getLogger(__name__)

GAP_S = 2.0  # no bytes this long: the source dropped
RETRY_S = 2.0  # between tries to open a channel that is away
SYNC_S = 2.0
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
        self.final_reason: str | None = None
        self._fd: int | None = None
        self._part: Part | None = None
        self._last_data: float | None = None
        self._synced = self._saved = 0.0

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"recording-{self.meta.id}")

    async def stop(self, state: RecordingState, reason: str | None = None) -> None:
        """End it now as ``state`` ("interrupted": the box stops; it resumes when the box is back)."""
        self.final, self.final_reason = state, reason
        task = self.task
        if task is not None and not task.done():
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
            self._close_part()
            now = self.clock.time()
            for gap in meta.gaps:
                gap.end = gap.end if gap.end is not None else now
            if state == "done" and meta.gaps:
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
                self._gap(str(exc))
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
                self._gap("the relay ended the channel's stream")
                return
            except TimeoutError:
                self._gap(f"the source sent nothing for {GAP_S:.0f} s")
                return
            now = self.clock.time()
            if self._part is None:
                self._open_part(now)
            self._put(chunk)
            self._last_data = now
            if self.meta.first_bytes_ms is None:
                self.meta.first_bytes_ms = round(max(0.0, now - self.began) * 1000, 1)
                self.library.save(self.meta)
            if now - self._synced >= SYNC_S:
                self._synced = now
                fd = self._fd
                await asyncio.to_thread(os.fdatasync, fd)  # type: ignore[arg-type]
            if now - self._saved >= SAVE_S:
                self._saved = now
                self._save()
            if now >= self.until():
                return

    def _open_part(self, now: float) -> None:
        meta = self.meta
        path = self.library.next_part(meta)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(exc.strerror) from None
            raise
        self._part = Part(path.name, now)
        meta.parts.append(self._part)
        if meta.gaps and meta.gaps[-1].end is None:
            meta.gaps[-1].end = now
        self._save()

    def _put(self, chunk: bytes) -> None:
        assert self._fd is not None and self._part is not None
        view = memoryview(chunk)
        while view:
            try:
                n = os.write(self._fd, view)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    whole = self._part.bytes - self._part.bytes % PACKET
                    os.ftruncate(self._fd, whole)  # no half packet at the end
                    self._part.bytes = whole
                    raise DiskFull(exc.strerror) from None
                raise
            self._part.bytes += n
            view = view[n:]

    def _gap(self, reason: str) -> None:
        """The source is away: close the part, open a gap (once), keep trying."""
        self._close_part()
        gaps = self.meta.gaps
        if not gaps or gaps[-1].end is not None:
            log.info("recording %s: %s", self.meta.id, reason)
            gaps.append(Gap(self._last_data or self.clock.time(), None, reason))
            self._save()

    def _close_part(self) -> None:
        if self._part is not None:
            self._part.end = self._last_data or self._part.start
            self._part = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _save(self) -> None:
        try:
            self.library.save(self.meta)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(exc.strerror) from None
            raise
