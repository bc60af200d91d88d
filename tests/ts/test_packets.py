"""The join point: a new viewer's first bytes are PAT, PMT and a keyframe, so it decodes at once."""

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path
from stb.ts.packets import PACKET, JoinPoint, pid_of, random_access
from tests.ts.probe import key_frames


def test_join_data_starts_with_pat_pmt_and_a_keyframe(media_dir, tmp_path):
    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: 400 * PACKET * 10]
    point = JoinPoint()
    for at in range(0, len(data) - PACKET * 100, PACKET * 100):  # chunk sizes as a pipe delivers them
        point.feed(data[at : at + PACKET * 100])
    joined = point.join_data()
    assert len(joined) % PACKET == 0
    assert pid_of(joined[:PACKET]) == 0
    assert joined[PACKET] == 0x47 and pid_of(joined[PACKET : 2 * PACKET]) != 0
    assert random_access(joined[2 * PACKET : 3 * PACKET])
    frames = key_frames(tmp_path / "join.ts", joined)
    assert frames and frames[0] == "1", "the first decoded frame is not a keyframe"


def test_nothing_to_join_before_the_first_keyframe():
    point = JoinPoint()
    point.feed(b"\x47\x1f\xff\x10" + bytes(PACKET - 4))  # a null packet
    assert point.join_data() == b""


def counter_jumps(data: bytes) -> list[str]:
    """Every place a PID's continuity counter does not follow on from its previous packet's."""
    last: dict[int, int] = {}
    jumps = []
    for at in range(0, len(data) - PACKET + 1, PACKET):
        packet = data[at : at + PACKET]
        pid, cc = pid_of(packet), packet[3] & 0x0F
        if packet[3] & 0x10:
            if pid in last and cc != (last[pid] + 1) & 0x0F:
                jumps.append(f"PID {pid:#x} at packet {at // PACKET}: {cc} after {last[pid]}")
            last[pid] = cc
    return jumps


def test_a_joining_viewer_sees_counters_go_on_without_a_jump_pat_and_pmt_included(media_dir):
    """The tables put in front of the GOP carry the counter before the GOP's own tables (VLC: TS discontinuity)."""
    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: 400 * PACKET * 10]
    assert not counter_jumps(data), "the clip itself has continuous counters"
    chunk = PACKET * 70
    for joined_at in range(chunk * 20, chunk * 40, chunk * 3):  # joins at several places in the GOPs
        point = JoinPoint()
        for at in range(0, joined_at, chunk):
            point.feed(data[at : at + chunk])
        viewer_sees = point.join_data() + data[joined_at : joined_at + chunk * 30]
        assert pid_of(viewer_sees[:PACKET]) == 0
        assert not counter_jumps(viewer_sees), f"joined at {joined_at}: {counter_jumps(viewer_sees)[:3]}"


def test_a_table_put_in_front_says_a_counter_discontinuity_and_still_parses(media_dir):
    from stb.ts.continuity import Continuity
    from stb.ts.packets import pmt_pid, psi_section, table_in_front

    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: 2000 * PACKET]
    pat = next(data[at : at + PACKET] for at in range(0, len(data), PACKET) if pid_of(data[at : at + PACKET]) == 0)
    empty_field = pat[:3] + bytes([pat[3] | 0x20, 0]) + pat[4:-1]  # the same table behind an empty adaptation field
    flagged = pat[:3] + bytes([pat[3] | 0x20, 1, 0x40]) + pat[4:-2]  # … behind one with another flag set
    for packet in (pat, empty_field, flagged):
        front = table_in_front(packet, 7)
        assert len(front) == PACKET and front[3] & 0x0F == 7 and front[3] & 0x30 == 0x30
        assert front[4] > 0 and front[5] & 0x80  # discontinuity_indicator
        assert psi_section(front) == psi_section(packet)[: len(psi_section(front))]
        assert pmt_pid(front) == pmt_pid(pat)
        # a checker takes any counter there, and the next copy follows on from 7
        after = bytearray(pat)
        after[3] = (after[3] & 0xF0) | 8
        assert Continuity().feed([pat, front, bytes(after)]).errors == 0
    no_room = pat[:-1] + b"\x00"  # a payload that fills the packet: only the counter changes
    assert table_in_front(no_room, 3) == no_room[:3] + bytes([(no_room[3] & 0xF0) | 3]) + no_room[4:]
