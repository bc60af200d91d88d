"""A double-buffered RV32 frame store that libVLC decodes into and the UI thread reads.

libVLC's decoder thread calls ``lock`` (which back buffer to fill) and ``display`` (the frame is
ready); the UI thread reads the front buffer under the same mutex. The two never touch the same
buffer, and the swap is the only thing the mutex guards, so neither side waits for long.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ALIGN = 32
BYTES_PER_PIXEL = 4  # RV32: B, G, R, X in memory on little-endian machines


def _round_up(value: int, multiple: int) -> int:
    return (value + multiple - 1) // multiple * multiple


@dataclass(frozen=True)
class FrameFormat:
    width: int
    height: int
    pitch: int  # bytes per scanline, a multiple of 32 as libVLC's decoders prefer
    lines: int

    @classmethod
    def for_size(cls, width: int, height: int) -> FrameFormat:
        return cls(width, height, _round_up(width * BYTES_PER_PIXEL, ALIGN), _round_up(height, ALIGN))

    @property
    def nbytes(self) -> int:
        return self.pitch * self.lines


class _Buffer:
    """One 32-byte-aligned picture buffer owned by Python (ctypes keeps it alive)."""

    def __init__(self, nbytes: int) -> None:
        self._raw = ctypes.create_string_buffer(nbytes + ALIGN)
        self.address = _round_up(ctypes.addressof(self._raw), ALIGN)
        self.view = (ctypes.c_char * nbytes).from_address(self.address)


class FrameBuffer:
    """Latest decoded frame of one player, plus counters the UI and tests use."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._new_frame = threading.Condition(self._mutex)
        self._buffers: list[_Buffer] = []
        self._back = 0
        self.format: FrameFormat | None = None
        self.frames = 0  # frames displayed since the last reset (i.e. since the last tune)
        self.total_frames = 0  # frames ever displayed: the front buffer is worth showing when > 0
        self.last_frame_at = 0.0  # time.monotonic() of the latest frame displayed
        self.recent: deque[float] = deque(maxlen=512)  # times of the latest frames: frame rate, smoothness

    # -- libVLC side (decoder threads) -------------------------------------------------------------
    def configure(self, fmt: FrameFormat) -> None:
        with self._mutex:
            self.format = fmt
            self._buffers = [_Buffer(fmt.nbytes), _Buffer(fmt.nbytes)]
            self._back = 0

    def lock_back(self) -> int:
        """Address of the buffer the decoder may fill now."""
        return self._buffers[self._back].address

    def present(self) -> None:
        with self._mutex:
            self._back ^= 1
            self.frames += 1
            self.total_frames += 1
            self.last_frame_at = time.monotonic()
            self.recent.append(self.last_frame_at)
            self._new_frame.notify_all()

    # -- UI side ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the frame count at a tune, so `frames > 0` means "the new channel is on".

        The front buffer keeps the old channel's last frame: showing it beats a black screen.
        """
        with self._mutex:
            self.frames = 0

    def wait_for_frame(self, after: float, timeout: float) -> bool:
        """Block until a frame displayed after monotonic time ``after`` exists (benchmarks, tests)."""
        with self._new_frame:
            return self._new_frame.wait_for(lambda: self.frames > 0 and self.last_frame_at > after, timeout)

    @contextmanager
    def front(self) -> Iterator[tuple[memoryview, FrameFormat] | None]:
        """Hold the newest complete frame for reading: yields (memoryview, FrameFormat) or None."""
        with self._mutex:
            if self.format is None or self.total_frames == 0 or not self._buffers:
                yield None
                return
            front = self._buffers[self._back ^ 1]
            yield memoryview(front.view).cast("B"), self.format
