"""Pausing a player (timeshift): no stall, no time-out and no reconnect while it stands still on purpose."""

from __future__ import annotations

from stb.player.engine import EngineOptions, PlaybackState
from tests.player.fakes import FakeEngine, channel


def playing(engine: FakeEngine):
    player = engine.create_player("main")
    player.tune(channel(1))
    adapter = engine.adapters["main"]
    adapter.play()
    engine.deliver(player)
    assert player.state is PlaybackState.PLAYING
    return player, adapter


def test_a_paused_player_is_never_taken_for_a_stalled_one():
    engine = FakeEngine(EngineOptions(stall_after_s=2.0))
    player, adapter = playing(engine)
    player.pause()
    assert adapter.paused and player.paused
    for _ in range(20):  # a minute with no new picture: paused, so nothing is wrong
        player.poll(engine.clock.advance(3.0))
    assert player.state is PlaybackState.PLAYING and player.reconnects == 0 and len(adapter.opened) == 1
    player.resume()
    assert not adapter.paused
    player.poll(engine.clock.advance(1.0))
    assert player.state is PlaybackState.PLAYING  # the pause is not counted towards the stall either
    player.poll(engine.clock.advance(2.5))
    assert player.reconnects == 1  # resumed and truly stalled: recovered as ever


def test_play_from_reopens_the_same_channel_keeping_its_state_and_can_wait_paused():
    engine = FakeEngine(EngineOptions(connect_timeout_s=5.0))
    player, adapter = playing(engine)
    player.play_from(["http://box/shift/c1?at=10", "http://box/channel/c1"], paused=True)
    assert adapter.opened[-1] == ("http://box/shift/c1?at=10", [":start-paused"])
    assert player.paused and player.state is PlaybackState.PLAYING and player.channel.id == "c1"
    player.poll(engine.clock.advance(60.0))  # waiting paused for a minute is no failed connection
    assert adapter.url == "http://box/shift/c1?at=10"
    player.resume()
    player.poll(engine.clock.advance(6.0))  # then nothing comes: the next URL, as with any tune
    assert adapter.url == "http://box/channel/c1"


def test_a_new_tune_or_a_stop_ends_the_pause():
    engine = FakeEngine()
    player, adapter = playing(engine)
    player.pause()
    player.tune(channel(2))
    assert not player.paused and ":start-paused" not in adapter.opened[-1][1]
    player.pause()
    player.stop()
    assert not player.paused
