"""Fast zapping with real libVLC on the demo head-end: instant pre-tuned zaps, re-aiming, one audible player."""

from __future__ import annotations

import os
import random
import time

import pytest

from stb.bench.zap import channel_on_screen as on_screen
from stb.box import Box, ChannelChanged
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.player.engine import Engine, PlaybackState
from stb.player.zapper import Zapper

pytestmark = pytest.mark.slow


class Rig:
    """A Box driving a Zapper, as the App wires them, without pygame."""

    def __init__(self, lineup, state_dir, pretune: int) -> None:
        self.engine = Engine()
        self.box = Box(lineup, StateStore(state_dir))
        self.zapper = Zapper(self.engine, pretune, self.box.likely_next)
        self.instant: list[bool] = []
        self.box.subscribe(lambda e: isinstance(e, ChannelChanged) and self.instant.append(self.zapper.zap(e.channel)))

    def pump(self, until, timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.zapper.step(time.monotonic())
            if until():
                return
            time.sleep(0.01)
        active = self.zapper.active
        pytest.fail(f"timed out waiting for {what}: active {active.channel and active.channel.number} "
                    f"{active.state}, pre-tuned {self.zapper.pretuned}")  # fmt: skip

    def pretuned_numbers(self, playing_only: bool = True) -> set[int]:
        lineup = self.box.lineup
        return {
            lineup.by_id(cid).number
            for cid, state in self.zapper.pretuned.items()
            if not playing_only or state is PlaybackState.PLAYING
        }

    def close(self) -> None:
        self.zapper.release()
        self.engine.release()


@pytest.fixture
def rig(headend, tmp_path):
    r = Rig(demo_lineup(*headend), tmp_path, pretune=3)
    r.box.start()
    yield r
    r.close()


def test_up_zap_to_a_pretuned_channel_is_instant_and_shows_it_at_once(rig):
    rig.pump(lambda: rig.zapper.active.state is PlaybackState.PLAYING, what="channel 1")
    rig.pump(lambda: 2 in rig.pretuned_numbers(), what="channel 2 pre-tuned")
    rig.box.zap_up()
    assert rig.instant[-1] is True
    assert rig.zapper.active.channel.number == 2
    assert on_screen(rig.zapper.active) == 2  # its buffer already holds channel 2: nothing to wait for
    assert rig.zapper.active.frames.wait_for_frame(after=time.monotonic(), timeout=2.0)  # and it is live


def test_the_pretuned_set_follows_zaps(rig):
    # 99 (garbage) is channel 1's "down": pre-tuned too, failing and retrying in the background
    rig.pump(lambda: rig.pretuned_numbers(playing_only=False) == {2, 99}, what="up and down of channel 1")
    rig.box.zap_number(5)
    assert rig.instant[-1] is False
    rig.pump(lambda: rig.zapper.active.state is PlaybackState.PLAYING and on_screen(rig.zapper.active) == 5)
    rig.pump(lambda: rig.pretuned_numbers() == {6, 4, 1}, what="up, down and last of channel 5")
    rig.box.zap_last()
    assert rig.instant[-1] is True and on_screen(rig.zapper.active) == 1


def test_pretune_zero_uses_one_player(headend, tmp_path):
    r = Rig(demo_lineup(*headend), tmp_path, pretune=0)
    try:
        r.box.start()
        r.pump(lambda: r.zapper.active.state is PlaybackState.PLAYING)
        r.box.zap_up()
        r.pump(lambda: on_screen(r.zapper.active) == 2)
        assert len(r.zapper.players) == 1 and r.zapper.pretuned == {} and r.instant == [False, False]
    finally:
        r.close()


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _burst_then_settle(rig, rng, zaps: int) -> None:
    """Zap quickly (0 to 5 frames apart), then end on channel 3 and wait until re-aimed."""
    numbers = [c.number for c in rig.box.lineup.channels if c.number <= 10]
    actions = [rig.box.zap_up, rig.box.zap_down, rig.box.zap_last, lambda: rig.box.zap_number(rng.choice(numbers))]
    for _ in range(zaps):
        rng.choice(actions)()
        for _ in range(rng.randint(0, 5)):
            rig.zapper.step(time.monotonic())
            time.sleep(0.02)
    rig.box.zap_number(2)
    rig.box.zap_number(3)  # last channel: 2
    rig.pump(lambda: on_screen(rig.zapper.active) == 3, what="channel 3 after the burst")
    rig.pump(lambda: rig.pretuned_numbers() == {4, 2}, what="re-aimed after the burst")


def test_many_quick_zaps_leave_one_audible_player_on_the_right_channel_and_no_leaks(rig):
    rng = random.Random(7)
    _burst_then_settle(rig, rng, 30)
    audible = [p for p in rig.zapper.players if p.audible]  # libVLC's own word: which play an audio track
    assert audible == [rig.zapper.active]
    threads = _threads()
    _burst_then_settle(rig, rng, 30)
    assert [p for p in rig.zapper.players if p.audible] == [rig.zapper.active]
    assert len(rig.zapper.players) == 4
    assert _threads() <= threads + 4  # stopped inputs' libVLC threads are gone, not piling up


def test_zapping_to_a_pretuned_channel_that_failed_tries_it_again_at_once(rig):
    rig.pump(lambda: rig.zapper.pretuned.get("garbage-channel") is PlaybackState.FAILED, what="99 failed")
    rig.box.zap_down()  # 1 → 99, held by a pre-tuned player in back-off
    assert rig.box.current.number == 99 and rig.instant[-1] is False
    assert rig.zapper.active.state is PlaybackState.CONNECTING  # not "unavailable" for up to 30 s
