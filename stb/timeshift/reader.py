"""Reading a timeshift buffer from a mark on: what a player is fed while the viewer watches the past.

A reader goes from its mark through the later segments to the live edge, then waits for more. It
starts with the PAT and PMT of its segment (a player needs them before the keyframe the mark points
at). When the buffer drops the segment it is in (paused longer than the buffer holds), it goes on at
the oldest moment still kept, as a recorder's timeshift does, and counts the jump.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from stb.timeshift.buffer import BufferStopped, Mark, TimeshiftBuffer
from stb.ts.packets import lead_in

READ_BYTES = 256 * 1024


class BufferReader:
    def __init__(self, buffer: TimeshiftBuffer, mark: Mark) -> None:
        self.buffer = buffer
        self.segment_number = mark.segment
        self.offset = mark.offset
        segment = buffer.segment(mark.segment)
        self._prefix = segment.tables if segment is not None and mark.offset > 0 else b""
        self._file: BinaryIO | None = None
        self.jumps = 0  # times the buffer dropped what this reader was about to read

    @property
    def position(self) -> float | None:
        """The time of the latest mark this reader has passed (its place on the buffer's clock)."""
        return self.buffer.time_at(self.segment_number, self.offset)

    def available(self) -> bool:
        """Something to read now (or the buffer stopped: reading says so)."""
        segment = self.buffer.segment(self.segment_number)
        if segment is None:
            return True  # trimmed away, or the buffer stopped: read() decides
        if self.offset < segment.size:
            return True
        following = self.buffer.segment(self.segment_number + 1)
        return following is not None

    def read(self, max_bytes: int = READ_BYTES) -> bytes:
        """The next bytes, b"" at the live edge; raises BufferStopped once the buffer ended and all is read."""
        while True:
            segment = self.buffer.segment(self.segment_number)
            if segment is None:
                if not self._skip_to_oldest():
                    raise BufferStopped(self.buffer.error or "the timeshift buffer is closed")
                continue
            if self.offset < segment.size:
                return self._read_from(segment.path, min(max_bytes, segment.size - self.offset))
            if self.buffer.segment(self.segment_number + 1) is None:
                if self.buffer.closed or self.buffer.error is not None:
                    raise BufferStopped(self.buffer.error or "the timeshift buffer is closed")
                return b""  # the live edge
            self._close()
            self.segment_number += 1
            self.offset = 0

    def wait(self, timeout: float) -> bool:
        """Until there is something to read (or ``timeout``)."""
        return self.buffer.wait(self.available, timeout)

    def _read_from(self, path: Path, count: int) -> bytes:
        if self._file is None:
            try:
                self._file = path.open("rb")
            except FileNotFoundError:  # trimmed between the check and the open: the next read moves on
                return b""
            self._file.seek(self.offset)
        data = self._file.read(count)
        self.offset += len(data)
        if self._prefix:  # the segment's tables, marked so that the counters of what follows go on from them
            data, self._prefix = lead_in(self._prefix, data) + data, b""
        return data

    def _skip_to_oldest(self) -> bool:
        oldest = self.buffer.oldest_segment()
        if oldest is None or self.segment_number >= oldest:
            return False
        self.segment_number, self.offset = oldest, 0
        self._close()
        self._prefix = b""
        self.jumps += 1
        return True

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        self._close()
