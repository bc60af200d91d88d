"""The fan-out without a network: slow viewers are dropped, the loop point keeps timestamps going."""

import asyncio
import itertools
import subprocess

import pytest

from stb.headend.broadcast import BACKLOG_BYTES, Broadcast, Viewer
from stb.ts.packets import PACKET

CHUNK = b"\x47" + bytes(PACKET * 50 - 1)


def test_a_viewer_that_stops_reading_is_dropped_and_others_carry_on(tmp_path):
    async def scenario():
        broadcast = Broadcast("x", tmp_path / "unused.ts")
        stuck = broadcast.subscribe()
        reader = broadcast.subscribe()
        received = 0
        for _ in range(BACKLOG_BYTES // len(CHUNK) + 5):
            broadcast.publish(CHUNK)
            while reader.backlog:
                received += len(await reader.next())
        return stuck, reader, broadcast, received

    stuck, reader, broadcast, received = asyncio.run(scenario())
    assert stuck.dropped and stuck not in broadcast.viewers and broadcast.dropped == 1
    assert not reader.dropped and reader in broadcast.viewers
    assert received == (BACKLOG_BYTES // len(CHUNK) + 5) * len(CHUNK)


def test_a_dropped_or_closed_viewer_ends_its_stream():
    async def scenario():
        viewer = Viewer(limit_bytes=len(CHUNK) * 2)
        assert viewer.offer(CHUNK) and viewer.offer(CHUNK)
        assert not viewer.offer(CHUNK)
        dropped_next = await viewer.next()
        closing = Viewer()
        waiter = asyncio.create_task(closing.next())
        await asyncio.sleep(0)
        closing.close()
        return dropped_next, await waiter

    assert asyncio.run(scenario()) == (None, None)


@pytest.mark.slow
def test_loop_point_keeps_timestamps_going(tmp_path):
    clip = tmp_path / "short.ts"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts", str(clip)],
        check=True, timeout=60,
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
        assert not broadcast.running
        return bytes(out)

    data = asyncio.run(record(5.5))  # more than two passes through a 2 s clip
    recorded = tmp_path / "recorded.ts"
    recorded.write_bytes(data)
    pts = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0",
         str(recorded)],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    times = [float(t.strip(", ")) for t in pts.splitlines() if t.strip(", ")]
    assert times[-1] - times[0] > 3.5
    assert all(b > a for a, b in itertools.pairwise(times)), "timestamps went back at the loop point"


def test_fast_join_primes_a_viewer_and_a_live_edge_join_does_not(media_dir, tmp_path):
    from stb.headend.catalog import CHANNELS
    from stb.headend.media import clip_path

    data = clip_path(CHANNELS[1], media_dir).read_bytes()[: PACKET * 4000]

    async def scenario():
        broadcast = Broadcast("x", tmp_path / "unused.ts")
        broadcast.publish(data[: len(data) // PACKET * PACKET])
        fast, live = broadcast.subscribe(), broadcast.subscribe(fast_join=False)
        return fast.backlog, live.backlog

    fast_backlog, live_backlog = asyncio.run(scenario())
    assert fast_backlog > PACKET * 3  # PAT, PMT and the GOP so far, at once
    assert live_backlog == 0  # nothing until the next live bytes: like an ordinary server
