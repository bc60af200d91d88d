"""The recovery state machine with a fake adapter and a fake clock: every transition, in milliseconds.

connecting → playing ↔ stalled → failed, the fallback URLs, the back-off, the audio policy. The same
machine on real libVLC and the demo head-end is in test_engine.py and test_recovery.py.
"""

from __future__ import annotations

import pytest

from stb.player.playback import EngineOptions, PlaybackState
from stb.player.recovery import MAX_QUICK_RECONNECTS, QUICK_RECONNECT_S, STATS_INTERVAL_S, STEADY_S
from tests.player.fakes import FakeEngine, channel

OPTIONS = EngineOptions(connect_timeout_s=3.0, stall_after_s=2.0, retry_first_s=2.0, retry_max_s=30.0)


class Rig:
    """One player on a fake adapter; ``step`` is one UI frame: messages delivered, then poll."""

    def __init__(self) -> None:
        self.engine = FakeEngine(OPTIONS)
        self.clock = self.engine.clock
        self.player = self.engine.create_player("main")
        self.fake = self.engine.adapters["main"]

    def step(self, seconds: float = 0.0) -> bool:
        now = self.clock.advance(seconds)
        changed = self.engine.deliver(self.player)
        return self.player.poll(now) or changed

    def play(self) -> None:
        """The current input shows a picture that its decoder counts; the player confirms it."""
        self.fake.play()
        self.step()
        assert self.player.state is PlaybackState.PLAYING

    def keep_playing(self, seconds: float) -> None:
        """Frames every stats interval for ``seconds``: the decoder's count keeps moving."""
        for _ in range(round(seconds / STATS_INTERVAL_S)):
            self.fake.decode(video=12, audio=12)
            self.step(STATS_INTERVAL_S)
            assert self.player.state is PlaybackState.PLAYING

    def urls_opened(self) -> list[str]:
        return [url for url, _ in self.fake.opened]


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_a_tune_connects_and_plays_once_the_decoder_counts_the_picture(rig):
    rig.player.tune(channel(1, "http://h/a"))
    assert rig.player.state is PlaybackState.CONNECTING and rig.urls_opened() == ["http://h/a"]
    picture_at = rig.clock()
    rig.fake.show_picture()  # libVLC shows the picture ~0.3 s before its decoder counts it
    assert not rig.step() and rig.player.state is PlaybackState.CONNECTING
    rig.fake.decode(video=1)
    assert rig.step(0.3) and rig.player.state is PlaybackState.PLAYING
    assert rig.player.first_frame_at == picture_at  # when it was shown, not when it was confirmed
    assert rig.player.error is None and rig.player.reconnects == 0


def test_messages_of_a_replaced_input_are_ignored(rig):
    rig.player.tune(channel(1, "http://h/a"))
    old = rig.fake.generation
    rig.player.tune(channel(2, "http://h/b", "http://h/b2"))
    rig.fake.decode(video=1)
    rig.fake.post("first-frame", old)
    rig.fake.post("error", old)
    assert not rig.step()
    assert rig.player.state is PlaybackState.CONNECTING and rig.urls_opened() == ["http://h/a", "http://h/b"]


def test_no_picture_in_time_tries_the_next_url_then_fails(rig):
    rig.player.tune(channel(1, "http://h/a", "http://h/b"))
    assert not rig.step(OPTIONS.connect_timeout_s)  # the time-out is "more than"
    assert rig.urls_opened() == ["http://h/a"]
    assert not rig.step(0.1)  # a fallback URL is tried quietly: still "Tuning…"
    assert rig.player.state is PlaybackState.CONNECTING and rig.urls_opened() == ["http://h/a", "http://h/b"]
    assert rig.step(OPTIONS.connect_timeout_s + 0.1)
    assert rig.player.state is PlaybackState.FAILED and rig.player.error == "no picture"
    assert rig.fake.stops == 1 and rig.fake.url is None  # nothing held open upstream during the back-off


def test_an_error_while_connecting_moves_on_at_once_and_the_last_one_fails(rig):
    rig.player.tune(channel(1, "http://h/a", "http://h/b"))
    rig.fake.post("error")
    assert not rig.step()
    assert rig.urls_opened() == ["http://h/a", "http://h/b"] and rig.player.state is PlaybackState.CONNECTING
    rig.fake.post("ended")
    assert rig.step()
    assert rig.player.state is PlaybackState.FAILED and rig.player.error == "stream ended"


