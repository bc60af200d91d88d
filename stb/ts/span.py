"""How far a TS file reaches in time: from its first PCR to its last, the clock libVLC counts a file's time in.

For a recording still being written: where its growing end is, read from the file itself (its head once, its
tail each time), so no wall clock, the recorder's or the TV's, has to agree with the stream's.
"""

from __future__ import annotations

import os
from pathlib import Path

from stb.ts.clock import CLOCK, pcr_at, read_pcr, ticks_between
from stb.ts.packets import pid_of

PACKET = 188
WINDOW = 512 * 1024  # bytes read at each end: several seconds of any SD/HD stream, and its PCRs


def _pcrs(data: bytes, pid: int | None) -> list[tuple[int, int]]:
    """(pid, PCR base) of every packet carrying a PCR in ``data`` (packet-aligned), on ``pid`` when given."""
    found = []
    for at in range(0, len(data) - PACKET + 1, PACKET):
        packet = data[at : at + PACKET]
        if packet[0] != 0x47:
            continue
        where = pcr_at(packet)
        if where is not None and (pid is None or pid_of(packet) == pid):
            found.append((pid_of(packet), read_pcr(packet, where)))
    return found


def first_pcr(path: Path) -> tuple[int, int] | None:
    """(pid, PCR base) of the file's first PCR, or None when its first ``WINDOW`` bytes carry none."""
    with open(path, "rb") as f:
        found = _pcrs(f.read(WINDOW), None)
    return found[0] if found else None


def pcr_span(path: Path, first: tuple[int, int] | None = None) -> float | None:
    """Seconds from the file's first PCR (``first``, as :func:`first_pcr` gave it) to its last; None when
    there is none yet. The tail is read from a packet boundary counted from the file's start (a writer may
    be half-way through a packet)."""
    first = first or first_pcr(path)
    if first is None:
        return None
    pid, start = first
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        offset = max(0, (size - WINDOW) // PACKET * PACKET)
        f.seek(offset)
        found = _pcrs(f.read(size - offset), pid)
    if not found:
        return None
    return max(0.0, ticks_between(start, found[-1][1]) / CLOCK)
