"""Reading and moving the clock fields of TS packets in place: PCR, and the PTS/DTS of a PES header.

What the splicer needs to put each new source onto the output's running clock: one offset added to
every PCR, PTS and DTS of a source keeps its own audio/video alignment and its buffering model,
while the output's timeline goes on without a jump. All times are 90 kHz ticks modulo 2^33 (the PCR's
27 MHz extension is left as it is: the offset is whole 90 kHz ticks).
"""

from __future__ import annotations

WRAP = 1 << 33
CLOCK = 90_000
#: PES stream ids whose header has no PTS/DTS fields (ISO 13818-1, 2.4.3.7)
_NO_HEADER_STREAMS = {0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xF2, 0xF8, 0xFF}


def ticks_between(earlier: int, later: int) -> int:
    """``later - earlier`` on the 33-bit clock, as a signed value (a wrap is not a jump)."""
    diff = (later - earlier) % WRAP
    return diff - WRAP if diff >= WRAP // 2 else diff


def pcr_at(packet: bytearray | bytes | memoryview) -> int | None:
    """Byte offset of the PCR in the adaptation field, or None when the packet carries none."""
    if packet[3] & 0x20 and packet[4] >= 7 and packet[5] & 0x10:
        return 6
    return None


def read_pcr(packet: bytearray | bytes | memoryview, at: int = 6) -> int:
    """The PCR base (90 kHz ticks)."""
    return packet[at] << 25 | packet[at + 1] << 17 | packet[at + 2] << 9 | packet[at + 3] << 1 | packet[at + 4] >> 7


def write_pcr(packet: bytearray, base: int, at: int = 6) -> None:
    """Set the PCR base; the reserved bits and the 27 MHz extension stay as they were."""
    base %= WRAP
    packet[at : at + 4] = (base >> 1).to_bytes(4, "big")
    packet[at + 4] = (base & 1) << 7 | (packet[at + 4] & 0x7F)


def pes_times_at(packet: bytearray | bytes | memoryview) -> tuple[int | None, int | None]:
    """Byte offsets of the PTS and DTS fields of the PES header this packet starts (None where absent)."""
    if not packet[1] & 0x40 or not packet[3] & 0x10:  # no PES starts here, or no payload
        return None, None
    start = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
    if start + 14 > len(packet) or packet[start : start + 3] != b"\x00\x00\x01":
        return None, None
    if packet[start + 3] in _NO_HEADER_STREAMS or packet[start + 6] & 0xC0 != 0x80:
        return None, None
    flags = packet[start + 7] >> 6
    if flags == 2:
        return start + 9, None
    if flags == 3 and start + 19 <= len(packet):
        return start + 9, start + 14
    return None, None


def read_time(packet: bytearray | bytes | memoryview, at: int) -> int:
    """A 33-bit PTS or DTS field."""
    b = packet[at : at + 5]
    return (b[0] >> 1 & 0x07) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1


def write_time(packet: bytearray, at: int, value: int) -> None:
    """Set a PTS or DTS field; its 4-bit prefix and marker bits stay as they were."""
    value %= WRAP
    packet[at] = (packet[at] & 0xF1) | (value >> 29 & 0x0E)
    packet[at + 1] = value >> 22 & 0xFF
    packet[at + 2] = (value >> 14 & 0xFE) | 1
    packet[at + 3] = value >> 7 & 0xFF
    packet[at + 4] = (value << 1 & 0xFE) | 1