def test_a_fallback_url_that_works_plays(rig):
    rig.player.tune(channel(1, "http://h/dead", "http://h/good"))
    rig.fake.post("error")
    rig.step()
    rig.play()
    assert rig.player._url_index == 1 and rig.fake.url == "http://h/good"


def test_a_failed_channel_is_retried_with_doubling_back_off_up_to_the_cap(rig):
    rig.player.tune(channel(1, "http://h/a", "http://h/b"))
    delays = []
    for _ in range(6):
        rig.step(OPTIONS.connect_timeout_s + 0.1)  # a → b
        rig.step(OPTIONS.connect_timeout_s + 0.1)  # b failed too
        assert rig.player.state is PlaybackState.FAILED
        opened, failed_at = len(rig.fake.opened), rig.clock()
        while len(rig.fake.opened) == opened:
            assert not rig.step(0.25)  # retrying is quiet: no flicker back to "Tuning…"
            assert rig.player.state is PlaybackState.FAILED
        delays.append(rig.clock() - failed_at)
        assert rig.fake.url == "http://h/a"  # every retry starts from the first URL
    assert delays == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert rig.player.retries == 6


def test_the_back_off_does_not_overflow_after_a_night_of_retries(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.player.retries = 5000  # ~40 h of 30 s retries
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    assert rig.player.state is PlaybackState.FAILED
    rig.step(OPTIONS.retry_max_s)
    assert len(rig.fake.opened) == 2


def test_a_hidden_pre_tuned_channel_that_fails_waits_long_and_says_so_quietly(rig, caplog):
    """A broken neighbour kept ready for a zap: nobody is watching it, so it is not retried every few seconds
    and does not fill the console; a zap to it (a new tune) tries at once."""
    import logging

    from stb.player.recovery import HIDDEN_RETRY_S

    caplog.set_level(logging.INFO, logger="stb.player.recovery")
    rig.player.tune(channel(1, "http://h/a"), audible=False)
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    assert rig.player.state is PlaybackState.FAILED
    assert rig.player.retry_at is not None and rig.player.retry_at - rig.clock() >= HIDDEN_RETRY_S - 1e-6
    failed = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert failed and all(r.levelno == logging.INFO for r in failed)
    opened = len(rig.fake.opened)
    rig.step(OPTIONS.retry_max_s)
    assert len(rig.fake.opened) == opened  # the ordinary back-off would have retried by now
    rig.player.tune(channel(1, "http://h/a"), audible=True)
    assert len(rig.fake.opened) == opened + 1


def test_the_channel_on_screen_that_fails_warns(rig, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="stb.player.recovery")
    rig.player.tune(channel(1, "http://h/a"))
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    assert any(r.levelno == logging.WARNING and "unavailable" in r.getMessage() for r in caplog.records)


def test_a_retried_channel_plays_when_its_server_is_back(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    rig.step(OPTIONS.retry_first_s)
    assert rig.player.state is PlaybackState.FAILED and len(rig.fake.opened) == 2
    rig.play()
    assert rig.player.error == "no picture"  # the last failure's reason stays until the next tune


def test_an_error_while_playing_reconnects_and_shows_stalled_until_pictures_return(rig):
    rig.player.tune(channel(1, "http://h/a", "http://h/b"))
    rig.play()
    first = rig.player.first_frame_at
    rig.fake.post("error")
    assert rig.step() and rig.player.state is PlaybackState.STALLED
    assert rig.player.reconnects == 1 and rig.urls_opened() == ["http://h/a", "http://h/a"]  # same URL again
    rig.step(1.0)
    rig.play()
    assert rig.player.first_frame_at == first  # the tune's first picture, not the reconnect's


def test_no_new_pictures_while_playing_is_a_stall(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.play()
    rig.keep_playing(5.0)
    for _ in range(round(OPTIONS.stall_after_s / STATS_INTERVAL_S)):  # the count stands still, up to 2 s
        assert not rig.step(STATS_INTERVAL_S) and rig.player.state is PlaybackState.PLAYING
    assert rig.step(STATS_INTERVAL_S)  # over 2 s
    assert rig.player.state is PlaybackState.STALLED and rig.player.reconnects == 1 and len(rig.fake.opened) == 2


def test_a_stream_that_keeps_ending_fails_after_a_few_quick_reconnects(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.play()
    for n in range(1, MAX_QUICK_RECONNECTS + 1):
        rig.fake.post("ended")
        rig.step(1.0)
        assert rig.player.state is PlaybackState.STALLED and rig.player.reconnects == n
        rig.play()
    rig.fake.post("ended")
    assert rig.step(1.0)
    assert rig.player.state is PlaybackState.FAILED and rig.player.reconnects == MAX_QUICK_RECONNECTS
    assert rig.player.error == "stream ended, again and again"


def test_reconnects_far_apart_go_on_for_ever(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.play()
    for n in range(1, 2 * MAX_QUICK_RECONNECTS + 1):
        rig.keep_playing(QUICK_RECONNECT_S)
        rig.fake.post("error")
        rig.step()
        assert rig.player.state is PlaybackState.STALLED and rig.player.reconnects == n
        rig.play()


def test_the_back_off_starts_over_once_the_channel_played_steadily(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    rig.step(OPTIONS.retry_first_s)  # retry 1
    rig.play()
    rig.keep_playing(STEADY_S)
    assert rig.player.retries == 1
    rig.keep_playing(1.0)
    assert rig.player.retries == 0
    rig.fake.post("ended")
    rig.step()  # a reconnect: STALLED
    rig.step(OPTIONS.connect_timeout_s + 0.1)  # no picture: FAILED, retried after the first delay again
    assert rig.player.state is PlaybackState.FAILED
    rig.step(OPTIONS.retry_first_s)
    assert len(rig.fake.opened) == 4


def test_a_radio_channel_plays_on_its_audio_and_stalls_when_the_audio_stops(rig):
    rig.fake.video_track = False
    rig.player.tune(channel(1, "http://h/radio"))
    rig.fake.decode(audio=20)
    assert rig.step(0.1)
    assert rig.player.state is PlaybackState.PLAYING and rig.player.audio_only
    assert rig.player.first_frame_at == rig.clock()  # the moment sound was found: there is no picture
    for _ in range(10):  # 5 s without a single picture, audio moving: no stall
        rig.fake.decode(audio=20)
        rig.step(STATS_INTERVAL_S)
        assert rig.player.state is PlaybackState.PLAYING and rig.player.reconnects == 0
    for _ in range(6):  # the audio stops too
        rig.step(STATS_INTERVAL_S)
    assert rig.player.state is PlaybackState.STALLED


def test_audio_without_a_picture_on_a_channel_with_video_is_still_connecting(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.fake.decode(audio=20)  # the video track exists but nothing decodes yet
    assert not rig.step(0.6)
    assert rig.player.state is PlaybackState.CONNECTING and not rig.player.audio_only


def test_the_aspect_comes_from_the_stream_when_it_is_known(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.play()
    assert rig.player.aspect is None  # not known at the first picture (seen under load)
    rig.fake.aspect = 16 / 9
    rig.keep_playing(1.0)
    assert rig.player.aspect == 16 / 9
    rig.player.tune(channel(2, "http://h/b"))
    assert rig.player.aspect is None


def test_a_silent_tune_decodes_no_audio_until_made_audible(rig):
    rig.player.tune(channel(1, "http://h/a"), audible=False)
    assert rig.fake.opened[-1] == ("http://h/a", [":no-audio"])
    rig.play()
    rig.fake.reveal_audio([(1, "English"), (2, "Deutsch")])
    assert not rig.player.audible and rig.player.audio_track == -1
    rig.player.set_audible(True)
    assert rig.player.audio_track == 1 and rig.player.audible


def test_audible_before_the_tracks_are_known_plays_the_first_track_once_they_are(rig):
    rig.player.tune(channel(1, "http://h/a"), audible=False)
    rig.player.set_audible(True)
    assert rig.player.audible  # pending: the stream has not revealed its audio yet
    rig.fake.reveal_audio([(3, "English"), (4, "Deutsch")])
    rig.step()
    assert rig.player.audio_track == 3


def test_a_player_silenced_before_its_audio_existed_stays_silent(rig):
    rig.player.tune(channel(1, "http://h/a"))  # audible: libVLC will pick a track when the stream has one
    rig.player.set_audible(False)
    rig.fake.reveal_audio([(1, "English")])
    assert rig.fake.audio_track == 1
    rig.step()
    assert rig.player.audio_track == -1 and not rig.player.audible


def test_the_viewers_audio_track_is_kept_across_a_reconnect_but_not_a_new_tune(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.play()
    rig.fake.reveal_audio([(1, "English"), (2, "Deutsch")])
    rig.player.select_audio_track(2)
    assert rig.player.audio_track == 2
    rig.fake.post("error")
    rig.step()  # reconnect: a new media, whose default track is the first
    assert rig.player.state is PlaybackState.STALLED
    rig.step()
    rig.play()
    rig.fake.reveal_audio([(1, "English"), (2, "Deutsch")])
    assert rig.fake.audio_track == 1
    rig.step()
    assert rig.player.audio_track == 2
    rig.player.tune(channel(2, "http://h/b"))
    rig.play()
    rig.fake.reveal_audio([(1, "English"), (2, "Deutsch")])
    rig.step()
    assert rig.player.audio_track == 1


def test_tracks_volume_and_figures_pass_through_to_the_adapter(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.player.set_audio(40, True)
    assert rig.fake.volume == (40, True)
    rig.player.select_subtitle_track(5)
    assert rig.player.subtitle_track == 5 and rig.player.subtitle_tracks() == [(5, "English")]
    rig.fake.decode(video=7)
    assert rig.player.stats().decoded == 7


def test_stop_goes_idle_and_nothing_of_the_old_channel_comes_back(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    assert rig.player.state is PlaybackState.FAILED  # a retry is due in 2 s
    old = rig.fake.generation
    rig.player.stop()
    assert rig.player.state is PlaybackState.IDLE and rig.player.channel is None
    rig.fake.post("first-frame", old)
    rig.fake.post("error", old)
    assert not rig.step(OPTIONS.retry_max_s)
    assert rig.player.state is PlaybackState.IDLE and len(rig.fake.opened) == 1


def test_a_new_tune_while_failed_starts_at_once_from_a_clean_slate(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.step(OPTIONS.connect_timeout_s + 0.1)
    rig.step(OPTIONS.retry_first_s)
    rig.player.tune(channel(1, "http://h/a"))
    assert rig.player.state is PlaybackState.CONNECTING and rig.player.error is None
    assert rig.player.retries == 0 and len(rig.fake.opened) == 3


def test_release_stops_and_releases_the_adapter(rig):
    rig.player.tune(channel(1, "http://h/a"))
    rig.player.release()
    assert rig.fake.released and rig.fake.stops == 1 and rig.player.state is PlaybackState.IDLE


def test_provider_headers_and_vlc_options_go_with_every_attempt(rig):
    ch = channel(1, "http://h/a", "http://h/b").model_copy(
        update={"headers": {"User-Agent": "Box/1.0", "Referer": "http://portal/"}, "vlc_options": ["a=1"]}
    )
    rig.player.tune(ch, audible=False)
    rig.fake.post("error")
    rig.step()
    wanted = [":http-user-agent=Box/1.0", ":http-referrer=http://portal/", ":a=1", ":no-audio"]
    assert rig.fake.opened == [("http://h/a", wanted), ("http://h/b", wanted)]


def test_log_lines_name_the_stream_without_its_secrets(rig, caplog):
    caplog.set_level("INFO", logger="stb.player")
    rig.player.tune(channel(1, "http://user:pw@h/live?token=s3cret", "http://h/b?sig=s3cret"))
    rig.fake.post("error")  # the fallback URL is tried, and logged
    rig.step()
    rig.step(OPTIONS.connect_timeout_s + 0.1)  # and the channel fails
    assert rig.player.state is PlaybackState.FAILED
    assert "h/live" in caplog.text and "h/b" in caplog.text
    assert "s3cret" not in caplog.text and "pw" not in caplog.text
