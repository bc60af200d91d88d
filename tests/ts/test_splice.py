"""The splicer: several channels one after the other in one stream that a stock decoder plays through."""

import itertools
import subprocess

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import CLIP_SECONDS, clip_path
from stb.ts.clock import pcr_at, pes_times_at, read_pcr, read_time, ticks_between
from stb.ts.packets import PACKET, pid_of
from stb.ts.splice import FIRST_ES_PID, PAT_PID, PMT_PID, SDT_PID, Splicer, crc32_mpeg
from tests.headend.pictures import decoded_markers

SECONDS_EACH = 2
SEQUENCE = [1, 2, 3, 1, 2]  # channel numbers, as a viewer zaps


def _first_seconds(path, seconds: float, length: float = CLIP_SECONDS) -> bytes:
    data = path.read_bytes()
    take = int(len(data) * seconds / length) // PACKET * PACKET
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


def test_output_uses_our_pids_with_counters_that_never_go_back(media_dir):
    """Continuity counters continue on every PID across splices (PAT and PMT included), with no discontinuity."""
    data = _spliced(media_dir)
    assert len(data) % PACKET == 0
    counters: dict[int, int] = {}
    pids = set()
    for at in range(0, len(data), PACKET):
        packet = data[at : at + PACKET]
        pid = pid_of(packet)
        pids.add(pid)
        assert not (packet[3] & 0x20 and packet[4] and packet[5] & 0x80), f"PID {pid:#x} flags a discontinuity"
        cc = packet[3] & 0x0F
        if pid in counters and packet[3] & 0x10:
            assert cc == (counters[pid] + 1) & 0x0F, f"PID {pid:#x} jumps from {counters[pid]} to {cc}"
        if packet[3] & 0x10 or pid not in counters:
            counters[pid] = cc
    assert pids == {PAT_PID, SDT_PID, PMT_PID, FIRST_ES_PID, FIRST_ES_PID + 1}


def _clock(data: bytes) -> dict[int, list[tuple[str, int]]]:
    """Per PID, every PCR, PTS and DTS in stream order."""
    found: dict[int, list[tuple[str, int]]] = {}
    for at in range(0, len(data) - PACKET + 1, PACKET):
        packet = data[at : at + PACKET]
        times = found.setdefault(pid_of(packet), [])
        if (pcr := pcr_at(packet)) is not None:
            times.append(("pcr", read_pcr(packet, pcr)))
        pts, dts = pes_times_at(packet)
        if pts is not None:
            times.append(("pts", read_time(packet, pts)))
        if dts is not None:
            times.append(("dts", read_time(packet, dts)))
    return found


def _video_times(data: bytes) -> list[int]:
    return [value for kind, value in _clock(data)[FIRST_ES_PID] if kind == "pts"]


def _pcrs(data: bytes) -> list[int]:
    return [value for times in _clock(data).values() for kind, value in times if kind == "pcr"]


@pytest.fixture(scope="module")
def far_clocks(media_dir, tmp_path_factory) -> list:
    """Channel clips whose clocks start far from the demo's (~1.4 s): 50 000 s, and 1 s before the 33-bit wrap."""
    out = tmp_path_factory.mktemp("far-clocks")
    clips = []
    for number, offset in ((4, 50_000), (5, (1 << 33) / 90_000 - 2.5)):
        clip = out / f"{number}.ts"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(clip_path(CHANNELS[number - 1], media_dir)),
             "-t", str(SECONDS_EACH + 1), "-c", "copy", "-output_ts_offset", f"{offset:.3f}",
             "-f", "mpegts", str(clip)],
            check=True, timeout=60,
        )  # fmt: skip
        clips.append((number, clip))
    return clips


def _spliced_far(media_dir, far_clocks) -> tuple[list[bytes], list[bytes]]:
    """Demo channel 1, then the far clocks, then channel 2: what the splicer made of each source, and the source."""
    splicer = Splicer("start")
    sources = [_first_seconds(clip_path(CHANNELS[0], media_dir), SECONDS_EACH)]
    sources += [_first_seconds(clip, SECONDS_EACH, SECONDS_EACH + 1) for _, clip in far_clocks]
    sources.append(_first_seconds(clip_path(CHANNELS[1], media_dir), SECONDS_EACH))
    outputs = []
    for i, data in enumerate(sources):
        if i:
            splicer.splice(f"source {i}")
        outputs.append(splicer.feed(data))
    assert splicer.rebases == len(sources) - 1
    return outputs, sources


def test_every_splice_continues_the_output_clock_one_frame_on(media_dir, far_clocks):
    """Near-identical demo clocks, one 50 000 s away, one about to wrap: the pictures' times never jump."""
    outputs, sources = _spliced_far(media_dir, far_clocks)
    out = b"".join(outputs)
    times = _video_times(out)
    assert len(times) >= len(sources) * SECONDS_EACH * 25 * 0.9
    steps = {(b - a) % (1 << 33) for a, b in itertools.pairwise(times)}
    assert steps == {90_000 // 25}, f"picture steps (ticks) in the output: {sorted(steps)[:10]}"
    pcrs = _pcrs(out)
    backwards = [(a, b) for a, b in itertools.pairwise(pcrs) if ticks_between(a, b) < 0]
    assert not backwards, f"the PCR went back: {backwards[:3]}"
    assert max(ticks_between(a, b) for a, b in itertools.pairwise(pcrs)) < 90_000 // 2


def test_a_spliced_source_keeps_its_own_audio_video_offset(media_dir, far_clocks):
    """One offset per source: every PCR, PTS and DTS of a source moves by the same number of ticks."""
    outputs, sources = _spliced_far(media_dir, far_clocks)
    for i, (out, source) in enumerate(zip(outputs, sources, strict=True)):
        ours, theirs = _clock(out), _clock(source)
        shifts = set()
        for n, pid in enumerate(sorted(p for p in theirs if theirs[p] and p not in (PAT_PID, SDT_PID))):
            mine = ours[FIRST_ES_PID + n]
            assert [k for k, _ in mine] == [k for k, _ in theirs[pid]], f"source {i}, PID {pid:#x}"
            shifts |= {(o - t) % (1 << 33) for (_, o), (_, t) in zip(mine, theirs[pid], strict=True)}
        assert len(shifts) == 1, f"source {i} moved by {sorted(shifts)[:5]}: audio and video apart"
        assert (shifts.pop() == 0) == (i == 0), f"source {i}: only the first keeps its own clock"


def test_the_service_is_named_after_the_channel(media_dir, tmp_path):
    out = tmp_path / "spliced.ts"
    out.write_bytes(_spliced(media_dir))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "program_tags=service_name", "-of", "csv=p=0", str(out)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    assert probe.rstrip(",") in {CHANNELS[n - 1].name for n in SEQUENCE}, probe
