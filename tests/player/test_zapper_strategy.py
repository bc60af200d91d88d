"""The zap strategy with fake players on a fake clock: pre-tuning, re-aiming, audio, CPU budget, in milliseconds.

The same Zapper on real libVLC and the demo head-end is in test_zapper.py and test_zapper_budget.py.
"""

from __future__ import annotations

import random

from stb.player import zapper as zapper_module
from stb.player.playback import EngineOptions, PlaybackState
from stb.player.recovery import Player
from stb.player.zapper import REAIM_AFTER_S, PlaybackChanged, Zapper
from tests.player.fakes import FakeAdapter, FakeEngine, channel

FRAME_S = 1 / 30
OPTIONS = EngineOptions(connect_timeout_s=3.0, stall_after_s=2.0, retry_first_s=2.0, retry_max_s=30.0)
TRACKS = [(1, "English"), (2, "Deutsch")]


class Rig:
    """A Zapper over ten channels whose likely next are the neighbours up and down; streams work
    unless their channel is in ``dead``, and every working one reveals two audio tracks as it starts."""

    def __init__(self, pretune: int = 2, dead: tuple[int, ...] = (), cores: float = 0.2) -> None:
        self.engine = FakeEngine(OPTIONS)
        self.clock = self.engine.clock
        self.channels = {n: channel(n) for n in range(1, 11)}
        self.dead = set(dead)
        self.cores = cores  # the process's CPU load the fake CPU clock reports
        self._cpu, self._cpu_at = 0.0, self.clock()
        self._started: dict[str, int] = {}  # adapter → the generation whose stream has started
        self.zapper = Zapper(self.engine, pretune, self.likely_next, cpu_clock=self.cpu_clock, clock=self.clock)

    def likely_next(self, ch):
        up, down = ch.number % 10 + 1, (ch.number - 2) % 10 + 1
        return [self.channels[up], self.channels[down]]

    def cpu_clock(self) -> float:
        now = self.clock()
        self._cpu += self.cores * (now - self._cpu_at)
        self._cpu_at = now
        return self._cpu

    def adapter(self, player: Player) -> FakeAdapter:
        return self.engine.adapters[player.name]

    def zap(self, number: int) -> bool:
        return self.zapper.zap(self.channels[number])

    def frame(self) -> list[PlaybackChanged]:
        """One UI frame: working streams start (once per input) and keep decoding; the Zapper steps."""
        for name, fake in self.engine.adapters.items():
            if fake.url is None or int(fake.url.rsplit("/", 1)[1]) in self.dead:
                continue
            if self._started.get(name) != fake.generation:
                self._started[name] = fake.generation
                fake.play()
                fake.reveal_audio(TRACKS)
            fake.decode(video=1, audio=1)
        return self.zapper.step(self.clock.advance(FRAME_S))

    def frames(self, seconds: float) -> list[PlaybackChanged]:
        events = []
        for _ in range(round(seconds / FRAME_S)):
            events += self.frame()
        return events

    def pretuned(self, playing_only: bool = True) -> set[int]:
        return {
            int(cid[1:])
            for cid, state in self.zapper.pretuned.items()
            if not playing_only or state is PlaybackState.PLAYING
        }

    def opens(self) -> int:
        return sum(len(fake.opened) for fake in self.engine.adapters.values())

    def settle_on(self, number: int) -> None:
        self.zap(number)
        self.frames(1.0)
        assert self.zapper.active.state is PlaybackState.PLAYING
        assert self.pretuned() == {n.number for n in self.likely_next(self.channels[number])}


def audible(rig: Rig) -> list[Player]:
    return [p for p in rig.zapper.players if p.audible]


