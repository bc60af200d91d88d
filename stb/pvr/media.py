"""A recording as other screens read it: its part files as one byte range, and an HLS index cut at keyframes.

Nothing is copied or transcoded. The MPEG-TS route serves the parts back to back, with byte ranges, so a
player seeks by asking for another range (VLC, mpv and ffmpeg find the time from the PCR/PTS they read
there). The HLS rendition is a list of cuts of the same files at video keyframes (found once by reading
the packets' headers, then only what was appended since), each served as the part's PAT and PMT followed
by the bytes between two keyframes, read from disk when it is asked for: every segment starts a decoder
cleanly whatever the player asked for before, which byte-range segments of the bare file would not (a
segment in the middle has no PAT/PMT of its own); their continuity counters lead into the segment's own and say
a discontinuity to what came before (:func:`lead_in`). A part after another (the box restarted, the source came
back) has a clock of its own: its PCR, PTS and DTS are moved, as they are sent, to follow on from the part
before, so players (libavformat ignores ``#EXT-X-DISCONTINUITY``) see one timeline as long as the recording's
duration; the playlist still marks the discontinuity for those that honour it.

Only ids the library listed name folders, and only ``part-N.ts`` files it recorded are read.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from stb.pvr.library import Meta
from stb.ts.clock import pcr_at, pes_times_at, read_pcr, read_time, ticks_between, write_pcr, write_time
from stb.ts.packets import PACKET, SYNC, pes_time, pid_of, pmt_pid, random_access, table_in_front, video_pid

TARGET_S = 4.0  # a segment lasts at least this (cut at the first keyframe past it)
CLOCK = 90_000
WRAP = 1 << 33
SCAN_BLOCK = PACKET * 8192  # bytes read at a time while indexing
CHUNK = PACKET * 1394  # bytes per read while serving (~256 KiB, whole packets)
NO_KEYFRAME_BYTES = 2 * 1024 * 1024  # a part without keyframes (radio, say) is cut every this many bytes


class RangeNotSatisfiable(Exception):
    """A ``Range`` that starts past the end: 416, with the size."""

    def __init__(self, size: int) -> None:
        super().__init__(f"this recording has {size} bytes now")
        self.size = size


@dataclass(frozen=True)
class Span:
    """One part file and how many of its bytes are served (whole packets, as on disk now)."""

    path: Path
    size: int


def spans(folder: Path, meta: Meta) -> list[Span]:
    """The recording's parts as they are on disk now (one being written: what it holds so far)."""
    found = []
    for part in meta.parts:
        path = folder / part.file
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        found.append(Span(path, size - size % PACKET))
    return found


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte of a single ``bytes=`` range; None to send it all (no range, several, or not bytes).

    RangeNotSatisfiable when it starts past the end (or the recording is empty and a range was asked for).
    """
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    spec = header.strip()[6:].strip()
    if "," in spec or "-" not in spec:
        return None
    first_text, last_text = (s.strip() for s in spec.split("-", 1))
    if not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if len(first_text) > 18 or len(last_text) > 18:
        return None
    if first_text == "":  # the last N bytes
        if last_text == "" or int(last_text) == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - int(last_text)), size - 1
    first = int(first_text)
    last = size - 1 if last_text == "" else min(int(last_text), size - 1)
    if first >= size or last < first:
        raise RangeNotSatisfiable(size)
    return first, last


def rebase(data: bytes, ticks: int) -> bytes:
    """Whole TS packets with ``ticks`` added to every PCR, PTS and DTS (a later part onto the first's clock)."""
    if not ticks:
        return data
    out = bytearray(data)
    for at in range(0, len(out) - PACKET + 1, PACKET):
        packet = memoryview(out)[at : at + PACKET]
        if packet[0] != SYNC:
            continue
        if (where := pcr_at(packet)) is not None:
            write_pcr(packet, read_pcr(packet, where) + ticks, where)  # type: ignore[arg-type]
        for field_at in pes_times_at(packet):
            if field_at is not None:
                write_time(packet, field_at, read_time(packet, field_at) + ticks)  # type: ignore[arg-type]
    return bytes(out)


async def read_range(parts: list[Span], first: int, last: int, still_there: Callable[[], bool],
                     chunk: int = CHUNK, offsets: list[int] | None = None) -> AsyncIterator[bytes]:  # fmt: skip
    """Bytes ``first..last`` of the parts back to back, each part's clock moved by its ``offsets`` (ticks); ends
    early (cleanly) once ``still_there()`` is False."""
    offset = 0
    for i, span in enumerate(parts):
        if last < offset:
            break
        begin, end = max(first, offset), min(last + 1, offset + span.size)
        shift = offsets[i] if offsets and i < len(offsets) else 0
        if begin < end:
            try:
                handle = await asyncio.to_thread(open, span.path, "rb")
            except OSError:
                return  # deleted between the listing and now
            try:
                at = begin - offset
                while at < end - offset:
                    if not still_there():
                        return
                    lead = at % PACKET if shift else 0  # a moved clock is rewritten packet by packet
                    size = min(chunk, end - offset - at)
                    data = await asyncio.to_thread(_read_at, handle, at - lead, size + lead)
                    if not data:
                        return
                    if shift:
                        whole = len(data) - len(data) % PACKET
                        data = (rebase(data[:whole], shift) + data[whole:])[lead : lead + size]
                    at += len(data)
                    yield data
            finally:
                handle.close()
        offset += span.size


def _read_at(handle, at: int, size: int) -> bytes:  # type: ignore[no-untyped-def]
    handle.seek(at)
    return handle.read(size)


# -- the HLS index -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """One HLS segment: bytes ``start..end`` of part ``part``, with that part's PAT and PMT in front."""

    part: int
    start: int
    end: int
    duration: float
    discontinuity: bool


@dataclass
class PartIndex:
    """What reading one part's packets found so far: its tables, and each video keyframe's offset and DTS."""

    scanned: int = 0
    pat: bytes | None = None
    pmt: bytes | None = None
    pmt_pid: int | None = None
    video_pid: int | None = None
    keyframes: list[tuple[int, int]] = field(default_factory=list)  # (offset, DTS)
    first_dts: int | None = None
    last_dts: int | None = None
    frame: int = 0  # ticks between the latest two video frames

    def scan(self, path: Path, size: int) -> None:
        """Read from where the last scan stopped up to ``size`` bytes (whole packets)."""
        if size <= self.scanned:
            return
        with open(path, "rb") as handle:
            while self.scanned < size:
                handle.seek(self.scanned)
                block = handle.read(min(SCAN_BLOCK, size - self.scanned))
                block = block[: len(block) - len(block) % PACKET]
                if not block:
                    return
                self._feed(block, self.scanned)
                self.scanned += len(block)

    def _feed(self, block: bytes, base: int) -> None:
        view = memoryview(block)
        for at in range(0, len(block), PACKET):
            if block[at] != SYNC:
                continue
            packet = view[at : at + PACKET]
            pid = pid_of(packet)
            if pid == 0:
                if self.pat is None:
                    self.pat = bytes(packet)
                self.pmt_pid = self.pmt_pid or pmt_pid(packet)
            elif pid == self.pmt_pid:
                if self.pmt is None or self.video_pid is None:
                    self.pmt = bytes(packet)
                    self.video_pid = video_pid(packet)
            elif pid == self.video_pid and (time := pes_time(packet)) is not None:
                if self.last_dts is not None and 0 < (time - self.last_dts) % WRAP < CLOCK:
                    self.frame = (time - self.last_dts) % WRAP
                self.last_dts = time
                if self.first_dts is None:
                    self.first_dts = time
                if random_access(packet):
                    self.keyframes.append((base + at, time))

    def ticks(self) -> int:
        """How long this part lasts on its clock (its video, first to last frame, and one frame more)."""
        if self.first_dts is None or self.last_dts is None:
            return 0
        return max(0, ticks_between(self.first_dts, self.last_dts)) + self.frame

    def cuts(self, part: int, size: int, seconds: float, final: bool, target_s: float) -> list[Cut]:
        """This part's segments; ``final``: the part is complete, its tail is a segment too."""
        if not self.keyframes:
            if not final or size == 0:
                return []
            starts = list(range(0, size, NO_KEYFRAME_BYTES))
            return [Cut(part, s, min(size, s + NO_KEYFRAME_BYTES), seconds * (min(size, s + NO_KEYFRAME_BYTES) - s)
                        / size, part > 0 and s == 0) for s in starts]  # fmt: skip
        target = round(target_s * CLOCK)
        cuts: list[Cut] = []
        start, start_dts = 0, self.keyframes[0][1]
        for offset, dts in self.keyframes[1:]:
            if (dts - start_dts) % WRAP >= target:
                cuts.append(Cut(part, start, offset, ((dts - start_dts) % WRAP) / CLOCK, part > 0 and start == 0))
                start, start_dts = offset, dts
        if final and start < size:
            tail = ((self.last_dts or start_dts) - start_dts) % WRAP + self.frame
            cuts.append(Cut(part, start, size, max(tail / CLOCK, 0.001), part > 0 and start == 0))
        return cuts


class RecordingIndex:
    """One recording's segments, brought up to date from its files when asked (only new bytes are read)."""

    def __init__(self, target_s: float = TARGET_S) -> None:
        self.target_s = target_s
        self.parts: list[PartIndex] = []
        self.cuts: list[Cut] = []
        self.spans: list[Span] = []
        self.offsets: list[int] = []  # per part: ticks added so that each part follows the one before
        self._scanning = threading.Lock()  # one scan at a time (off the event loop: it reads the files)
        self._lock = threading.Lock()  # only to swap and read the lists: never held while reading a file

    def update(self, meta: Meta, parts: list[Span]) -> list[Cut]:
        """Scan what was appended since; the segments as of now (a part being written: its complete ones)."""
        with self._scanning:
            while len(self.parts) < len(parts):
                self.parts.append(PartIndex())
            cuts: list[Cut] = []
            for i, span in enumerate(parts):
                index = self.parts[i]
                index.scan(span.path, span.size)
                final = meta.state != "recording" or i < len(parts) - 1
                info = meta.parts[i] if i < len(meta.parts) else None
                seconds = max(0.0, (info.end or info.start) - info.start) if info else 0.0
                cuts += index.cuts(i, span.size, seconds, final, self.target_s)
            offsets, ends = [], None  # the output clock where the previous part ended
            for index in self.parts[: len(parts)]:
                shift = 0 if ends is None or index.first_dts is None else ticks_between(index.first_dts, ends)
                offsets.append(shift)
                if index.first_dts is not None:
                    ends = index.first_dts + shift + index.ticks()
            with self._lock:
                self.cuts, self.spans, self.offsets = cuts, parts, offsets
            return cuts

    def segment(self, seq: int) -> tuple[bytes, Span, Cut, int] | None:
        """The tables to put in front, the file, the cut of segment ``seq`` and its part's clock offset (None:
        not in the playlist)."""
        with self._lock:
            cuts, spans, offsets = self.cuts, self.spans, self.offsets
        if not 0 <= seq < len(cuts):
            return None
        cut = cuts[seq]
        index = self.parts[cut.part]  # its tables are set once, before any cut of it exists
        return (index.pat or b"") + (index.pmt or b""), spans[cut.part], cut, offsets[cut.part]


def lead_in(tables: bytes, body: bytes) -> bytes:
    """The part's PAT and PMT to put in front of a segment's ``body``, each with the counter just before the
    segment's own first copy (the counters go on into the segment) and marked as a counter discontinuity (the
    segment read before it, if any, may be any other: ffmpeg's HLS reader checks the counters across segments)."""
    packets = [tables[at : at + PACKET] for at in range(0, len(tables) - PACKET + 1, PACKET)]
    wanted, firsts = {pid_of(p) for p in packets}, dict[int, int]()
    for at in range(0, len(body) - PACKET + 1, PACKET):
        if len(firsts) == len(wanted):
            break
        if body[at] == SYNC and (pid := pid_of(body[at : at + PACKET])) in wanted and pid not in firsts:
            firsts[pid] = body[at + 3] & 0x0F
    return b"".join(table_in_front(p, firsts[pid] - 1 if (pid := pid_of(p)) in firsts else p[3]) for p in packets)


def playlist(cuts: list[Cut], growing: bool, query: str = "") -> str:
    """VOD (the recording is complete), or EVENT (it grows: players reload it) with the same segments first."""
    target = max((math.ceil(c.duration) for c in cuts), default=math.ceil(TARGET_S))
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, target)}",
             f"#EXT-X-PLAYLIST-TYPE:{'EVENT' if growing else 'VOD'}", "#EXT-X-MEDIA-SEQUENCE:0"]  # fmt: skip
    for seq, cut in enumerate(cuts):
        if cut.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXTINF:{cut.duration:.3f},", f"{seq}.ts{query}"]
    if not growing:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


class Indexes:
    """The HLS index of every recording some screen watches, kept while the box runs (dropped on delete)."""

    def __init__(self) -> None:
        self._by_id: dict[str, RecordingIndex] = {}
        self._lock = threading.Lock()

    def of(self, recording_id: str) -> RecordingIndex:
        with self._lock:
            index = self._by_id.get(recording_id)
            if index is None:
                index = self._by_id[recording_id] = RecordingIndex()
            return index

    def forget(self, recording_id: str) -> None:
        with self._lock:
            self._by_id.pop(recording_id, None)
