"""Just enough MPEG-TS parsing to start a new viewer at a keyframe: PAT, PMT and random access points."""

from __future__ import annotations

PACKET = 188
SYNC = 0x47
H264, H265, MPEG2 = 0x1B, 0x24, 0x02
VIDEO_STREAM_TYPES = {H264, H265, MPEG2}


def pid_of(packet: bytes | memoryview) -> int:
    return (packet[1] & 0x1F) << 8 | packet[2]


def random_access(packet: bytes | memoryview) -> bool:
    """True when the adaptation field's random_access_indicator is set (ffmpeg sets it on keyframes)."""
    has_adaptation = packet[3] & 0x20
    return bool(has_adaptation and packet[4] > 0 and packet[5] & 0x40)


def table_in_front(packet: bytes, counter: int) -> bytes:
    """A copy of a PSI packet (PAT, PMT) put in front of data that has copies of its own: with ``counter`` (the one
    before the data's own first copy) and an adaptation field saying a counter discontinuity, because what a player
    read before it may be anything (ISO 13818-1: on a PID without PCR the counter may jump there). A packet with no
    stuffing to give up for the flag keeps only the counter."""
    out = bytearray(packet)
    out[3] = (out[3] & 0xF0) | counter & 0x0F
    if out[3] & 0x20 and out[4] > 0:
        out[5] |= 0x80
    elif out[3] & 0x20 and out[-1] == 0xFF:  # an empty adaptation field: one byte of stuffing for its flags
        out[4:5] = b"\x01\x80"
        del out[-1]
    elif not out[3] & 0x20 and out[-2:] == b"\xff\xff":  # payload only: an adaptation field of two bytes
        out[3] |= 0x20
        out[4:4] = b"\x01\x80"
        del out[-2:]
    return bytes(out)


def psi_section(packet: bytes | memoryview) -> bytes | None:
    """Payload of a PSI packet that starts a section, pointer field applied."""
    if not packet[1] & 0x40:  # payload_unit_start_indicator
        return None
    start = 4
    if packet[3] & 0x20:
        start += 1 + packet[4]
    if start >= PACKET:
        return None
    start += 1 + packet[start]  # pointer_field
    return bytes(packet[start:PACKET])


def pmt_pid(pat_packet: bytes | memoryview) -> int | None:
    """PID of the first programme's PMT, from a PAT packet."""
    section = psi_section(pat_packet)
    if section is None or len(section) < 16 or section[0] != 0x00:
        return None
    length = (section[1] & 0x0F) << 8 | section[2]
    end = min(3 + length - 4, len(section))
    for at in range(8, end - 3, 4):
        program = section[at] << 8 | section[at + 1]
        if program != 0:
            return (section[at + 2] & 0x1F) << 8 | section[at + 3]
    return None


def video_pid(pmt_packet: bytes | memoryview) -> int | None:
    """PID of the first video elementary stream, from a PMT packet."""
    section = psi_section(pmt_packet)
    if section is None or len(section) < 16 or section[0] != 0x02:
        return None
    length = (section[1] & 0x0F) << 8 | section[2]
    end = min(3 + length - 4, len(section))
    at = 12 + ((section[10] & 0x0F) << 8 | section[11])
    while at + 5 <= end:
        stream_type = section[at]
        pid = (section[at + 1] & 0x1F) << 8 | section[at + 2]
        if stream_type in VIDEO_STREAM_TYPES:
            return pid
        at += 5 + ((section[at + 3] & 0x0F) << 8 | section[at + 4])
    return None


