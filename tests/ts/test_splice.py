"""The splicer: several channels one after the other in one stream that a stock decoder plays through."""

import subprocess

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import CLIP_SECONDS, clip_path
from stb.ts.packets import PACKET, pid_of
from stb.ts.splice import FIRST_ES_PID, PAT_PID, PMT_PID, SDT_PID, Splicer, crc32_mpeg
from tests.headend.pictures import decoded_markers

SECONDS_EACH = 2
SEQUENCE = [1, 2, 3, 1, 2]  # channel numbers, as a viewer zaps


def _first_seconds(path, seconds: float) -> bytes:
    data = path.read_bytes()
    take = int(len(data) * seconds / CLIP_SECONDS) // PACKET * PACKET
    return data[:take]


def _spliced(media_dir) -> bytes:
    splicer = Splicer("start")
    out = bytearray()
    for i, number in enumerate(SEQUENCE):
        channel = CHANNELS[number - 1]
        if i:
            splicer.splice(channel.name)
        data = _first_seconds(clip_path(channel, media_dir), SECONDS_EACH)
        for at in range(0, len(data), PACKET * 70):  # fed in chunks, as the fan-out delivers them
            out += splicer.feed(data[at : at + PACKET * 70])
    return bytes(out)


def test_crc_is_the_mpeg2_one():
    assert crc32_mpeg(b"123456789") == 0x0376E6E7  # the catalogued check value of CRC-32/MPEG-2


@pytest.mark.slow
def test_a_decoder_plays_through_every_splice_and_sees_each_channel(media_dir, tmp_path):
    out = tmp_path / "spliced.ts"
    out.write_bytes(_spliced(media_dir))
    seen = decoded_markers(out).markers
    order = [n for i, n in enumerate(seen) if n is not None and (i == 0 or seen[i - 1] != n)]
    assert order == SEQUENCE, f"channels decoded in order {order}"
    frames_expected = len(SEQUENCE) * SECONDS_EACH * 25
    assert len(seen) >= frames_expected * 0.9, f"only {len(seen)} of ~{frames_expected} frames decoded"


def test_output_uses_our_pids_with_continuous_counters(media_dir):
    data = _spliced(media_dir)
    assert len(data) % PACKET == 0
    counters: dict[int, int] = {}
    pids = set()
    flagged = 0
    for at in range(0, len(data), PACKET):
        packet = data[at : at + PACKET]
        pid = pid_of(packet)
        pids.add(pid)
        has_payload = packet[3] & 0x10
        discontinuity = packet[3] & 0x20 and packet[4] and packet[5] & 0x80
        flagged += bool(discontinuity)
        cc = packet[3] & 0x0F
        if pid in counters and has_payload and not discontinuity:
            assert cc == (counters[pid] + 1) & 0x0F, f"PID {pid:#x} jumps from {counters[pid]} to {cc}"
        if has_payload:
            counters[pid] = cc
    assert pids == {PAT_PID, SDT_PID, PMT_PID, FIRST_ES_PID, FIRST_ES_PID + 1}
    assert flagged >= 2 * (len(SEQUENCE) - 1), "each splice flags a discontinuity on video and audio"


def test_the_service_is_named_after_the_channel(media_dir, tmp_path):
    out = tmp_path / "spliced.ts"
    out.write_bytes(_spliced(media_dir))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "program_tags=service_name", "-of", "csv=p=0", str(out)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    assert probe.rstrip(",") in {CHANNELS[n - 1].name for n in SEQUENCE}, probe
