"""The relay against the real demo head-end on loopback: fan-out, slow clients, limits, the live splice."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time

import httpx
import pytest

from stb.headend.catalog import CHANNELS, demo_lineup
from stb.relay.feed import ChannelSource
from stb.relay.relay import Relay, RelayBusy, UpstreamDown
from stb.relay.upstream import UpstreamError, check_url, read_ts
from stb.ts.packets import PACKET, SYNC
from tests.headend.pictures import decoded_markers

pytestmark = pytest.mark.slow


def lookup(headend):
    lineup = demo_lineup(*headend)

    def find(channel_id: str) -> ChannelSource | None:
        channel = lineup.by_id(channel_id)
        return None if channel is None else ChannelSource(channel.id, channel.name, tuple(channel.urls))

    return find


async def take(stream, size: int, timeout: float = 20.0) -> bytes:
    got = bytearray()

    async def read() -> None:
        async for chunk in stream:
            got.extend(chunk)
            if len(got) >= size:
                return

    await asyncio.wait_for(read(), timeout)
    return bytes(got)


async def headend_clients(headend, channel_id: str) -> int:
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"http://{headend[0]}:{headend[1]}/health")).json()
    return health["channels"][channel_id]["clients"]


def test_many_clients_one_upstream_connection(headend):
    channel = CHANNELS[0].id

    async def scenario():
        relay = Relay(lookup(headend))
        before = await headend_clients(headend, channel)
        streams = [await relay.open_channel(channel) for _ in range(10)]
        data = await asyncio.gather(*(take(s, 200_000) for s in streams))
        during = await headend_clients(headend, channel)
        stats = relay.stats()
        for s in streams:
            await s.aclose()
        await relay.close()
        return before, during, data, stats

    before, during, data, stats = asyncio.run(scenario())
    assert during - before == 1, "ten relay clients must cost the head-end one connection"
    assert stats["channels"][channel]["clients"] == 10 and stats["upstreams"] == 1
    for chunk in data:
        assert len(chunk) % PACKET == 0 and chunk[0] == SYNC and chunk[PACKET] == SYNC


def test_a_client_that_stops_reading_is_dropped_and_does_not_stall_another(headend):
    channel = CHANNELS[1].id

    async def scenario():
        relay = Relay(lookup(headend), backlog_bytes=200_000)
        stuck = await relay.open_channel(channel)
        await stuck.__anext__()  # subscribed, then never read again
        reader = await relay.open_channel(channel)
        got = await take(reader, 600_000, timeout=30)  # ~5 s of the channel: far past the stuck one's backlog
        stats = relay.stats()["channels"][channel]
        await reader.aclose()
        await stuck.aclose()
        await relay.close()
        return got, stats

    got, stats = asyncio.run(scenario())
    assert len(got) >= 600_000
    assert stats["dropped_clients"] == 1 and stats["clients"] == 1


def test_dead_and_garbage_channels_fail_with_a_reason_and_unknown_ones_are_not_found(headend):
    async def scenario():
        relay = Relay(lookup(headend), first_data_s=3)
        outcomes = {}
        for channel in ("dead-channel", "garbage-channel", "no-such-channel"):
            try:
                await relay.open_channel(channel)
                outcomes[channel] = "opened"
            except (UpstreamDown, LookupError) as exc:
                outcomes[channel] = f"{type(exc).__name__}: {exc}"
        await relay.close()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes["dead-channel"].startswith("UpstreamDown") and "404" in outcomes["dead-channel"]
    assert outcomes["garbage-channel"].startswith("UpstreamDown") and "not MPEG-TS" in outcomes["garbage-channel"]
    assert outcomes["no-such-channel"].startswith("LookupError")


def test_the_clients_of_a_channel_gone_for_good_are_told_the_end_not_left_waiting(headend):
    """A head-end that sends, then disappears for good: the relay ends its clients' streams after give_up_s."""
    real = f"http://{headend[0]}:{headend[1]}/live/{CHANNELS[0].id}.ts"

    async def scenario():
        payload = b"".join([chunk async for chunk in _first(read_ts(real), 400_000)])

        async def serve_once(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n" + payload)
            await writer.drain()
            writer.close()
            server.close()  # and nobody listens any more: every retry is refused

        server = await asyncio.start_server(serve_once, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        source = ChannelSource("gone", "Gone", (f"http://127.0.0.1:{port}/gone.ts",))
        relay = Relay(lambda cid: source if cid == "gone" else None, give_up_s=1.5, stall_s=1)
        stream = await relay.open_channel("gone")
        loop = asyncio.get_running_loop()
        got, began = 0, loop.time()
        async for chunk in stream:  # ends by itself: the relay gave up
            got += len(chunk)
        ended_after = loop.time() - began
        await relay.close()
        return got, ended_after

    got, ended_after = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert got > 100_000
    assert ended_after < 10


async def _first(stream, size: int):
    got = 0
    async for chunk in stream:
        yield chunk
        got += len(chunk)
        if got >= size:
            return


def test_the_upstream_limit_refuses_a_new_channel_but_frees_an_idle_one(headend):
    async def scenario():
        relay = Relay(lookup(headend), max_upstreams=1)
        first = await relay.open_channel(CHANNELS[0].id)
        await take(first, 10_000)
        try:
            await relay.open_channel(CHANNELS[1].id)
            refused = None
        except RelayBusy as exc:
            refused = str(exc)
        await first.aclose()  # the first channel is idle now (lingering): it gives its place
        second = await relay.open_channel(CHANNELS[1].id)
        await take(second, 10_000)
        feeds = sorted(relay.feeds)
        await second.aclose()
        await relay.close()
        return refused, feeds

    refused, feeds = asyncio.run(scenario())
    assert refused is not None and "limit is 1" in refused
    assert feeds == [CHANNELS[1].id]


def test_hls_channels_are_remuxed_to_ts(headend):
    hls = next(c for c in CHANNELS if c.hls)

    async def scenario():
        relay = Relay(lookup(headend))
        stream = await relay.open_channel(hls.id)
        data = await take(stream, 100_000, timeout=30)
        await stream.aclose()
        await relay.close()
        return data

    data = asyncio.run(scenario())
    assert data[0] == SYNC and data[PACKET] == SYNC


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://x/y.ts", "/etc/passwd"])
def test_only_stream_schemes_are_followed(url):
    with pytest.raises(UpstreamError, match="does not follow"):
        check_url(url)

    async def first():
        async for _ in read_ts(url):
            return

    with pytest.raises(UpstreamError):
        asyncio.run(first())


def test_live_follows_every_zap_in_one_stream(headend, tmp_path):
    """The TV zaps five times; one live client records; a stock decoder sees each channel in turn."""
    order = [1, 2, 3, 1, 2, 4]

    async def scenario():
        relay = Relay(lookup(headend))
        relay.follow(CHANNELS[order[0] - 1].id)
        recorded = bytearray()
        live = relay.live_stream()

        async def record() -> None:
            async for chunk in live:
                recorded.extend(chunk)

        async def spliced_in(channel_id: str) -> None:
            """Until the output sends ``channel_id`` (it joins at that channel's next keyframe: a loaded machine
            may take a while), then long enough to decode its pictures."""
            deadline = time.monotonic() + 30.0  # only to catch a hang
            while relay.live_output is None or relay.live_output.showing != channel_id:
                assert time.monotonic() < deadline, f"the live stream never showed {channel_id}"
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)

        recorder = asyncio.create_task(record())
        await spliced_in(CHANNELS[order[0] - 1].id)
        for number in order[1:]:
            relay.follow(CHANNELS[number - 1].id)
            await spliced_in(CHANNELS[number - 1].id)
        stats = relay.stats()
        recorder.cancel()  # ends the generator too (its finally unsubscribes)
        with contextlib.suppress(asyncio.CancelledError):
            await recorder
        await relay.close()
        return bytes(recorded), stats

    recorded, stats = asyncio.run(scenario())
    assert stats["live_connections"] == 1 and stats["live_clients"] == 1
    path = tmp_path / "live.ts"
    path.write_bytes(recorded)
    seen = decoded_markers(path).markers
    shown = [n for i, n in enumerate(seen) if n is not None and (i == 0 or seen[i - 1] != n)]
    assert shown == order, f"the live stream showed {shown}"
    # one clock across the zaps, as libavformat reads it: every picture one frame after the one before, but
    # at a splice, where the new channel may start a little later (by at most its PCR-to-picture delay, so the
    # PCR never goes back): never back, never by more than the ~0.5 s a stock player may go without a picture
    times = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.split()  # fmt: skip
    steps = [int(b.strip(",")) - int(a.strip(",")) for a, b in itertools.pairwise(times)]
    frame = 90_000 // 25
    odd = sorted(step for step in steps if step != frame)
    assert len(odd) <= len(order) - 1, f"the pictures' times jump between splices: steps {odd[:8]} (ticks)"
    assert all(frame < step <= 90_000 // 2 for step in odd), f"the pictures' times jump: steps {odd[:8]} (ticks)"


def test_live_shows_nothing_while_the_tv_hides_the_channel_and_resumes_after(headend):
    async def scenario():
        relay = Relay(lookup(headend))
        relay.follow(CHANNELS[0].id)
        live = relay.live_stream()
        received: list[int] = []

        async def read() -> None:
            async for chunk in live:
                received.append(len(chunk))

        reader = asyncio.create_task(read())
        deadline = time.monotonic() + 30.0  # only to catch a hang
        while sum(received) < 50_000:
            assert time.monotonic() < deadline, "the live stream sent nothing"
            await asyncio.sleep(0.05)
        relay.follow(None)  # parental lock on the TV
        while relay.live_output is not None and relay.live_output.showing is not None:
            assert time.monotonic() < deadline, "the live stream never stopped showing the channel"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # what was queued for this client before the lock reaches it
        before = len(received)
        await asyncio.sleep(2.0)
        silent = len(received) == before
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        # a player reconnects after the unlock
        relay.follow(CHANNELS[0].id)
        again = await take(relay.live_stream(), 50_000)
        await relay.close()
        return silent, again

    silent, again = asyncio.run(scenario())
    assert silent, "the live stream went on while the TV hid the channel"
    assert again[0] == SYNC


def test_live_clients_share_one_splice_and_one_reader_of_the_channel(headend):
    async def scenario():
        relay = Relay(lookup(headend))
        relay.follow(CHANNELS[0].id)
        streams = [relay.live_stream() for _ in range(5)]
        data = await asyncio.gather(*(take(s, 100_000) for s in streams))
        stats, output = relay.stats(), relay.live_output
        for s in streams:
            await s.aclose()
        gone = relay.live_output
        await relay.close()
        return data, stats, output, gone

    data, stats, output, gone = asyncio.run(scenario())
    assert stats["live_clients"] == 5 and stats["live_connections"] == 5
    assert stats["channels"][CHANNELS[0].id]["clients"] == 1, "the live output is the channel's one reader"
    assert output is not None and output.splicer.splices == 1, "one splicer for every live client"
    assert gone is None, "the live output stops with its last client"
    for chunk in data:
        assert chunk[0] == SYNC and chunk[:PACKET][1:3] == b"\x40\x00", "each client starts at the PAT"


def test_the_tvs_own_channel_is_relayed_beyond_the_cap(headend):
    """`stb take` while other screens fill the cap: the channel the TV shows is never refused."""

    async def scenario():
        relay = Relay(lookup(headend), max_upstreams=1)
        relay.follow(CHANNELS[2].id)
        other = await relay.open_channel(CHANNELS[0].id)
        await take(other, 10_000)
        tvs = await relay.open_channel(CHANNELS[2].id)
        got = await take(tvs, 10_000)
        try:
            await relay.open_channel(CHANNELS[1].id)
            refused = None
        except RelayBusy as exc:
            refused = str(exc)
        for stream in (other, tvs):
            await stream.aclose()
        await relay.close()
        return got, refused

    got, refused = asyncio.run(scenario())
    assert got[0] == SYNC
    assert refused is not None and "limit is 1" in refused, "a third channel still counts against the cap"
