"""The head-end's archive: any past stretch of a channel, as a seekable MPEG-TS made from its loop clip.

A provider's archive is what catch-up plays. Ours is derived, not stored: at epoch second t a channel
shows its clip at t mod the clip's length, so every request for the same time gets the same picture.
A span is repetitions of the clip with each one's PCR/PTS/DTS moved on by whole loops and its
continuity counters carried on, so the bytes form one continuous stream with a known size: byte
ranges work (libVLC seeks in it) without writing a file or running ffmpeg.

Spans start on a keyframe (at the PAT before it) so a player decodes at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stb.headend.catalog import CATCHUP_DAYS
from stb.ts.clock import CLOCK, pcr_at, pes_times_at, read_pcr, read_time, write_pcr, write_time
from stb.ts.packets import PACKET, pid_of, random_access

ARCHIVE_DAYS = CATCHUP_DAYS  # how far back the archive reaches (the demo line-up's catchup-days)
MAX_SPAN_S = 6 * 3600  # one request: at most six hours
CHUNK_PACKETS = 348  # ~64 KiB per write
#: Flussonic's archive names: the whole stretch, from a start until now, or the live alias
FLUSSONIC_NAME = re.compile(r"archive-(\d{1,10})-(\d{1,6})\.ts|timeshift_abs-(\d{1,10})\.ts|mpegts")
_RANGE = re.compile(r"bytes=(\d{1,15})-(\d{0,15})")


def _is_video_pes(packet: memoryview) -> bool:
    """The packet starts a video PES (stream ids 0xE0-0xEF); audio packets carry random access flags too."""
    start = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
    return start + 4 <= PACKET and bytes(packet[start : start + 3]) == b"\x00\x00\x01" and packet[start + 3] >> 4 == 0xE


class ArchiveRefused(ValueError):
    """A request outside the archive (in the future, too old, too long): a 4xx with this sentence."""


class Clip:
    """A channel's loop clip, indexed once: where each second's keyframe starts, each pid's packet count."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        self.packets = len(data) // PACKET
        self.data = data[: self.packets * PACKET]
        if self.packets == 0 or self.data[0] != 0x47:
            raise ValueError(f"{path.name} is not MPEG-TS")
        self.counts: dict[int, int] = {}
        starts: list[tuple[int, int]] = []  # (video time from the clip's start, packet to start at)
        last_pat = 0
        first_time: int | None = None
        last_time = 0
        for i in range(self.packets):
            packet = memoryview(self.data)[i * PACKET : (i + 1) * PACKET]
            pid = pid_of(packet)
            if packet[3] & 0x10:
                self.counts[pid] = self.counts.get(pid, 0) + 1
            if pid == 0:
                last_pat = i
            if random_access(packet) and _is_video_pes(packet):
                pts_at, dts_at = pes_times_at(packet)
                if pts_at is not None:
                    t = read_time(packet, dts_at or pts_at)
                    first_time = t if first_time is None else first_time
                    last_time = t
                    starts.append((t - first_time, last_pat))
        if not starts or first_time is None:
            raise ValueError(f"{path.name} has no keyframes")
        step = starts[1][0] if len(starts) > 1 else CLOCK
        self.loop_ticks = last_time - first_time + step  # the clip's length, a whole number of GOPs
        self.starts = starts

    @property
    def loop_s(self) -> float:
        return self.loop_ticks / CLOCK

    def position(self, epoch_s: int) -> int:
        """Global packet index (repetition × packets + packet) where the archive at ``epoch_s`` starts."""
        loop, into = divmod(epoch_s * CLOCK, self.loop_ticks)
        packet = max((p for t, p in self.starts if t <= into), default=self.starts[0][1])
        return loop * self.packets + packet

    def span(self, start_s: int, duration_s: int) -> Span:
        first = self.position(start_s)
        return Span(self, first, max(self.position(start_s + duration_s), first + 1))


@dataclass(frozen=True)
class Span:
    """Packets ``first`` to ``end`` (global indexes) of the endless archive, as one continuous stream."""

    clip: Clip
    first: int
    end: int

    @property
    def size(self) -> int:
        return (self.end - self.first) * PACKET

    def _packet(self, index: int) -> bytes:
        clip = self.clip
        loop = index // clip.packets - self.first // clip.packets  # loops since the span's first
        at = (index % clip.packets) * PACKET
        packet = bytearray(clip.data[at : at + PACKET])
        if loop == 0:
            return bytes(packet)
        shift = loop * clip.loop_ticks
        pcr = pcr_at(packet)
        if pcr is not None:
            write_pcr(packet, read_pcr(packet, pcr) + shift, pcr)
        for field in pes_times_at(packet):
            if field is not None:
                write_time(packet, field, read_time(packet, field) + shift)
        if packet[3] & 0x10:
            count = clip.counts.get(pid_of(memoryview(packet)), 0)
            packet[3] = (packet[3] & 0xF0) | ((packet[3] & 0x0F) + loop * count) % 16
        return bytes(packet)

    def read(self, offset: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Bytes ``offset`` to ``stop`` (exclusive) in chunks; any offsets, not only packet boundaries."""
        stop = self.size if stop is None else min(stop, self.size)
        index = self.first + offset // PACKET
        skip = offset % PACKET
        remaining = stop - offset
        while remaining > 0:
            count = min(CHUNK_PACKETS, self.end - index)
            chunk = b"".join(self._packet(i) for i in range(index, index + count))[skip : skip + remaining]
            skip = 0
            index += count
            remaining -= len(chunk)
            yield chunk


def check_times(start: int, duration: int | None, now: int) -> int:
    """The duration to serve for an archive request from ``start``; refused outside the archive."""
    if start > now:
        raise ArchiveRefused("that time is in the future")
    if start < now - ARCHIVE_DAYS * 86400:
        raise ArchiveRefused(f"the archive reaches back {ARCHIVE_DAYS} days")
    wanted = now - start if duration is None else min(duration, now - start)  # the archive ends at now
    if wanted <= 0:
        raise ArchiveRefused("nothing to play")
    return min(wanted, MAX_SPAN_S)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, stop) asked for by a ``Range: bytes=a-[b]`` header; None for the whole body.

    Raises ArchiveRefused for a range past the end (416).
    """
    if not header:
        return None
    m = _RANGE.fullmatch(header.strip())
    if m is None:
        return None  # multi-range or suffix ranges: the whole body, as RFC 9110 allows
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if first >= size or last < first:
        raise ArchiveRefused("range not satisfiable")
    return first, min(last, size - 1) + 1
