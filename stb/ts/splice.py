"""One continuous MPEG-TS made of successive sources: what `/stream/live` sends across the TV's zaps.

Stock players (VLC, mpv, ffmpeg) keep playing one HTTP connection through a change of channel only
when the stream looks like one programme with one clock, the way a broadcaster's splicer makes it:

- every source's elementary streams are renumbered onto fixed output PIDs (0x100, 0x101…), with our
  own PAT (one programme, PMT on 0x1000) and a PMT rebuilt from the source's, its version bumped at
  each splice, so the player re-reads the streams when their codecs change;
- continuity counters are ours, continuous per output PID (PAT and PMT included): they never go back;
- the clock is ours too: each new source's PCR, PTS and DTS are moved by one offset onto the running
  output clock, so its first picture follows the last one of the previous source by one frame (and
  the PCR never goes back). One offset for the whole source keeps its own audio/video alignment.
  Players do not reset their clock on the ``discontinuity_indicator``: VLC 3 froze for seconds at
  small jumps, and libavformat (mpv, ffmpeg) took a jump back for a broken stream;
- a source's elementary streams start at their first PES start after the splice (the tail of a PES
  begun before the join point would only be garbage to the decoder);
- an SDT names the service (the channel), which players show as the title.

A source must start at its PAT and PMT (the fan-out's join data does), and its PMT must fit in one
packet (programmes with a few streams do). Other PSI (the source's SDT, EIT, NIT) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stb.ts.clock import CLOCK, pcr_at, pes_times_at, read_pcr, read_time, ticks_between, write_pcr, write_time
from stb.ts.packets import PACKET, SYNC, VIDEO_STREAM_TYPES, pmt_pid, psi_section

PAT_PID = 0x0000
SDT_PID = 0x0011
PMT_PID = 0x1000
FIRST_ES_PID = 0x0100
PCR_ONLY_PID = 0x1F00  # when the source's PCR is on a PID that carries no elementary stream
PROGRAM = 1
TRANSPORT_STREAM_ID = 1
NULL_PID = 0x1FFF
MAX_PENDING = 2000  # packets (~370 KB) held while a new source's first PCR and picture time are awaited
DEFAULT_FRAME = CLOCK // 25
SOURCE_JUMP = 10 * CLOCK  # a source's own clock going back, or this far forward, is a jump to absorb


def _crc32_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc32_table()


def crc32_mpeg(data: bytes) -> int:
    """CRC-32/MPEG-2 (not zlib's reflected CRC): what every PSI section ends with."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def _section(table_id: int, table_ext: int, version: int, body: bytes) -> bytes:
    """A long-form PSI section (syntax indicator set) with its CRC."""
    length = 5 + len(body) + 4
    head = bytes([table_id, 0xB0 | length >> 8, length & 0xFF, table_ext >> 8, table_ext & 0xFF,
                  0xC1 | (version & 0x1F) << 1, 0, 0])  # fmt: skip
    section = head + body
    return section + crc32_mpeg(section).to_bytes(4, "big")


def _psi_packet(pid: int, section: bytes, cc: int) -> bytes:
    if len(section) > PACKET - 5:
        raise ValueError("a PSI section longer than one packet")
    packet = bytes([SYNC, 0x40 | pid >> 8, pid & 0xFF, 0x10 | cc, 0]) + section
    return packet + b"\xff" * (PACKET - len(packet))


@dataclass
class _Programme:
    """What one source's PMT says, and how its PIDs map onto ours."""

    pmt_pid: int | None = None
    mapping: dict[int, int] = field(default_factory=dict)  # source PID → output PID
    pmt_section: bytes | None = None  # ours, rebuilt from the source's
    pcr_pid: int | None = None  # the source's
    clock_pid: int | None = None  # the source PID whose picture (or frame) times the output continues
    offset: int | None = None  # ticks added to the source's PCR, PTS and DTS; None: not decided yet
    started: set[int] = field(default_factory=set)  # source PIDs whose first PES start came
    pending: list[tuple[bytes, int, int]] = field(default_factory=list)  # (packet, PID, output PID) held
    first_time: int | None = None  # of the clock PID, in source ticks, while the offset is pending
    first_pcr: int | None = None
    last_time: int | None = None  # the latest of the clock PID, in source ticks (to see the source jump)
    last_pcr: int | None = None


def _pmt_section_of(packet: bytes | memoryview) -> bytes | None:
    """The whole PMT section a packet starts, when it fits in that packet."""
    section = psi_section(packet)
    if section is None or len(section) < 16 or section[0] != 0x02:
        return None
    length = (section[1] & 0x0F) << 8 | section[2]
    if 3 + length > len(section):
        return None  # spans packets: not supported (see the module docstring)
    return section[: 3 + length]


class Splicer:
    """Rewrites the packets of successive sources into one continuous transport stream with one clock."""

    def __init__(self, service_name: str = "") -> None:
        self._service_name = service_name
        self._cc: dict[int, int] = {}
        self._version = 0
        self._programme = _Programme()
        self._pat = _section(
            0x00, TRANSPORT_STREAM_ID, 0, PROGRAM.to_bytes(2, "big") + (0xE000 | PMT_PID).to_bytes(2, "big")
        )
        self._sdt = self._build_sdt()
        self._out_time: int | None = None  # the output's latest picture (or frame) time
        self._out_frame = 0  # ticks between its latest two
        self._out_pcr: int | None = None  # the output's latest PCR
        self._pause = 0  # ticks the next source starts later than straight after the last one
        self.splices = 0
        self.rebases = 0  # sources (and jumps within one) put onto the output clock

    def splice(self, service_name: str | None = None, pause_s: float = 0.0) -> None:
        """The next bytes fed come from a new source (starting at its PAT and PMT).

        ``pause_s``: the output sent nothing for this long (the TV hid its channel): the clock moves on by
        as much, so a player that waited does not find the next pictures late.
        """
        self.splices += 1
        self._version = (self._version + 1) & 0x1F
        self._programme = _Programme()
        self._pause = max(0, round(pause_s * CLOCK))
        if service_name is not None:
            self._service_name = service_name
        self._sdt = self._build_sdt()

    def feed(self, data: bytes | memoryview) -> bytes:
        """The output for 188-byte-aligned input ``data`` (packets without the sync byte are skipped)."""
        out = bytearray()
        view = memoryview(data)
        for at in range(0, len(view) - PACKET + 1, PACKET):
            packet = view[at : at + PACKET]
            if packet[0] != SYNC:
                continue
            pid = (packet[1] & 0x1F) << 8 | packet[2]
            programme = self._programme
            if pid == PAT_PID:
                programme.pmt_pid = pmt_pid(packet) or programme.pmt_pid
                out += self._psi(PAT_PID, self._pat) + self._psi(SDT_PID, self._sdt)
            elif pid == programme.pmt_pid:
                section = _pmt_section_of(packet)
                if section is not None:
                    self._remap(section)
                if programme.pmt_section is not None:
                    out += self._psi(PMT_PID, programme.pmt_section)
            elif (out_pid := programme.mapping.get(pid)) is not None:
                if packet[3] & 0x10 and pid not in programme.started:
                    if not packet[1] & 0x40:
                        continue  # the tail of a PES begun before this source's join point
                    programme.started.add(pid)
                if programme.offset is None:
                    out += self._hold(programme, bytes(packet), pid, out_pid)
                else:
                    out += self._rewrite(programme, packet, pid, out_pid)
        return bytes(out)

    # -- the clock -----------------------------------------------------------------------------------

    def _hold(self, programme: _Programme, packet: bytes, pid: int, out_pid: int) -> bytes:
        """Keep a new source's packets until its first PCR and picture time say where it goes on the clock."""
        if pid == programme.pcr_pid and programme.first_pcr is None and (at := pcr_at(packet)) is not None:
            programme.first_pcr = read_pcr(packet, at)
        if pid == programme.clock_pid and programme.first_time is None:
            pts_at, dts_at = pes_times_at(packet)
            if pts_at is not None:
                programme.first_time = read_time(packet, dts_at or pts_at)
        programme.pending.append((packet, pid, out_pid))
        has_pcr = programme.first_pcr is not None or programme.pcr_pid not in programme.mapping
        if not (programme.first_time is not None and has_pcr) and len(programme.pending) < MAX_PENDING:
            return b""
        programme.offset = self._offset_for(programme.first_time, programme.first_pcr)
        programme.first_time = programme.first_pcr = None
        held, programme.pending = programme.pending, []
        out = bytearray()
        for packet, source_pid, out_pid in held:
            out += self._rewrite(programme, memoryview(packet), source_pid, out_pid)
        return bytes(out)

    def _offset_for(self, first_time: int | None, first_pcr: int | None) -> int:
        """The offset that puts a source's first picture one frame after the output's last, its PCR no earlier."""
        if self._out_time is None and self._out_pcr is None:
            return 0  # the first source: the output's clock starts as its own
        self.rebases += 1
        candidates = []
        if first_time is not None and self._out_time is not None:
            candidates.append(self._out_time + (self._out_frame or DEFAULT_FRAME) + self._pause - first_time)
        if first_pcr is not None and self._out_pcr is not None:
            candidates.append(self._out_pcr + 1 + self._pause - first_pcr)
        self._pause = 0
        if not candidates:
            return 0
        # the later of the two: neither the pictures nor the clock go back
        return max(candidates, key=lambda c: ticks_between(candidates[0], c))

    def _rewrite(self, programme: _Programme, packet: memoryview, pid: int, out_pid: int) -> bytes:
        if self._source_jumped(programme, packet, pid):
            return self._hold(programme, bytes(packet), pid, out_pid)
        out = bytearray(packet)
        out[1] = (out[1] & 0xE0) | out_pid >> 8
        out[2] = out_pid & 0xFF
        if out[3] & 0x10:  # carries a payload: the counter moves on
            out[3] = (out[3] & 0xF0) | self._next_cc(out_pid)
        else:
            out[3] = (out[3] & 0xF0) | self._cc.get(out_pid, 0)
        offset = programme.offset or 0
        if (at := pcr_at(out)) is not None:
            source = read_pcr(out, at)
            programme.last_pcr = source
            self._out_pcr = (source + offset) % (1 << 33)
            write_pcr(out, self._out_pcr, at)
        pts_at, dts_at = pes_times_at(out)
        if pts_at is not None:
            time_at = dts_at or pts_at
            source = read_time(out, time_at)
            write_time(out, pts_at, read_time(out, pts_at) + offset)
            if dts_at is not None:
                write_time(out, dts_at, source + offset)
            if pid == programme.clock_pid:
                programme.last_time = source
                now = (source + offset) % (1 << 33)
                if self._out_time is not None and 0 < (step := ticks_between(self._out_time, now)) < CLOCK:
                    self._out_frame = step
                self._out_time = now
        return bytes(out)

    def _source_jumped(self, programme: _Programme, packet: memoryview, pid: int) -> bool:
        """The source's own clock jumped (a restarted upstream, a loop point): it is put on the clock anew."""
        if pid == programme.pcr_pid and programme.last_pcr is not None and (at := pcr_at(packet)) is not None:
            step = ticks_between(programme.last_pcr, read_pcr(packet, at))
        elif pid == programme.clock_pid and programme.last_time is not None:
            pts_at, dts_at = pes_times_at(packet)
            if pts_at is None:
                return False
            step = ticks_between(programme.last_time, read_time(packet, dts_at or pts_at))
        else:
            return False
        if 0 <= step <= SOURCE_JUMP:
            return False
        programme.offset = None
        programme.last_pcr = programme.last_time = None
        return True

    # -- tables --------------------------------------------------------------------------------------

    def _next_cc(self, pid: int) -> int:
        cc = (self._cc.get(pid, 15) + 1) & 0x0F
        self._cc[pid] = cc
        return cc

    def _psi(self, pid: int, section: bytes) -> bytes:
        return _psi_packet(pid, section, self._next_cc(pid))

    def _remap(self, section: bytes) -> None:
        """Our PMT from the source's: the same streams and descriptors on our PIDs."""
        pcr_pid = (section[8] & 0x1F) << 8 | section[9]
        info_length = (section[10] & 0x0F) << 8 | section[11]
        program_info = section[12 : 12 + info_length]
        end = len(section) - 4
        at = 12 + info_length
        mapping: dict[int, int] = {}
        streams = bytearray()
        video_pid = None
        while at + 5 <= end:
            stream_type = section[at]
            pid = (section[at + 1] & 0x1F) << 8 | section[at + 2]
            es_length = (section[at + 3] & 0x0F) << 8 | section[at + 4]
            out_pid = FIRST_ES_PID + len(mapping)
            mapping[pid] = out_pid
            if stream_type in VIDEO_STREAM_TYPES and video_pid is None:
                video_pid = pid
            streams += bytes([stream_type, 0xE0 | out_pid >> 8, out_pid & 0xFF]) + section[at + 3 : at + 5 + es_length]
            at += 5 + es_length
        out_pcr = mapping.setdefault(pcr_pid, PCR_ONLY_PID) if pcr_pid != NULL_PID else NULL_PID
        body = (0xE000 | out_pcr).to_bytes(2, "big") + (0xF000 | len(program_info)).to_bytes(2, "big")
        programme = self._programme
        programme.mapping = mapping
        programme.pcr_pid = pcr_pid if pcr_pid != NULL_PID else None
        programme.clock_pid = video_pid if video_pid is not None else next(iter(mapping), None)
        programme.pmt_section = _section(0x02, PROGRAM, self._version, body + program_info + bytes(streams))

    def _build_sdt(self) -> bytes:
        name = self._service_name[:80].encode()
        descriptor = bytes([0x48, 3 + len(name) + 1, 0x01, 0, len(name) + 1, 0x15]) + name  # 0x15: UTF-8 text
        service = PROGRAM.to_bytes(2, "big") + bytes([0xFC, 0x80 | len(descriptor) >> 8, len(descriptor) & 0xFF])
        body = (1).to_bytes(2, "big") + b"\xff" + service + descriptor  # original_network_id, reserved
        return _section(0x42, TRANSPORT_STREAM_ID, self._version, body)
