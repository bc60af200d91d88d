"""The stream info lines and the track choice, without libVLC."""

from stb.player.engine import PlaybackState, StreamStats
from stb.ui.streaminfo import OFF, describe, next_track

TRACKS = [(1, "English"), (2, "German")]


def test_describe_says_what_is_known_and_what_is_not():
    full = StreamStats(1280, 720, "h264", "mp4a", 2400, 1500, 3)
    assert describe(full, PlaybackState.PLAYING, 3) == [
        "Playing · 1280×720 · h264 / mp4a",
        "2.4 Mbit/s · 1500 pictures decoded · 3 lost",
        "3 channels ready for instant zaps",
    ]
    empty = StreamStats(None, None, None, None, None, 0, 0)
    assert describe(empty, PlaybackState.CONNECTING, 0) == [
        "Connecting · size unknown · codecs unknown",
        "bit rate unknown · 0 pictures decoded · 0 lost",
        "No channels pre-tuned",
    ]


def test_audio_tracks_cycle_and_wrap():
    assert next_track(TRACKS, 1, with_off=False) == (2, "German")
    assert next_track(TRACKS, 2, with_off=False) == (1, "English")
    assert next_track(TRACKS, OFF, with_off=False) == (1, "English")  # none playing yet: the first
    assert next_track(TRACKS[:1], 1, with_off=False) is None  # nothing to choose


def test_subtitles_cycle_through_off():
    assert next_track(TRACKS, OFF, with_off=True) == (1, "English")
    assert next_track(TRACKS, 2, with_off=True) == (OFF, "Off")
    assert next_track([], OFF, with_off=True) is None


def test_describe_counts_other_screens_when_the_box_relays():
    stats = StreamStats(1280, 720, "h264", "mp4a", 2400, 1500, 3)
    assert describe(stats, PlaybackState.PLAYING, 0, (0, 0))[-1] == "No other screens watching"
    assert describe(stats, PlaybackState.PLAYING, 0, (1, 1))[-1] == "1 other screen · relaying 1 channel"
    assert describe(stats, PlaybackState.PLAYING, 0, (2, 5))[-1] == "5 other screens · relaying 2 channels"
    assert describe(stats, PlaybackState.PLAYING, 0, (2, 5, 2))[-1] == "5 other screens (2 HLS) · relaying 2 channels"
