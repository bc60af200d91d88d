"""A TS analyser's continuity check (ISO 13818-1, 2.4.3.3): each PID's continuity counter goes up by one, modulo
16, with every packet that carries a payload.

What a recording must pass: a packet lost or doubled between the source and the disk shows as a jump. Allowed,
as the standard allows: one duplicate of a packet (same counter), a counter that does not move on packets
without payload, and any value after a packet whose adaptation field sets the discontinuity indicator. The null
PID carries no counter. Bytes that lose the 0x47 sync are counted apart (a file cut mid-packet, or not TS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PACKET = 188
NULL_PID = 0x1FFF
CHUNK = PACKET * 4096


@dataclass
class Continuity:
    """Feed packets (:meth:`add`) or a file (:func:`check_file`); read the counts."""

    packets: int = 0
    errors: int = 0  # counter jumps (packets lost, or out of order)
    lost_sync: int = 0  # 188-byte slots not starting with 0x47
    by_pid: dict[int, int] = field(default_factory=dict)  # PID → its errors, for the PIDs that have any
    _last: dict[int, tuple[int, bool]] = field(default_factory=dict)  # PID → (counter, the last was a repeat)

    def add(self, packet: bytes | memoryview) -> None:
        if packet[0] != 0x47:
            self.lost_sync += 1
            return
        self.packets += 1
        pid = (packet[1] & 0x1F) << 8 | packet[2]
        if pid == NULL_PID:
            return
        control, counter = packet[3] >> 4 & 0x3, packet[3] & 0x0F
        payload = bool(control & 0x1)
        discontinuity = bool(control & 0x2) and packet[4] > 0 and bool(packet[5] & 0x80)
        last = self._last.get(pid)
        if last is not None and not discontinuity:
            previous, repeated = last
            if not payload:
                ok = counter == previous
            elif counter == previous:
                ok = not repeated  # one duplicate is allowed, not two
            else:
                ok = counter == (previous + 1) % 16
            if not ok:
                self.errors += 1
                self.by_pid[pid] = self.by_pid.get(pid, 0) + 1
            self._last[pid] = (counter, payload and counter == previous and ok)
        else:
            self._last[pid] = (counter, False)

    def feed(self, packets: Iterable[bytes | memoryview]) -> Continuity:
        for packet in packets:
            self.add(packet)
        return self


def check_file(path: Path) -> Continuity:
    """The continuity of a whole TS file, read in chunks (a last, cut packet is left out)."""
    result = Continuity()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            view = memoryview(chunk)
            for at in range(0, len(chunk) - PACKET + 1, PACKET):
                result.add(view[at : at + PACKET])
            if len(chunk) % PACKET:  # only the file's last chunk can be short: a writer cut mid-packet
                break
    return result
