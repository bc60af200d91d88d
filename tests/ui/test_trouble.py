"""The trouble card: steady (no flicker on a stalling stream) and raised for a frozen picture too."""

from __future__ import annotations

from stb.player.engine import PlaybackState
from stb.ui.trouble import CLEAR_AFTER_S, FAILED, FROZEN, FROZEN_S, SHOW_AFTER_S, STALLED, TroubleWatch

PLAYING, STALLING = PlaybackState.PLAYING, PlaybackState.STALLED


def test_a_failed_channel_shows_at_once_and_a_short_stall_not_at_all():
    watch = TroubleWatch()
    assert watch.feed("a", PlaybackState.FAILED, 0, 0.0) == FAILED
    watch = TroubleWatch()
    watch.feed("a", PLAYING, 10, 0.0)
    assert watch.feed("a", STALLING, 10, 1.0) is None
    assert watch.feed("a", PLAYING, 11, 1.0 + SHOW_AFTER_S / 2) is None  # back before the card was due


def test_a_stalling_stream_keeps_its_card_between_short_recoveries():
    watch, t, frames, seen = TroubleWatch(), 0.0, 1, []
    for _ in range(5):  # stall 2 s, play 1 s, again: the old screen blinked at every turn
        for _ in range(20):
            t += 0.1
            seen.append(watch.feed("a", STALLING, frames, t))
        for _ in range(10):
            t += 0.1
            frames += 1
            seen.append(watch.feed("a", PLAYING, frames, t))
    shown = [k for k in seen if k is not None]
    first = seen.index(STALLED)
    assert set(shown) == {STALLED} and all(k == STALLED for k in seen[first:])  # steady once shown
    for _ in range(int(CLEAR_AFTER_S * 10) + 2):
        t += 0.1
        frames += 1
        last = watch.feed("a", PLAYING, frames, t)
    assert last is None  # pictures flowing long enough: the card goes


def test_a_picture_that_stops_while_playing_is_flagged_and_a_zap_clears_it():
    watch = TroubleWatch()
    watch.feed("a", PLAYING, 5, 0.0)
    assert watch.feed("a", PLAYING, 5, FROZEN_S - 0.5) is None
    assert watch.feed("a", PLAYING, 5, FROZEN_S + 0.1) == FROZEN
    assert watch.feed("b", PlaybackState.CONNECTING, 0, FROZEN_S + 0.2) is None  # another channel: clean slate
    assert watch.feed("b", PLAYING, 0, FROZEN_S + 20) is None  # no picture yet is not a frozen one