def test_the_first_zap_tunes_one_player_and_the_spares_follow_one_per_frame_once_it_plays():
    rig = Rig()
    assert rig.zap(1) is False  # nothing was pre-tuned: not instant
    active = rig.zapper.active
    assert active.channel.number == 1 and rig.opens() == 1
    assert ":no-audio" not in rig.adapter(active).opened[-1][1]
    rig.dead.add(1)
    rig.frame()  # the channel on screen shows nothing yet: nothing else is tuned, it has the network to itself
    assert rig.opens() == 1
    rig.dead.discard(1)
    rig.frame()  # playing now: one spare re-aimed…
    assert rig.opens() == 2
    rig.frame()  # …and the next in the next frame
    assert rig.opens() == 3 and rig.pretuned(playing_only=False) == {2, 10}
    rig.frames(1.0)
    assert rig.opens() == 3 and rig.pretuned() == {2, 10}
    for spare in rig.zapper.players:
        if spare is not active:  # pre-tuned players decode no audio and are muted
            assert rig.adapter(spare).opened[-1][1] == [":no-audio"] and rig.adapter(spare).volume == (0, True)


def test_spares_are_re_aimed_after_a_second_even_when_the_channel_shows_nothing():
    rig = Rig(dead=(1,))
    rig.zap(1)
    rig.frames(REAIM_AFTER_S - 0.1)
    assert rig.opens() == 1
    rig.frames(0.2)
    assert rig.pretuned(playing_only=False) == {2, 10}


def test_a_zap_to_a_pretuned_playing_channel_is_instant_and_moves_the_sound():
    rig = Rig()
    rig.settle_on(1)
    previous = rig.zapper.active
    held = rig.zapper.holder(rig.channels[2])
    opens = rig.opens()
    assert rig.zap(2) is True
    assert rig.zapper.active is held and rig.opens() == opens  # no new connection
    assert audible(rig) == [held] and held.audio_track == 1
    assert rig.adapter(held).volume == (100, False) and rig.adapter(previous).volume == (0, True)
    assert previous.audio_track == -1 and previous.channel.number == 1  # kept: it is the "last channel"


def test_a_zap_to_a_pretuned_channel_still_connecting_waits_for_it_instead_of_retuning():
    rig = Rig(dead=(2,))
    rig.zap(1)
    rig.frames(0.2)
    held = rig.zapper.holder(rig.channels[2])
    assert held is not None and held.state is PlaybackState.CONNECTING
    opens = rig.opens()
    assert rig.zap(2) is False
    assert rig.zapper.active is held and rig.opens() == opens and held.audible


def test_a_zap_to_a_pretuned_channel_that_failed_tries_it_again_at_once():
    rig = Rig(dead=(10,))
    rig.zap(1)
    rig.frames(OPTIONS.connect_timeout_s + 0.5)
    held = rig.zapper.holder(rig.channels[10])
    assert rig.zapper.pretuned["c10"] is PlaybackState.FAILED  # backing off in the background
    opened = len(rig.adapter(held).opened)
    assert rig.zap(10) is False
    assert rig.zapper.active is held and held.state is PlaybackState.CONNECTING  # not "unavailable" for 30 s
    assert len(rig.adapter(held).opened) == opened + 1 and ":no-audio" not in rig.adapter(held).opened[-1][1]


def test_a_zap_elsewhere_keeps_the_spare_likely_after_it_and_re_aims_the_rest():
    rig = Rig()
    rig.settle_on(1)  # spares hold 2 and 10
    keeper = rig.zapper.holder(rig.channels[2])
    kept_opens = len(rig.adapter(keeper).opened)
    assert rig.zap(3) is False  # 3's neighbours are 4 and 2: the spare holding 2 stays, 10's takes 3
    assert rig.zapper.holder(rig.channels[2]) is keeper and rig.zapper.holder(rig.channels[10]) is None
    rig.frames(1.0)
    assert rig.pretuned() == {2, 4} and rig.zapper.holder(rig.channels[1]) is None
    assert len(rig.adapter(keeper).opened) == kept_opens


def test_a_zap_far_away_re_aims_every_spare():
    rig = Rig()
    rig.settle_on(1)
    rig.zap(5)
    assert rig.zapper.active.channel.number == 5
    rig.frames(1.0)
    assert rig.pretuned() == {4, 6} and audible(rig) == [rig.zapper.active]


def test_no_pretuning_means_one_player_retuned_at_each_zap():
    rig = Rig(pretune=0)
    assert len(rig.zapper.players) == 1
    assert rig.zap(1) is False
    rig.frames(1.0)
    assert rig.zap(2) is False
    rig.frames(1.0)
    assert rig.zapper.pretuned == {} and rig.opens() == 2 and rig.zapper.active.channel.number == 2


