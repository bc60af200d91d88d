"""The timeshift controller: where the picture is in the buffer, and what each transport key does to it.

The buffer and the player are stand-ins at the controller's two ports (the real ones are tested in
tests/relay/test_shift.py and tests/tv/test_timeshift_box.py); the clocks are injected.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stb.lineup.model import Channel
from stb.player.engine import PlaybackState
from stb.relay.shift import ShiftWindow
from stb.tv.timeshift import LIVE_DELAY_S, SPEEDS, TRICK_STEP_S, Timeshift

NEWS = Channel(number=1, id="news", name="News", urls=["http://h.test/news.ts"])


class Feeds:
    def __init__(self) -> None:
        self.watched: list[Channel | None] = []
        self.start_at, self.live_at = 100.0, 1000.0
        self.error: str | None = None

    def watch(self, channel: Channel | None) -> None:
        self.watched.append(channel)

    def window(self, channel_id: str) -> ShiftWindow | None:
        return ShiftWindow(self.start_at, self.live_at, self.error) if channel_id == NEWS.id else None

    def shift_url(self, channel_id: str, at: float) -> str:
        return f"shift:{channel_id}@{at:.1f}"

    def route(self, channel: Channel) -> Sequence[str]:
        return [f"live:{channel.id}"]


class Transport:
    def __init__(self) -> None:
        self.channel: Channel | None = NEWS
        self.state = PlaybackState.PLAYING
        self.paused = False
        self.opened: list[tuple[list[str], bool]] = []
        self.stops = 0

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def play_from(self, urls: Sequence[str], paused: bool = False, options: Sequence[str] = ()) -> None:
        self.opened.append((list(urls), paused))
        self.paused = paused

    def stop(self) -> None:
        self.stops += 1
        self.channel = None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts():
    feeds, player, clock = Feeds(), Transport(), Clock()
    shift = Timeshift(feeds, lambda: player, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now)
    shift.watch(NEWS)
    return shift, feeds, player, clock


def last_url(player: Transport) -> str:
    return player.opened[-1][0][0]


def test_pause_from_live_stands_still_then_waits_paused_at_that_moment(parts):
    shift, feeds, player, clock = parts
    assert shift.live and shift.view().behind_s == 0
    assert shift.toggle_pause() is None
    at = 1000.0 - LIVE_DELAY_S
    assert player.paused and player.opened == [([f"shift:news@{at:.1f}", "live:news"], True)]
    clock.now += 30
    feeds.live_at += 30
    view = shift.view()
    assert view.paused and view.position == at and view.behind_s == pytest.approx(30 + LIVE_DELAY_S)
    assert shift.toggle_pause() is None  # play on: the player only lets go, nothing is reopened
    assert not player.paused and len(player.opened) == 1
    clock.now += 5
    assert shift.position() == pytest.approx(at + 5)


def test_skips_stay_inside_the_buffer_and_forwards_past_live_is_live(parts):
    shift, _feeds, player, _clock = parts
    shift.skip(-60)
    assert last_url(player) == f"shift:news@{1000 - LIVE_DELAY_S - 60:.1f}" and not shift.live
    shift.skip(-10_000)
    assert last_url(player) == "shift:news@100.0"  # the buffer's first moment
    shift.skip(10)
    assert last_url(player) == "shift:news@110.0"
    shift.skip(10_000)
    assert shift.live and last_url(player) == "live:news"
    opened = len(player.opened)
    shift.skip(10)  # already live: nothing to reopen
    assert shift.live and len(player.opened) == opened


def test_winding_speeds_up_each_press_and_steps_through_keyframes_at_a_steady_cadence(parts):
    shift, _feeds, player, clock = parts
    assert shift.wind(1) == "Already live"
    shift.wind(-1)
    assert shift.speed == -SPEEDS[0]
    for expected in SPEEDS[1:]:
        shift.wind(-1)
        assert shift.speed == -expected
    shift.wind(-1)
    assert shift.speed == -SPEEDS[-1]  # the fastest stays the fastest
    shift.wind(1)
    assert shift.speed == SPEEDS[0]  # the other way starts again slowly
    shift.wind(-1)
    shift.wind(-1)
    assert shift.speed == -4
    start = shift.position()
    opened = len(player.opened)
    for _ in range(4):
        shift.step(clock.now)
        clock.now += TRICK_STEP_S
    assert len(player.opened) == opened + 4  # a keyframe every step
    assert shift.position() == pytest.approx(start - 4 * 4 * TRICK_STEP_S)


def test_rewinding_into_the_buffers_start_plays_from_there_and_winding_into_live_is_live(parts):
    shift, feeds, player, clock = parts
    shift.skip(-850)  # 50 s after the buffer's start
    shift.wind(-1)
    for _ in range(3):
        shift.wind(-1)  # ×16
    for _ in range(20):
        shift.step(clock.now)
        clock.now += TRICK_STEP_S
    assert shift.speed == 0 and not shift.live
    assert last_url(player) == "shift:news@100.0"
    shift.wind(1)
    for _ in range(5):
        shift.wind(1)  # ×32
    feeds.live_at = clock.now
    for _ in range(200):
        shift.step(clock.now)
        clock.now += TRICK_STEP_S
        feeds.live_at = clock.now
        if shift.live:
            break
    assert shift.live and shift.speed == 0 and last_url(player) == "live:news"


def test_start_over_goes_to_the_programmes_start_or_the_buffers_first_moment(parts):
    shift, _feeds, player, clock = parts
    wall_now = 1_700_000_000.0 + clock.now
    assert shift.start_over(wall_now - 600) is None
    assert last_url(player) == f"shift:news@{clock.now - 600:.1f}"
    notice = shift.start_over(wall_now - 7200)
    assert notice is not None and "last 15 min" in notice
    assert last_url(player) == "shift:news@100.0"
    assert shift.start_over(None) == "No programme information to start over from"


def test_a_zap_away_from_a_shifted_picture_stops_that_player_and_the_new_channel_is_live(parts):
    shift, feeds, player, _clock = parts
    shift.toggle_pause()
    shift.leave()
    assert player.stops == 1
    other = Channel(number=2, id="sport", name="Sport", urls=["http://h.test/sport.ts"])
    shift.watch(other)
    assert shift.live and not shift.shifted and feeds.watched[-1] == other
    assert shift.toggle_pause() == "Timeshift is not available for this channel yet"  # nothing buffered yet


def test_a_channel_the_box_cannot_buffer_says_why_at_every_key(parts):
    shift, _feeds, player, _clock = parts
    travel = Channel(number=11, id="travel", name="Travel", urls=["http://h.test/hls/travel/index.m3u8"])
    shift.watch(travel)
    hls = "No pause on this channel: it comes as HLS, and the box keeps only TS streams on disk"
    assert shift.toggle_pause() == hls and shift.skip(-10) == hls and shift.wind(-1) == hls
    assert not player.paused and player.opened == [] and shift.live  # nothing changed on screen
    shift.watch(Channel(number=12, id="cam", name="Cam", urls=["rtsp://h.test/cam"]))
    assert shift.toggle_pause().startswith("No pause on this channel: the box keeps only streams it reads over")


def test_a_stopped_buffer_says_why_and_its_end_is_not_live(parts):
    shift, feeds, player, _clock = parts
    feeds.error = "the disk holding the timeshift buffer is nearly full"
    shift.skip(-30)
    view = shift.view()
    assert view.error == feeds.error and not view.live
    shift.skip(10_000)  # the buffer's end is where it stopped, not live: it stays a moment of the buffer
    assert not shift.live and last_url(player).startswith("shift:news@")


def test_a_buffer_that_stops_is_said_once(parts):
    shift, feeds, _player, clock = parts
    assert shift.step(clock.now) is None
    feeds.error = "the disk holding the timeshift buffer (/x) is nearly full"
    assert shift.step(clock.now) == f"Timeshift stopped: {feeds.error}"
    assert shift.step(clock.now + 1) is None


def test_paused_longer_than_the_buffer_keeps_plays_on_from_its_oldest_moment(parts):
    shift, feeds, _player, clock = parts
    shift.toggle_pause()
    clock.now += 3600
    feeds.start_at, feeds.live_at = 2000.0, 4600.0  # the moment paused at was trimmed away meanwhile
    assert shift.view().position == 2000.0
    shift.toggle_pause()
    clock.now += 2
    assert shift.position() == pytest.approx(2002.0)
