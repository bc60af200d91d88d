"""The timeshift buffer: segments a player can start, marks at keyframes, three limits, readers that follow live."""

from __future__ import annotations

import subprocess
import threading

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path
from stb.timeshift.buffer import SEGMENT_S, BufferStopped, Limits, TimeshiftBuffer
from stb.timeshift.reader import BufferReader
from stb.ts.packets import PACKET, pid_of, random_access
from tests.ts.probe import key_frames

CHUNK = 100 * PACKET
STEP_S = 0.1  # each chunk "arrives" this long after the one before


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def feed(buffer: TimeshiftBuffer, clock: Clock, data: bytes) -> None:
    for at in range(0, len(data) - CHUNK + 1, CHUNK):
        buffer.write(data[at : at + CHUNK])
        clock.now += STEP_S


@pytest.fixture
def clip(media_dir) -> bytes:
    return clip_path(CHANNELS[1], media_dir).read_bytes()


def read_all(reader: BufferReader) -> bytes:
    out = bytearray()
    while chunk := reader.read():
        out += chunk
    return bytes(out)


def test_segments_start_with_tables_and_a_keyframe_and_marks_are_every_keyframe(tmp_path, clip):
    clock = Clock()
    buffer = TimeshiftBuffer(tmp_path / "ts", clock=clock)
    feed(buffer, clock, clip)
    assert len(buffer.segments) >= 2 and len(buffer.marks) > len(buffer.segments)
    for segment in buffer.segments:
        head = segment.path.read_bytes()[: 3 * PACKET]
        assert pid_of(head[:PACKET]) == 0 and pid_of(head[PACKET : 2 * PACKET]) != 0
        assert random_access(head[2 * PACKET :])
    assert all(m.keyframe for m in buffer.marks)
    times = [m.at for m in buffer.marks]
    assert times == sorted(times)
    assert sum(s.size for s in buffer.segments) == buffer.bytes_total
    assert sum(s.path.stat().st_size for s in buffer.segments) == buffer.bytes_total
    buffer.close()
    assert not (tmp_path / "ts").exists()


