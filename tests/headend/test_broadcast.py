"""The fan-out without a network: loop continuity through ffmpeg, and slow viewers being dropped."""

import asyncio
import itertools
import subprocess

import pytest

from stb.headend.broadcast import QUEUE_CHUNKS, Broadcast
from stb.headend.tspackets import PACKET


def test_a_viewer_that_stops_reading_is_dropped_and_others_carry_on(tmp_path):
    async def scenario():
        broadcast = Broadcast("x", tmp_path / "unused.ts")
        stuck = broadcast.subscribe()
        reader = broadcast.subscribe()
        chunk = b"\x47" + bytes(PACKET - 1)
        for _ in range(QUEUE_CHUNKS + 5):
            broadcast._publish(chunk)
            while not reader.queue.empty():
                reader.queue.get_nowait()
        return stuck, reader, broadcast

    stuck, reader, broadcast = asyncio.run(scenario())
    assert stuck.dropped and stuck not in broadcast.viewers
    assert not reader.dropped and reader in broadcast.viewers


@pytest.mark.slow
def test_loop_point_keeps_timestamps_going(tmp_path):
    clip = tmp_path / "short.ts"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts", str(clip)],
        check=True,
    )  # fmt: skip

    async def record(seconds: float) -> bytes:
        broadcast = Broadcast("short", clip)
        await broadcast.start()
        out = bytearray()

        async def collect():
            async for chunk in broadcast.stream():
                out.extend(chunk)

        task = asyncio.create_task(collect())
        await asyncio.sleep(seconds)
        task.cancel()
        await broadcast.stop()
        return bytes(out)

    data = asyncio.run(record(5.5))  # more than two passes through a 2 s clip
    recorded = tmp_path / "recorded.ts"
    recorded.write_bytes(data)
    pts = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0",
         str(recorded)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    times = [float(t.strip(", ")) for t in pts.splitlines() if t.strip(", ")]
    assert times[-1] - times[0] > 3.5
    assert all(b > a for a, b in itertools.pairwise(times)), "timestamps went back at the loop point"
