"""The TV's keyframe cache: kept channels are read ahead and start at a keyframe; libVLC plays them from it."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS, demo_lineup
from stb.lineup.model import Channel, Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState
from stb.relay.feed import ChannelSource
from stb.relay.local import LocalRelay
from stb.ts.packets import PACKET, pid_of, random_access
from tests.ts.probe import key_frames


def wait_for(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout  # only to catch a hang
    while not check():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


@pytest.fixture
def lineup(headend):
    """The demo line-up as an ordinary server offers it: a new client starts at the live edge, not a keyframe."""
    lineup = demo_lineup(*headend)
    channels = [c.model_copy(update={"urls": [u + "?join=live" for u in c.urls]}) for c in lineup.channels]
    return Lineup(name=lineup.name, channels=channels)


@pytest.fixture
def cache(lineup):
    def find(channel_id: str) -> ChannelSource | None:
        channel = lineup.by_id(channel_id)
        return None if channel is None else ChannelSource(channel.id, channel.name, tuple(channel.urls))

    local = LocalRelay(find, max_clients=4)
    local.start()
    yield local
    local.stop()


def sources(lineup, *numbers: int) -> list[ChannelSource]:
    channels = [lineup.channels[n - 1] for n in numbers]
    return [ChannelSource(c.id, c.name, tuple(c.urls)) for c in channels]


def first_bytes(url: str, size: int) -> bytes:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path)
        answer = conn.getresponse()
        assert answer.status == 200, answer.read()
        return answer.read(size)
    finally:
        conn.close()


def test_a_kept_channel_is_read_ahead_and_a_client_starts_at_its_keyframe(cache, lineup, tmp_path):
    cache.keep(sources(lineup, 2, 3))
    wait_for(lambda: {"sports-arena", "cinema-one"} <= set(cache.summary.ready), "the two channels cached")
    summary = cache.summary
    assert summary.channels == 2 and summary.gop_bytes > 0
    channel = lineup.channels[1]
    assert list(cache.route(channel)) == [cache.url(channel.id), *map(cache.guarded, channel.urls)]
    other = lineup.channels[4]  # not kept: read here too, a fresh feed (libVLC never reads the provider)
    assert list(cache.route(other)) == [cache.url(other.id), *map(cache.guarded, other.urls)]
    data = first_bytes(cache.url(channel.id), 400 * PACKET)
    assert pid_of(data[:PACKET]) == 0 and random_access(data[2 * PACKET : 3 * PACKET])
    frames = key_frames(tmp_path / "cached.ts", data)
    assert frames and frames[0] == "1"


def test_channels_no_longer_kept_stop_being_routed_once_they_stop(cache, lineup):
    cache.keep(sources(lineup, 2))
    wait_for(lambda: "sports-arena" in cache.summary.ready, "the channel cached")
    cache.keep([])
    wait_for(lambda: cache.summary.channels == 0, "the channel no longer kept")


def test_an_unknown_channel_is_404_and_a_dead_one_502_so_the_player_goes_on(cache):
    parts = urlsplit(cache.url("x"))
    for channel_id, status in (("nope", 404), ("dead-channel", 502)):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", f"/channel/{channel_id}")
        assert conn.getresponse().status == status
        conn.close()


def test_libvlc_plays_a_cached_channel_from_the_cache_and_shows_that_channel(cache, lineup):
    cache.keep(sources(lineup, 3))
    wait_for(lambda: "cinema-one" in cache.summary.ready, "the channel cached")
    engine = Engine(EngineOptions())
    player = engine.create_player("main")
    player.routes = cache.route
    try:
        player.tune(lineup.channels[2])
        seen = None

        def shows_it() -> bool:
            nonlocal seen
            while not engine.messages.empty():
                player.handle(engine.messages.get_nowait())
            player.poll(time.monotonic())
            if player.state is PlaybackState.PLAYING:
                with player.frames.front() as frame:
                    if frame is not None:
                        pixels, fmt = frame
                        seen = marker.decode(pixels, fmt.width, fmt.height, fmt.pitch)
            return seen == CHANNELS[2].number

        wait_for(shows_it, "channel 3's picture")
        assert player._urls[player._url_index] == cache.url("cinema-one")
    finally:
        player.release()
        engine.release()


def test_a_channel_outside_the_line_up_is_read_through_the_guard_and_a_stopped_relay_leaves_its_urls(lineup):
    local = LocalRelay(lambda _: None)
    local.start()
    channel = Channel(number=1, id="x", name="X", urls=["http://h.test/x", "udp://@239.1.1.1:5000"])
    try:
        routed = list(local.route(channel))
        assert routed[0].startswith(f"http://127.0.0.1:{local.port}/g/") and routed[0].endswith("/x")
        assert routed[1] == "udp://@239.1.1.1:5000"  # multicast has no redirects: libVLC joins it itself
    finally:
        local.stop()
    assert list(local.route(channel)) == channel.urls