class JoinPoint:
    """Tracks the latest PAT, PMT and everything since the latest video keyframe.

    A viewer that joins gets ``PAT + PMT + data since the keyframe`` first, so its decoder has a
    picture at once instead of waiting up to a GOP (and libVLC's demuxer up to its caching). The
    PAT and PMT put in front take the continuity counter just before the first PAT and PMT of that
    data, so the counters a player checks go on without a jump (VLC reported "TS discontinuity" at
    every join when they carried the latest table's counter and the older tables followed).
    """

    MAX_BYTES = 4 * 1024 * 1024  # a GOP longer than this (a broken stream) is not worth replaying

    def __init__(self) -> None:
        self.pat: bytes | None = None
        self.pmt: bytes | None = None
        self._pmt_pid: int | None = None
        self._video_pid: int | None = None
        self._gop: list[bytes] = []
        self._gop_bytes = 0
        self._gop_cc: dict[int, int] = {}  # PID → counter of the first PAT/PMT packet in the GOP

    def feed(self, data: bytes) -> None:
        """Feed 188-byte-aligned TS data (whole chunks are kept, not copied packet by packet)."""
        gop_start = None
        tables: list[tuple[int, int]] = []  # (offset, PID) of this chunk's PAT and PMT packets
        for at in range(0, len(data) - PACKET + 1, PACKET):
            if data[at] != SYNC:
                continue
            pid = (data[at + 1] & 0x1F) << 8 | data[at + 2]
            if pid == 0:
                self.pat = data[at : at + PACKET]
                self._pmt_pid = pmt_pid(self.pat) or self._pmt_pid
                tables.append((at, pid))
            elif pid == self._pmt_pid:
                self.pmt = data[at : at + PACKET]
                self._video_pid = video_pid(self.pmt) or self._video_pid
                tables.append((at, pid))
            elif pid == self._video_pid and data[at + 3] & 0x20 and data[at + 4] and data[at + 5] & 0x40:
                gop_start = at  # random_access_indicator: a keyframe starts here
        if gop_start is not None:
            self._gop, self._gop_bytes = [data[gop_start:]], len(data) - gop_start
            self._gop_cc = {}
        elif self._gop and self._gop_bytes < self.MAX_BYTES:
            self._gop.append(data)
            self._gop_bytes += len(data)
        else:
            return
        start = gop_start or 0
        for at, pid in tables:
            if at >= start and pid not in self._gop_cc:
                self._gop_cc[pid] = data[at + 3] & 0x0F

    @property
    def ready(self) -> bool:
        """A joining viewer would start at a keyframe now."""
        return self.pat is not None and self.pmt is not None and bool(self._gop)

    @property
    def gop_bytes(self) -> int:
        return self._gop_bytes if self._gop else 0

    def join_data(self) -> bytes:
        if self.pat is None or self.pmt is None or not self._gop:
            return b""
        return self._before_gop(self.pat, 0) + self._before_gop(self.pmt, self._pmt_pid) + b"".join(self._gop)

    def _before_gop(self, table: bytes, pid: int | None) -> bytes:
        """The table with the counter that precedes the GOP's own first copy of it (if the GOP has one)."""
        first = self._gop_cc.get(pid) if pid is not None else None
        if first is None:
            return table
        packet = bytearray(table)
        packet[3] = (packet[3] & 0xF0) | (first - 1) & 0x0F
        return bytes(packet)


def discontinuous(table: bytes, counter: int | None = None) -> bytes:
    """A PAT or PMT packet put in front of an HLS segment or a read from the middle of a buffer, marked as a counter
    discontinuity (:func:`table_in_front`) with ``counter`` (None: its own): a plain copy of the table last sent
    would be a duplicate, which ffmpeg's demuxer counts as a continuity error."""
    return table_in_front(table, table[3] & 0x0F if counter is None else counter)


def lead_in(tables: bytes, data: bytes) -> bytes:
    """The PAT and PMT put in front of an HLS segment, each marked discontinuous with the counter just before that
    PID's next packet in ``data``: a reader of segment after segment sees the counters go on."""
    out = b""
    for at in range(0, len(tables) - PACKET + 1, PACKET):
        packet = tables[at : at + PACKET]
        following = _next_counter(data, pid_of(packet))
        out += discontinuous(packet, following - 1 if following is not None else None)
    return out


def _next_counter(data: bytes, pid: int) -> int | None:
    """The continuity counter of ``pid``'s first packet with a payload in ``data``."""
    view = memoryview(data)
    for at in range(0, len(data) - PACKET + 1, PACKET):
        if data[at] == SYNC and data[at + 3] & 0x10 and pid_of(view[at : at + PACKET]) == pid:
            return data[at + 3] & 0x0F
    return None


def pes_time(packet: bytes | memoryview) -> int | None:
    """The DTS (or the PTS when there is no DTS) of the PES a packet starts, in 90 kHz ticks; None otherwise.

    DTS rather than PTS: it only ever increases within a stream, also with B-frames, so the difference
    between two keyframes' DTS is the time between them.
    """
    if not packet[1] & 0x40 or not packet[3] & 0x10:  # no PES starts here, or no payload
        return None
    start = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
    if start + 14 > PACKET or packet[start : start + 3] != b"\x00\x00\x01":
        return None
    flags = packet[start + 7] >> 6
    if flags not in (2, 3):
        return None
    at = start + 14 if flags == 3 else start + 9  # DTS follows the PTS
    b = packet[at : at + 5]
    if len(b) < 5:
        return None
    return (b[0] >> 1 & 0x07) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