def test_pretuning_off_stops_the_spares_one_per_frame_and_on_brings_them_back():
    rig = Rig()
    rig.settle_on(1)
    rig.zapper.set_pretuning(False)
    rig.frame()
    assert len(rig.pretuned(playing_only=False)) == 1
    rig.frame()
    assert rig.pretuned(playing_only=False) == set()
    assert rig.zapper.active.state is PlaybackState.PLAYING and rig.zapper.active.channel.number == 1
    rig.zapper.set_pretuning(True)
    rig.frames(1.0)
    assert rig.pretuned() == {2, 10}


def test_stop_all_stops_every_player_and_tunes_nothing_until_the_next_zap():
    rig = Rig()
    rig.settle_on(1)
    rig.zapper.stop_all()
    assert all(p.state is PlaybackState.IDLE and p.channel is None for p in rig.zapper.players)
    opens = rig.opens()
    assert rig.frames(5.0) == [] and rig.opens() == opens
    rig.zap(1)
    rig.frames(1.0)
    assert rig.zapper.active.state is PlaybackState.PLAYING and rig.pretuned() == {2, 10}


def test_step_reports_the_on_screen_players_state_changes_once_each():
    rig = Rig(dead=(1, 2, 10))
    rig.zap(1)
    assert rig.frame() == [PlaybackChanged(rig.channels[1], PlaybackState.CONNECTING, None)]
    events = rig.frames(OPTIONS.connect_timeout_s + 0.5)  # the spares fail too: not reported
    assert events == [PlaybackChanged(rig.channels[1], PlaybackState.FAILED, "no picture")]
    rig.dead.discard(1)
    events = rig.frames(OPTIONS.retry_first_s + 0.5)
    assert events == [PlaybackChanged(rig.channels[1], PlaybackState.PLAYING, "no picture")]


def test_volume_goes_to_the_player_on_screen_only():
    rig = Rig()
    rig.settle_on(1)
    rig.zapper.set_audio(40, False)
    for player in rig.zapper.players:
        expected = (40, False) if player is rig.zapper.active else (0, True)
        assert rig.adapter(player).volume == expected
    rig.zap(2)
    assert rig.adapter(rig.zapper.active).volume == (40, False)


def test_many_quick_zaps_leave_one_audible_player_on_the_right_channel():
    rig = Rig(pretune=3)
    rng = random.Random(7)
    for _ in range(200):
        rig.zap(rng.randint(1, 10))
        for _ in range(rng.randint(0, 5)):
            rig.frame()
        assert len(audible(rig)) <= 1
    rig.zap(3)
    rig.frames(1.0)
    assert rig.zapper.active.channel.number == 3 and rig.zapper.active.state is PlaybackState.PLAYING
    assert audible(rig) == [rig.zapper.active]
    assert {2, 4} <= rig.pretuned()
    assert len({p.channel.id for p in rig.zapper.players if p.channel is not None}) == sum(
        p.channel is not None for p in rig.zapper.players
    )  # no channel held twice


def test_over_the_cpu_budget_spares_are_shed_and_come_back_when_calm():
    rig = Rig(cores=0.2)
    rig.settle_on(1)
    rig.frames(zapper_module.CPU_WINDOW_S)
    assert rig.zapper.allowed == 2
    rig.cores = 1.6
    rig.frames(zapper_module.CPU_WINDOW_S + 0.5)
    assert rig.zapper.allowed == 1 and len(rig.pretuned(playing_only=False)) == 1
    rig.frames(zapper_module.CPU_WINDOW_S)
    assert rig.zapper.allowed == 0 and rig.zapper.pretuned == {}
    assert rig.zapper.active.channel.number == 1  # the channel on screen is never shed
    rig.cores = 0.1
    rig.frames(zapper_module.CPU_CALM_S - zapper_module.CPU_WINDOW_S)
    assert rig.zapper.allowed == 0  # calm must last
    rig.frames(2 * zapper_module.CPU_CALM_S)
    assert rig.zapper.allowed == 2 and rig.pretuned() == {2, 10}
