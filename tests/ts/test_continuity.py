"""The TS analyser's continuity check: a clean clip passes, a splice and a doubled duplicate are errors, what the
standard allows (one duplicate, no payload, the discontinuity indicator, the null PID) is not."""

from __future__ import annotations

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media
from stb.ts.continuity import Continuity, check_file


def packet(pid: int, cc: int, payload: bool = True, discontinuity: bool = False) -> bytes:
    control = (0x2 if discontinuity else 0) | (0x1 if payload else 0)
    head = bytes([0x47, pid >> 8, pid & 0xFF, control << 4 | cc])
    if discontinuity:
        return head + bytes([183, 0x80]) + bytes(182)
    return head + bytes(184)


def test_a_clean_clip_passes_and_a_splice_does_not(tmp_path):
    ensure_media()
    clip = clip_path(CHANNELS[0]).read_bytes()
    clean = check_file(clip_path(CHANNELS[0]))
    assert clean.errors == 0 and clean.packets == len(clip) // 188 and clean.lost_sync == 0
    spliced = tmp_path / "spliced.ts"
    spliced.write_bytes(clip[: 188 * 1500] + clip[188 * 2500 : 188 * 4000] + b"\x47\x00")  # and a cut last packet
    found = check_file(spliced)
    assert found.errors > 0 and found.packets == 3000 and 0x100 in found.by_pid


def test_what_the_standard_allows_and_what_it_does_not():
    allowed = [packet(0x100, 14), packet(0x100, 15), packet(0x100, 15),  # one duplicate
               packet(0x100, 0), packet(0x100, 0, payload=False),  # no payload: the counter stays
               packet(0x100, 1), packet(0x100, 9, discontinuity=True), packet(0x100, 10),  # a signalled jump
               packet(0x1FFF, 3), packet(0x1FFF, 7)]  # fmt: skip
    assert Continuity().feed(allowed).errors == 0
    doubled = [packet(0x101, 1), packet(0x101, 1), packet(0x101, 1)]  # a second duplicate
    jumped = [packet(0x102, 4), packet(0x102, 6)]  # a packet lost
    backwards = [packet(0x103, 4), packet(0x103, 3)]
    found = Continuity().feed(doubled + jumped + backwards)
    assert found.errors == 3 and found.by_pid == {0x101: 1, 0x102: 1, 0x103: 1}
    assert Continuity().feed([b"\x00" * 188, packet(0x100, 0)]).lost_sync == 1