def test_a_reader_from_any_mark_decodes_from_a_keyframe_and_follows_the_live_edge(tmp_path, clip):
    clock = Clock()
    buffer = TimeshiftBuffer(tmp_path / "ts", clock=clock)
    half = len(clip) // 2 // CHUNK * CHUNK
    feed(buffer, clock, clip[:half])
    middle = buffer.marks[len(buffer.marks) // 2]
    assert middle.offset > 0  # inside a segment: the reader puts the tables in front
    reader = BufferReader(buffer, buffer.mark_at(middle.at + 0.05))
    assert reader.position == middle.at
    first = read_all(reader)
    assert first and len(first) % PACKET == 0
    assert key_frames(tmp_path / "read.ts", first)[0] == "1"
    assert reader.read() == b""  # the live edge

    arrived = threading.Event()

    def waiter() -> None:
        if reader.wait(timeout=30):
            arrived.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    feed(buffer, clock, clip[half : half + 20 * CHUNK])
    thread.join(timeout=30)
    assert arrived.is_set()
    more = read_all(reader)
    assert len(more) == 20 * CHUNK  # exactly what came since, across segment starts too (their tables included)
    buffer.close()
    with pytest.raises(BufferStopped):
        reader.read()


def test_the_time_limit_drops_the_oldest_segments_and_their_files(tmp_path, clip):
    clock = Clock()
    buffer = TimeshiftBuffer(tmp_path / "ts", Limits(max_seconds=6.0), clock=clock)
    for _ in range(3):
        feed(buffer, clock, clip)
    span = buffer.marks[-1].at - buffer.marks[0].at
    assert span <= 6.0 + SEGMENT_S + 2.0  # a segment's length and a GOP of slack, never the whole feed
    on_disk = sorted(p.name for p in (tmp_path / "ts").iterdir())
    assert on_disk == [s.path.name for s in buffer.segments]
    assert buffer.marks[0].segment == buffer.segments[0].number


def test_the_size_limit_and_the_free_space_floor_each_trim(tmp_path, clip):
    clock = Clock()
    sized = TimeshiftBuffer(tmp_path / "a", Limits(max_bytes=len(clip) // 2), clock=clock)
    feed(sized, clock, clip * 2)
    assert sized.bytes_total <= len(clip) // 2 + max(s.size for s in sized.segments)
    free = [10**12]
    floored = TimeshiftBuffer(tmp_path / "b", Limits(free_floor_bytes=10**9), clock=clock, free_bytes=lambda _: free[0])
    feed(floored, clock, clip)
    kept = len(floored.segments)
    free[0] = 10**9 - 1  # the disk filled up: the buffer gives room back, down to the segment being written
    feed(floored, clock, clip[: 50 * CHUNK])
    assert len(floored.segments) < kept and floored.error is None


def test_a_disk_that_stays_full_stops_the_buffer_with_a_reason_and_keeps_what_it_holds(tmp_path, clip):
    clock = Clock()
    free = [10**12]
    buffer = TimeshiftBuffer(tmp_path / "ts", Limits(free_floor_bytes=10**9), clock=clock, free_bytes=lambda _: free[0])
    feed(buffer, clock, clip[: len(clip) // 2 // CHUNK * CHUNK])
    free[0] = 1000
    with pytest.raises(BufferStopped, match="nearly full"):
        feed(buffer, clock, clip)
    assert buffer.error and "nearly full" in buffer.error
    with pytest.raises(BufferStopped):
        buffer.write(clip[:CHUNK])
    reader = BufferReader(buffer, buffer.marks[0])
    assert read_all_until_stopped(reader)  # what it held still plays


def read_all_until_stopped(reader: BufferReader) -> bytes:
    out = bytearray()
    with pytest.raises(BufferStopped):
        while True:
            out += reader.read()
    return bytes(out)


def test_a_reader_left_behind_by_the_buffer_goes_on_at_the_oldest_moment_kept(tmp_path, clip):
    clock = Clock()
    buffer = TimeshiftBuffer(tmp_path / "ts", Limits(max_seconds=5.0), clock=clock)
    feed(buffer, clock, clip[: 80 * CHUNK])
    reader = BufferReader(buffer, buffer.marks[0])  # paused at the start...
    reader.read(PACKET * 10)
    feed(buffer, clock, clip * 2)  # ...for longer than the buffer holds
    rest = read_all(reader)
    assert reader.jumps == 1
    assert pid_of(rest[:PACKET]) == 0 and random_access(rest[2 * PACKET : 3 * PACKET])


def test_leftovers_of_a_crash_are_removed_at_start(tmp_path):
    directory = tmp_path / "ts"
    directory.mkdir()
    (directory / "00000007.ts").write_bytes(b"old")
    TimeshiftBuffer(directory)
    assert list(directory.iterdir()) == []


def test_radio_has_a_mark_about_every_second_and_reads_back_as_audio(tmp_path):
    radio = tmp_path / "radio.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=12", "-c:a", "mp2", "-f", "mpegts",
         str(radio)],
        check=True, timeout=60,
    )  # fmt: skip
    data = radio.read_bytes()
    clock = Clock()
    buffer = TimeshiftBuffer(tmp_path / "ts", clock=clock)
    per_chunk = len(data) / CHUNK
    step = 12.0 / per_chunk  # the clock moves as fast as the audio plays
    for at in range(0, len(data) - CHUNK + 1, CHUNK):
        buffer.write(data[at : at + CHUNK])
        clock.now += step
    assert buffer.marks and not any(m.keyframe for m in buffer.marks)
    gaps = [b.at - a.at for a, b in zip(buffer.marks, buffer.marks[1:], strict=False)]
    assert gaps and all(0.9 <= g <= 2.0 for g in gaps)
    reader = BufferReader(buffer, buffer.marks[len(buffer.marks) // 2])
    frames = key_frames(tmp_path / "read.ts", read_all(reader), stream="a")
    assert frames  # ffprobe decodes audio from the middle
