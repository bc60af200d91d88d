"""HLS renditions against the real demo head-end: segments as a player needs them, zaps, sharing, stopping.

The relay runs in the test's own loop here (no box); tests/relay/test_hls_api.py plays the same
renditions through a running box's HTTP API with ffmpeg as the HLS client.
"""

from __future__ import annotations

import asyncio

import pytest

from stb.bench.pvr import continuity_errors
from stb.headend.catalog import CHANNELS
from stb.relay.hls import Rendition, Segment
from stb.relay.relay import Relay
from stb.ts.continuity import Continuity
from stb.ts.packets import PACKET, SYNC, pid_of, pmt_pid, random_access, video_pid
from tests.headend.pictures import decoded_markers
from tests.relay.test_relay import headend_clients, lookup

pytestmark = pytest.mark.slow


def check_segment(segment: Segment) -> None:
    """PAT first, then its PMT, and the first video packet is a keyframe (random access)."""
    data = segment.data
    assert len(data) % PACKET == 0 and all(data[at] == SYNC for at in range(0, len(data), PACKET))
    first, second = data[:PACKET], data[PACKET : 2 * PACKET]
    assert pid_of(first) == 0, f"segment {segment.seq} does not start with a PAT"
    assert pid_of(second) == pmt_pid(first), f"segment {segment.seq}: no PMT after the PAT"
    video = video_pid(second)
    first_video = next(data[at : at + PACKET] for at in range(0, len(data), PACKET) if pid_of(data[at:]) == video)
    assert random_access(first_video), f"segment {segment.seq} does not start at a keyframe"


def markers(data: bytes, tmp_path, name: str) -> list[int | None]:
    """The channel marker of every picture ffmpeg decodes from ``data``."""
    path = tmp_path / name
    path.write_bytes(data)
    return decoded_markers(path, timeout=60).markers


async def collect(rendition: Rendition, into: dict[int, Segment], seconds: float) -> None:
    """Keep every segment the rendition publishes during ``seconds`` (they slide out of its window later)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while loop.time() < until:
        for segment in rendition.segments:
            into.setdefault(segment.seq, segment)
        await asyncio.sleep(0.2)


def test_a_channel_rendition_cuts_true_segments_at_keyframes(headend, tmp_path):
    channel = CHANNELS[0].id

    async def scenario():
        relay = Relay(lookup(headend))
        rendition = await relay.hls.open(f"channel/{channel}", lambda: relay.open_channel(channel, True), "a")
        seen: dict[int, Segment] = {}
        await collect(rendition, seen, 9)
        playlist = rendition.playlist("?token=T")
        window = [s.seq for s in rendition.segments]
        await relay.close()
        return seen, playlist, window

    seen, playlist, window = asyncio.run(scenario())
    segments = [seen[seq] for seq in sorted(seen)]
    assert len(segments) >= 4 and [s.seq for s in segments] == list(range(segments[0].seq, segments[-1].seq + 1))
    assert 0.9 <= segments[0].duration <= 1.1, "the first segment is cut at half the target: a player starts sooner"
    for segment in segments:
        check_segment(segment)
    for segment in segments[1:]:
        assert 1.9 <= segment.duration <= 2.1, f"1 s GOPs make 2 s segments, not {segment.duration}"
    lines = playlist.splitlines()
    assert lines[:4] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{window[0]}"]
    assert [line for line in lines if not line.startswith("#")] == [f"{seq}.ts?token=T" for seq in window]
    durations = [float(line[8:-1]) for line in lines if line.startswith("#EXTINF:")]
    assert len(durations) == len(window) and all(round(d) <= 2 for d in durations)
    assert "#EXT-X-DISCONTINUITY\n" not in playlist
    shown = markers(b"".join(s.data for s in segments), tmp_path, "channel.ts")
    assert len(shown) >= 25 * 2 * (len(segments) - 1) and set(shown) == {CHANNELS[0].number}
    # read one after the other, the segments' counters go on: the tables in front of each are marked discontinuous
    read = b"".join(s.data for s in segments)
    assert Continuity().feed(read[at : at + PACKET] for at in range(0, len(read), PACKET)).errors == 0
    assert continuity_errors(tmp_path / "channel.ts") == 0  # ffmpeg's demuxer, which counts a duplicate


def test_the_live_rendition_follows_zaps_with_a_discontinuity_at_each(headend, tmp_path):
    """Three zaps on the TV: a segment never mixes channels, each channel's first one is a discontinuity."""
    order = [1, 2, 3, 1]

    async def scenario():
        relay = Relay(lookup(headend))
        relay.hls.window = 30  # keep them all in the playlist, to check its tags too
        relay.follow(CHANNELS[order[0] - 1].id)
        rendition = await relay.hls.open("live", relay.open_live, "a")
        seen: dict[int, Segment] = {}
        for number in order[1:]:
            await collect(rendition, seen, 4.5)
            relay.follow(CHANNELS[number - 1].id)
        await collect(rendition, seen, 4.5)
        playlist = rendition.playlist()
        stats = relay.stats()
        await relay.close()
        return seen, playlist, stats

    seen, playlist, stats = asyncio.run(scenario())
    segments = [seen[seq] for seq in sorted(seen)]
    assert not segments[0].discontinuity
    groups: list[list[Segment]] = []
    for segment in segments:
        check_segment(segment)
        if segment.discontinuity or not groups:
            groups.append([])
        groups[-1].append(segment)
    assert len(groups) == len(order), f"{len(groups)} runs of segments for {len(order)} channels"
    for i, (group, number) in enumerate(zip(groups, order, strict=True)):
        for segment in group:  # every picture of every segment is the channel's: none mixes two
            shown = set(markers(segment.data, tmp_path, f"{segment.seq}.ts"))
            assert shown == {number}, f"channel {i + 1} of the run ({number}): segment {segment.seq} showed {shown}"
    assert playlist.count("#EXT-X-DISCONTINUITY\n") == len(order) - 1
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:0" in playlist
    assert stats["live_clients"] == 1 and stats["hls"]["renditions"] == 1


