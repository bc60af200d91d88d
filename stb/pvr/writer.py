"""One part's file written on a thread of its own, so a slow disk never holds up the relay's event loop.

A USB disk that the kernel throttles can block ``write()`` for hundreds of milliseconds; on the loop that
would stall every relay client and event stream. The loop only queues chunks; the thread writes them as
they come, syncs every ``SYNC_S`` (a power cut loses at most that), and on a full disk cuts the file back
to a whole packet and stops, leaving the error for the loop to see. A backlog past ``MAX_BACKLOG`` (a disk
far slower than the stream) is refused rather than held in memory: the recorder marks a gap.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import threading
import time
from collections.abc import Callable

from stb.pvr.library import Part
from stb.ts.packets import PACKET

SYNC_S = 2.0
MAX_BACKLOG = 32 * 1024 * 1024
FULL = (errno.ENOSPC, errno.EDQUOT)


class PartWriter:
    def __init__(self, fd: int, part: Part, on_first: Callable[[], None] = lambda: None) -> None:
        self.fd, self.part, self.on_first = fd, part, on_first
        self.error: OSError | None = None  # set by the thread: the disk is full, or another write error
        self.backlog = 0
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"stb-rec-{part.file}", daemon=True)
        self._thread.start()

    def put(self, chunk: bytes) -> bool:
        """Queue ``chunk`` (False: the disk is that far behind; nothing was queued)."""
        with self._lock:
            if self.backlog + len(chunk) > MAX_BACKLOG:
                return False
            self.backlog += len(chunk)
        self._queue.put(chunk)
        return True

    def close(self) -> None:
        """Write what is queued, sync and close the file (waits for the thread)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        synced = time.monotonic()
        first = True
        try:
            while (chunk := self._queue.get()) is not None:
                with self._lock:
                    self.backlog -= len(chunk)
                if self.error is not None:
                    continue  # drained, not written: the loop has been told
                try:
                    self._write(chunk)
                except OSError as exc:
                    self.error = exc
                    if exc.errno in FULL:
                        whole = self.part.bytes - self.part.bytes % PACKET
                        os.ftruncate(self.fd, whole)  # no half packet at the end
                        self.part.bytes = whole
                    continue
                if first:
                    first = False
                    self.on_first()
                if time.monotonic() - synced >= SYNC_S:
                    synced = time.monotonic()
                    os.fdatasync(self.fd)
        finally:
            with contextlib.suppress(OSError):
                os.fdatasync(self.fd)
            os.close(self.fd)

    def _write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            n = os.write(self.fd, view)
            self.part.bytes += n
            view = view[n:]
