"""Where a new source joins the live splice: at its next keyframe, not at its cached GOP.

A fan-out's join data (PAT, PMT and the GOP so far) gives a new viewer a picture at once, but the
live splice must not use it: that GOP has already been played out in real time, so sending it at
once puts up to a GOP of pictures into the output faster than real time, and a stock player that
paces by the clock (VLC) queues them behind its buffer: it showed each zap later than the one
before (1.8 s, 1.9 s, 2.9 s after the key). Joining at the source's next keyframe instead keeps the
output real time: the old channel plays on until the new one's keyframe, then the new one follows
frame for frame.

A feed that has only just started is different: its upstream (a server with a fast join, like the
demo head-end or the relay itself) sends its own cached GOP at once first, so there the first
keyframe is skipped and the source joins at the second, the first that comes in real time.
"""

from __future__ import annotations

from stb.ts.packets import PACKET, SYNC, pmt_pid, random_access, video_pid


class NextKeyframe:
    """Reads a source from its live edge until a video keyframe, then passes it on from there.

    ``offer(chunk)`` returns nothing until the keyframe, then ``PAT + PMT + the data from the keyframe``
    once, then every later chunk whole. A source whose PMT names no video stream opens at its first PAT
    and PMT (radio has no keyframes to wait for).
    """

    def __init__(self, pat: bytes | None = None, pmt: bytes | None = None, skip: int = 0) -> None:
        """``pat``/``pmt``: the source's latest tables when known (from its fan-out), so a keyframe
        that comes before the next copy of them is not missed; ``skip``: keyframes to let go by first."""
        self.skip = skip
        self.pat: bytes | None = None
        self.pmt: bytes | None = None
        self._pmt_pid: int | None = None
        self._video_pid: int | None = None
        self.open = False
        for table in (pat, pmt):
            if table is not None and len(table) == PACKET:
                self._table(table)

    def offer(self, chunk: bytes) -> bytes:
        if self.open:
            return chunk
        for at in range(0, len(chunk) - PACKET + 1, PACKET):
            if chunk[at] != SYNC:
                continue
            packet = chunk[at : at + PACKET]
            pid = (packet[1] & 0x1F) << 8 | packet[2]
            if pid == 0 or pid == self._pmt_pid:
                self._table(packet)
                if self.pat is not None and self.pmt is not None and self._video_pid is None:
                    return self._open(chunk[at + PACKET :])  # no video: nothing to wait for
            elif pid == self._video_pid and self.pat is not None and self.pmt is not None and random_access(packet):
                if self.skip <= 0:
                    return self._open(chunk[at:])
                self.skip -= 1
        return b""

    def _open(self, rest: bytes) -> bytes:
        self.open = True
        assert self.pat is not None and self.pmt is not None
        return self.pat + self.pmt + rest

    def _table(self, packet: bytes) -> None:
        pid = (packet[1] & 0x1F) << 8 | packet[2]
        if pid == 0:
            found = pmt_pid(packet)
            if found is not None:
                self.pat, self._pmt_pid = bytes(packet), found
        elif pid == self._pmt_pid and packet[1] & 0x40:
            self.pmt = bytes(packet)
            self._video_pid = video_pid(packet)