def test_one_rendition_and_one_upstream_for_many_hls_clients(headend):
    channel = CHANNELS[3].id
    key = f"channel/{channel}"

    async def scenario():
        relay = Relay(lookup(headend))
        before = await headend_clients(headend, channel)
        renditions = await asyncio.gather(
            *(relay.hls.open(key, lambda: relay.open_channel(channel, True), f"client {n}") for n in range(5))
        )
        during = await headend_clients(headend, channel)
        stats, summary = relay.stats(), relay.summary
        await relay.close()
        return before, during, renditions, stats, summary

    before, during, renditions, stats, summary = asyncio.run(scenario())
    assert during - before == 1, "five HLS clients must cost the head-end one connection"
    assert all(r is renditions[0] for r in renditions)
    assert stats["hls"]["renditions"] == 1 and stats["hls"]["started"] == 1 and stats["hls"]["clients"] == 5
    assert stats["channels"][channel]["clients"] == 1  # the rendition is the feed's one reader
    assert (summary.upstreams, summary.clients, summary.hls_clients) == (1, 5, 5)


def test_idle_renditions_stop_and_close_stops_the_rest(headend):
    async def scenario():
        relay = Relay(lookup(headend))
        relay.hls.idle_s = 1.5
        idle = await relay.hls.open("channel/a", lambda: relay.open_channel(CHANNELS[0].id, True), "a")
        await asyncio.sleep(4)
        after_idle = (dict(relay.hls.renditions), idle.finished, len(relay.feeds[CHANNELS[0].id].viewers))
        relay.hls.idle_s = 60
        busy = await relay.hls.open("channel/b", lambda: relay.open_channel(CHANNELS[1].id, True), "a")
        again = await relay.hls.open("channel/a", lambda: relay.open_channel(CHANNELS[0].id, True), "a")
        await relay.close()
        return after_idle, busy, again, idle, relay.stats()

    (renditions, idle_finished, viewers), busy, again, idle, stats = asyncio.run(scenario())
    assert renditions == {} and idle_finished and viewers == 0, "an idle rendition kept running"
    assert busy.finished and again.finished and stats["hls"]["renditions"] == 0, "close() left a rendition running"
    # the restarted rendition went on with the numbers, behind a discontinuity: a polling player sees no step back
    assert again.segments[0].seq == idle.segmenter.next_seq and again.segments[0].discontinuity


def test_refusals_come_back_to_the_playlist_request(headend):
    async def scenario():
        relay = Relay(lookup(headend), first_data_s=3)
        outcomes = []
        for key, opener in (("channel/dead", lambda: relay.open_channel("dead-channel", True)),
                            ("channel/nope", lambda: relay.open_channel("no-such-channel", True)),
                            ("live", relay.open_live)):  # fmt: skip
            try:
                await relay.hls.open(key, opener, "a")
                outcomes.append("opened")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
        renditions = dict(relay.hls.renditions)
        await relay.close()
        return outcomes, renditions

    outcomes, renditions = asyncio.run(scenario())
    assert outcomes == ["UpstreamDown", "LookupError", "NothingLive"]
    assert renditions == {}, "a rendition that failed to start was kept"
