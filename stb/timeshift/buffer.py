"""The rolling timeshift buffer: the channel on screen, kept on disk as it arrives, bounded three ways.

The stream is written as it came (MPEG-TS, no remux, no decoding) into segment files cut at video
keyframes, each starting with the latest PAT and PMT, so a player can start at any segment on its
own. An index of marks — every keyframe, or for radio a point about every second — says where in
which file each moment starts: seeking is a bisection, fast forward and rewind read keyframes only.

Bounded by time (the oldest segments go once the buffer spans more than ``max_seconds``), by size
(``max_bytes``) and by the disk (it never leaves less than ``free_floor_bytes`` free); a write that
fails (the disk filled up anyway) stops the buffer with the reason, keeping what it already holds.
Times are the buffer's own clock (monotonic arrival time): a channel's PCR loops and jumps, the
wall clock steps, arrival time only goes forward.
"""

from __future__ import annotations

import bisect
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stb.ts.packets import PACKET, SYNC, discontinuous, pmt_pid, random_access, video_pid

log = logging.getLogger(__name__)

SEGMENT_S = 4.0  # a new segment at the first keyframe after this long (radio: at this long)
RADIO_MARK_S = 1.0  # audio-only: a mark about this often, at a packet that starts a PES


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 2 * 3600.0
    max_bytes: int = 8 * 1024**3
    free_floor_bytes: int = 2 * 1024**3


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Mark:
    """A point a player can start from: the time it arrived, its segment, the byte offset in that file."""

    at: float
    segment: int
    offset: int
    keyframe: bool  # a video keyframe starts here (False: radio, where any PES start will do)


@dataclass
class Segment:
    number: int
    path: Path
    started: float
    tables: bytes  # the PAT and PMT it starts with: put in front of a read that starts inside it
    size: int = 0
    ended: float | None = None


class BufferStopped(Exception):
    """The buffer no longer takes data (the disk is full, or it was closed)."""


