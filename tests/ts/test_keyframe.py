"""The live splice's join point: a new source joins at its next keyframe, with its PAT and PMT in front."""

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path
from stb.ts.keyframe import NextKeyframe
from stb.ts.packets import PACKET, JoinPoint, pid_of, random_access


def _keyframes(data: bytes, video: int) -> list[int]:
    return [at for at in range(0, len(data), PACKET) if pid_of(data[at : at + PACKET]) == video
            and random_access(data[at : at + PACKET])]  # fmt: skip


def test_a_source_joins_at_the_first_keyframe_after_the_live_edge_not_at_its_cached_gop(media_dir):
    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: 4000 * PACKET]
    chunk = PACKET * 70
    point = JoinPoint()
    joined_at = chunk * 20  # a viewer that subscribes here, at the live edge
    for at in range(0, joined_at, chunk):
        point.feed(data[at : at + chunk])
    gate = NextKeyframe(point.pat, point.pmt)
    out = b""
    fed = joined_at
    while not out:
        assert fed < len(data), "no keyframe found"
        out = gate.offer(data[fed : fed + chunk])
        fed += chunk
    assert gate.open and pid_of(out[:PACKET]) == 0 and out[PACKET + 4 : 2 * PACKET] == point.pmt[4:]
    video = pid_of(out[2 * PACKET : 3 * PACKET])
    assert random_access(out[2 * PACKET : 3 * PACKET])
    first_after_edge = next(at for at in _keyframes(data, video) if at >= joined_at)
    assert out[2 * PACKET :] == data[first_after_edge:fed], "it starts at the first keyframe after the live edge"
    assert gate.offer(b"later") == b"later", "once open, everything passes"


def test_a_source_without_video_opens_at_its_tables():
    pat = bytes.fromhex("474000100000b00d0001c100000001f0002ab104b2") + b"\xff" * (PACKET - 21)
    # a PMT (PID 0x1000) with one MPEG audio stream (type 0x03) on PID 0x101
    pmt = bytes.fromhex("475000100002b0120001c10000e101f0000003e101f000") + b"\x00" * 4
    pmt += b"\xff" * (PACKET - len(pmt))
    audio = b"\x47\x01\x01\x10" + bytes(PACKET - 4)
    gate = NextKeyframe()
    assert gate.offer(audio) == b""
    assert gate.offer(pat + pmt + audio) == pat + pmt + audio


def test_a_feed_that_just_started_joins_at_its_second_keyframe(media_dir):
    """Its first GOP came all at once (the upstream's own fast join): the second keyframe is the first live one."""
    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: 8000 * PACKET]
    gate = NextKeyframe(skip=1)
    out = gate.offer(data)
    video = pid_of(out[2 * PACKET : 3 * PACKET])
    assert out[2 * PACKET :] == data[_keyframes(data, video)[1] :]
