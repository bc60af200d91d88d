"""One continuous MPEG-TS made of successive sources: what `/stream/live` sends across the TV's zaps.

Stock players (VLC, mpv, ffmpeg) keep playing one HTTP connection through a change of channel when
the stream tells them what changed, the way a broadcaster's splicer does:

- every source's elementary streams are renumbered onto fixed output PIDs (0x100, 0x101…), with our
  own PAT (one programme, PMT on 0x1000) and a PMT rebuilt from the source's, its version bumped at
  each splice, so the player re-reads the streams when their codecs change;
- continuity counters are ours, continuous per output PID;
- the first packet of every PID after a splice carries the ``discontinuity_indicator``, so the
  player takes the new source's clock (PCR) and timestamps as a new time base instead of waiting
  for the old clock to catch up;
- an SDT names the service (the channel), which players show as the title.

A source must start at its PAT and PMT (the fan-out's join data does), and its PMT must fit in one
packet (programmes with a few streams do). Other PSI (the source's SDT, EIT, NIT) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stb.ts.packets import PACKET, SYNC, pmt_pid, psi_section

PAT_PID = 0x0000
SDT_PID = 0x0011
PMT_PID = 0x1000
FIRST_ES_PID = 0x0100
PCR_ONLY_PID = 0x1F00  # when the source's PCR is on a PID that carries no elementary stream
PROGRAM = 1
TRANSPORT_STREAM_ID = 1
NULL_PID = 0x1FFF


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


def _discontinuity_packet(pid: int, cc: int) -> bytes:
    """An adaptation-field-only packet that says "new time base, counters restart" for ``pid``."""
    return bytes([SYNC, pid >> 8, pid & 0xFF, 0x20 | cc, 183, 0x80]) + b"\xff" * 182


@dataclass
class _Programme:
    """What one source's PMT says, and how its PIDs map onto ours."""

    pmt_pid: int | None = None
    mapping: dict[int, int] = field(default_factory=dict)  # source PID → output PID
    pmt_section: bytes | None = None  # ours, rebuilt from the source's


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
    """Rewrites the packets of successive sources into one continuous transport stream."""

    def __init__(self, service_name: str = "") -> None:
        self._service_name = service_name
        self._cc: dict[int, int] = {}
        self._version = 0
        self._programme = _Programme()
        self._needs_discontinuity: set[int] = set()
        self._pat = _section(
            0x00, TRANSPORT_STREAM_ID, 0, PROGRAM.to_bytes(2, "big") + (0xE000 | PMT_PID).to_bytes(2, "big")
        )
        self._sdt = self._build_sdt()
        self.splices = 0

    def splice(self, service_name: str | None = None) -> None:
        """The next bytes fed come from a new source (starting at its PAT and PMT)."""
        self.splices += 1
        self._version = (self._version + 1) & 0x1F
        self._programme = _Programme()
        if service_name is not None:
            self._service_name = service_name
        self._sdt = self._build_sdt()
        self._needs_discontinuity = set(self._cc) - {PAT_PID, PMT_PID, SDT_PID}

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
                out += self._rewrite(packet, out_pid)
        return bytes(out)

    # -- private -------------------------------------------------------------------------------------

    def _next_cc(self, pid: int) -> int:
        cc = (self._cc.get(pid, 15) + 1) & 0x0F
        self._cc[pid] = cc
        return cc

    def _psi(self, pid: int, section: bytes) -> bytes:
        return _psi_packet(pid, section, self._next_cc(pid))

    def _rewrite(self, packet: memoryview, out_pid: int) -> bytes:
        out = bytearray(packet)
        out[1] = (out[1] & 0xE0) | out_pid >> 8
        out[2] = out_pid & 0xFF
        prefix = b""
        if out_pid in self._needs_discontinuity:
            self._needs_discontinuity.discard(out_pid)
            if out[3] & 0x20 and out[4] > 0:
                out[5] |= 0x80  # it has an adaptation field: flag it in place
            else:
                prefix = _discontinuity_packet(out_pid, self._cc.get(out_pid, 0))
        if out[3] & 0x10:  # carries a payload: the counter moves on
            out[3] = (out[3] & 0xF0) | self._next_cc(out_pid)
        else:
            out[3] = (out[3] & 0xF0) | self._cc.get(out_pid, 0)
        return prefix + bytes(out)

    def _remap(self, section: bytes) -> None:
        """Our PMT from the source's: the same streams and descriptors on our PIDs."""
        pcr_pid = (section[8] & 0x1F) << 8 | section[9]
        info_length = (section[10] & 0x0F) << 8 | section[11]
        program_info = section[12 : 12 + info_length]
        end = len(section) - 4
        at = 12 + info_length
        mapping: dict[int, int] = {}
        streams = bytearray()
        while at + 5 <= end:
            stream_type = section[at]
            pid = (section[at + 1] & 0x1F) << 8 | section[at + 2]
            es_length = (section[at + 3] & 0x0F) << 8 | section[at + 4]
            out_pid = FIRST_ES_PID + len(mapping)
            mapping[pid] = out_pid
            streams += bytes([stream_type, 0xE0 | out_pid >> 8, out_pid & 0xFF]) + section[at + 3 : at + 5 + es_length]
            at += 5 + es_length
        out_pcr = mapping.setdefault(pcr_pid, PCR_ONLY_PID) if pcr_pid != NULL_PID else NULL_PID
        body = (0xE000 | out_pcr).to_bytes(2, "big") + (0xF000 | len(program_info)).to_bytes(2, "big")
        programme = self._programme
        programme.mapping = mapping
        programme.pmt_section = _section(0x02, PROGRAM, self._version, body + program_info + bytes(streams))

    def _build_sdt(self) -> bytes:
        name = self._service_name[:80].encode()
        descriptor = bytes([0x48, 3 + len(name) + 1, 0x01, 0, len(name) + 1, 0x15]) + name  # 0x15: UTF-8 text
        service = PROGRAM.to_bytes(2, "big") + bytes([0xFC, 0x80 | len(descriptor) >> 8, len(descriptor) & 0xFF])
        body = (1).to_bytes(2, "big") + b"\xff" + service + descriptor  # original_network_id, reserved
        return _section(0x42, TRANSPORT_STREAM_ID, self._version, body)