class TimeshiftBuffer:
    """Written by one thread (the channel's reader), read by others (players) through `BufferReader`."""

    def __init__(
        self,
        directory: Path,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free,
    ) -> None:
        self.directory = directory
        self.limits = limits
        self._clock = clock
        self._free_bytes = free_bytes
        self._lock = threading.Condition()
        self.segments: list[Segment] = []
        self.marks: list[Mark] = []
        self._mark_times: list[float] = []  # the marks' times, for bisection
        self._file: BinaryIO | None = None
        self._pat: bytes | None = None
        self._pmt: bytes | None = None
        self._pmt_pid: int | None = None
        self._video_pid: int | None = None
        self._audio_pid: int | None = None
        self._last_radio_mark = -1e18
        self.bytes_total = 0
        self.error: str | None = None
        self.closed = False
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.ts"):  # a buffer does not outlive its box: leftovers of a crash go
            old.unlink(missing_ok=True)

    # -- what it holds ---------------------------------------------------------------------------------
    @property
    def start_at(self) -> float | None:
        with self._lock:
            return self.marks[0].at if self.marks else None

    @property
    def live_at(self) -> float | None:
        """The newest mark's time: as close to live as a player can start at a keyframe."""
        with self._lock:
            return self.marks[-1].at if self.marks else None

    def mark_at(self, at: float) -> Mark | None:
        """The latest mark at or before ``at`` (the buffer's first when ``at`` is before it)."""
        with self._lock:
            if not self.marks:
                return None
            i = bisect.bisect_right(self._mark_times, at) - 1
            return self.marks[max(0, i)]

    def marks_between(self, t0: float, t1: float) -> list[Mark]:
        """Keyframe marks in [t0, t1] (trick play shows these)."""
        with self._lock:
            lo, hi = bisect.bisect_left(self._mark_times, t0), bisect.bisect_right(self._mark_times, t1)
            return self.marks[lo:hi]

    def segment(self, number: int) -> Segment | None:
        with self._lock:
            if not self.segments or number < self.segments[0].number:
                return None
            i = number - self.segments[0].number
            return self.segments[i] if i < len(self.segments) else None

    def oldest_segment(self) -> int | None:
        with self._lock:
            return self.segments[0].number if self.segments else None

    def time_at(self, segment: int, offset: int) -> float | None:
        """The time of the latest mark at or before byte ``offset`` of ``segment``."""
        with self._lock:
            marks = self.marks
            i = bisect.bisect_right(marks, (segment, offset), key=lambda m: (m.segment, m.offset))
            return marks[i - 1].at if i > 0 else (marks[0].at if marks else None)

    def stats(self) -> dict:
        with self._lock:
            span = (self.marks[-1].at - self.marks[0].at) if self.marks else 0.0
            return {"seconds": round(span, 1), "bytes": self.bytes_total, "segments": len(self.segments),
                    "marks": len(self.marks), "error": self.error}  # fmt: skip

    # -- writing ---------------------------------------------------------------------------------------
    def write(self, chunk: bytes) -> None:
        """Append 188-byte-aligned TS data; cuts segments at keyframes and trims to the limits."""
        if self.error is not None or self.closed:
            raise BufferStopped(self.error or "the buffer is closed")
        now = self._clock()
        start = 0
        for at in range(0, len(chunk) - PACKET + 1, PACKET):
            if chunk[at] != SYNC:
                continue
            packet = chunk[at : at + PACKET]
            pid = (packet[1] & 0x1F) << 8 | packet[2]
            if pid == 0:
                self._pat = bytes(packet)
                self._pmt_pid = pmt_pid(packet) or self._pmt_pid
            elif pid == self._pmt_pid and packet[1] & 0x40:
                self._pmt = bytes(packet)
                self._video_pid = video_pid(packet)
                self._audio_pid = None if self._video_pid is not None else _first_stream_pid(packet)
            elif self._starts_mark(pid, packet, now):
                self._append(chunk[start:at])
                start = at
                self._mark(now, keyframe=self._video_pid is not None)
        self._append(chunk[start:])
        self._trim(now)

    def _starts_mark(self, pid: int, packet: bytes, now: float) -> bool:
        if self._pat is None or self._pmt is None:
            return False
        if self._video_pid is not None:
            return pid == self._video_pid and random_access(packet)
        if pid == self._audio_pid and packet[1] & 0x40 and now - self._last_radio_mark >= RADIO_MARK_S:
            self._last_radio_mark = now
            return True
        return False

    def _mark(self, now: float, keyframe: bool) -> None:
        """A mark here; a new segment first when the current one is long enough (or there is none)."""
        current = self.segments[-1] if self.segments else None
        if current is None or now - current.started >= SEGMENT_S:
            self._open_segment(now)
        segment = self.segments[-1]
        with self._lock:
            self.marks.append(Mark(now, segment.number, segment.size, keyframe))
            self._mark_times.append(now)
            self._lock.notify_all()

    def _open_segment(self, now: float) -> None:
        assert self._pat is not None and self._pmt is not None
        number = self.segments[-1].number + 1 if self.segments else 0
        path = self.directory / f"{number:08d}.ts"
        tables = self._pat + self._pmt
        self._close_file(now)
        try:
            self._file = path.open("wb", buffering=0)
        except OSError as exc:
            self._stop(f"cannot write the timeshift buffer in {self.directory}: {exc.strerror or exc}")
        with self._lock:
            self.segments.append(Segment(number, path, now, tables))
        # copies of the tables last written, marked discontinuous: a reader going on from the segment before sees
        # no duplicate (ffmpeg counts one as a continuity error), and the next tables follow on from these
        self._append(discontinuous(self._pat) + discontinuous(self._pmt))

    def _append(self, data: bytes) -> None:
        if not data or not self.segments or self._file is None:
            return  # nothing before the first keyframe is kept: a player could not start there
        try:
            self._file.write(data)
        except OSError as exc:
            self._stop(f"the timeshift buffer stopped: {exc.strerror or exc} in {self.directory}")
        with self._lock:
            self.segments[-1].size += len(data)
            self.bytes_total += len(data)
            self._lock.notify_all()

    def _trim(self, now: float) -> None:
        """Drop the oldest segments (never the one being written) while any limit is passed."""
        limits = self.limits
        while len(self.segments) > 1:
            oldest, second = self.segments[0], self.segments[1]
            too_long = now - second.started >= limits.max_seconds
            too_big = self.bytes_total > limits.max_bytes
            too_full = self._free_bytes(self.directory) < limits.free_floor_bytes
            if not (too_long or too_big or too_full):
                break
            with self._lock:
                self.segments.pop(0)
                self.bytes_total -= oldest.size
                cut = bisect.bisect_left(self.marks, second.number, key=lambda m: m.segment)
                del self.marks[:cut], self._mark_times[:cut]
            oldest.path.unlink(missing_ok=True)
        if len(self.segments) == 1 and self._free_bytes(self.directory) < limits.free_floor_bytes // 2:
            self._stop(f"the disk holding the timeshift buffer ({self.directory}) is nearly full")

    def _stop(self, reason: str) -> None:
        log.warning("%s", reason)
        with self._lock:
            self.error = reason
            self._lock.notify_all()
        self._close_file(self._clock())
        raise BufferStopped(reason)

    def _close_file(self, now: float) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            if self.segments:
                self.segments[-1].ended = now

    def close(self) -> None:
        """Stop taking data, wake every reader, delete the files."""
        with self._lock:
            self.closed = True
            self._lock.notify_all()
        self._close_file(self._clock())
        for segment in self.segments:
            segment.path.unlink(missing_ok=True)
        with self._lock:
            self.segments.clear()
            self.marks.clear()
            self._mark_times.clear()
        if self.directory.exists() and not any(self.directory.iterdir()):
            os.rmdir(self.directory)

    def wait(self, check: Callable[[], bool], timeout: float) -> bool:
        """Block until ``check()`` holds (re-checked at each write) or ``timeout``; readers use it at the live edge."""
        with self._lock:
            return self._lock.wait_for(lambda: check() or self.closed or self.error is not None, timeout)


def _first_stream_pid(pmt_packet: bytes) -> int | None:
    """The first elementary stream's PID in a PMT (radio: its audio)."""
    at = 4 + 1 + pmt_packet[4]  # pointer field
    section = pmt_packet[at:]
    if len(section) < 12:
        return None
    info_len = (section[10] & 0x0F) << 8 | section[11]
    entry = 12 + info_len
    if entry + 5 > len(section):
        return None
    return (section[entry + 1] & 0x1F) << 8 | section[entry + 2]
