"""The engine with real libVLC: first frame into our buffer, failures end in FAILED, never a hang."""

import contextlib
import socket
import threading
import time

import pytest

from stb.lineup.model import Channel
from stb.player.engine import Engine, EngineOptions, PlaybackState, media_options


def pump(engine, player, until, timeout=15.0):
    """Run the UI thread's side of the player until ``until(player)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while not engine.messages.empty():
            player.handle(engine.messages.get_nowait())
        player.poll(time.monotonic())
        if until(player):
            return
        time.sleep(0.01)
    pytest.fail(f"player stuck in {player.state} after {timeout} s (error: {player.error})")


@pytest.fixture
def engine():
    e = Engine(EngineOptions(connect_timeout_s=2.0, stall_after_s=1.0))
    yield e
    e.release()


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never answers: the stream that hangs a naive player."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/live.ts"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/dead.ts"


def channel(*urls):
    return Channel(number=1, id="one", name="One", urls=list(urls))


def test_first_frame_lands_in_our_frame_buffer(engine, clip):
    player = engine.create_player("main")
    player.tune(channel(str(clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    assert player.frames.frames >= 1
    pump(engine, player, lambda p: p.aspect is not None, timeout=5)
    assert player.aspect == pytest.approx(640 / 360, rel=0.01)
    with player.frames.front() as frame:
        pixels, fmt = frame
        assert fmt.width == 640 and fmt.pitch % 32 == 0
        assert max(pixels[: fmt.pitch * 10]) > 0  # real picture data, not an untouched buffer
    player.release()


def test_dead_url_fails_cleanly(engine):
    player = engine.create_player("main")
    player.tune(channel(closed_port_url()))
    pump(engine, player, lambda p: p.state is PlaybackState.FAILED)
    assert player.error


def test_fallback_url_is_tried(engine, clip):
    player = engine.create_player("main")
    player.tune(channel(closed_port_url(), str(clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    assert player._url_index == 1
    player.release()


def test_server_that_never_answers_times_out_to_failed(engine, silent_server):
    player = engine.create_player("main")
    started = time.monotonic()
    player.tune(channel(silent_server))
    pump(engine, player, lambda p: p.state is PlaybackState.FAILED, timeout=10)
    assert player.error == "no picture"
    assert time.monotonic() - started >= engine.options.connect_timeout_s


def test_retune_ignores_messages_of_the_previous_channel(engine, clip):
    player = engine.create_player("main")
    player.tune(channel(str(clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    player.tune(channel(closed_port_url()))
    assert player.state is PlaybackState.CONNECTING
    pump(engine, player, lambda p: p.state is PlaybackState.FAILED)
    player.release()


def test_media_options_carry_provider_headers():
    ch = Channel(
        number=1, id="x", name="x", urls=["http://h/x"],
        headers={"User-Agent": "Box/1.0", "Referer": "http://portal/"}, vlc_options=["network-caching=900"],
    )  # fmt: skip
    assert media_options(ch) == [":http-user-agent=Box/1.0", ":http-referrer=http://portal/", ":network-caching=900"]


def test_a_failed_channel_is_retried_with_back_off_and_plays_once_the_server_is_up(clip, tmp_path):
    import functools
    import http.server
    import shutil

    engine = Engine(EngineOptions(connect_timeout_s=2.0, retry_first_s=0.3, retry_max_s=1.0))
    url = closed_port_url()
    port = int(url.split(":")[2].split("/")[0])
    player = engine.create_player("main")
    server = None
    try:
        player.tune(channel(url))
        pump(engine, player, lambda p: p.state is PlaybackState.FAILED)
        pump(engine, player, lambda p: p.retries >= 2, timeout=10)
        assert player.state is PlaybackState.FAILED  # retrying is quiet: no flicker back to "Tuning…"
        shutil.copy(clip, tmp_path / "dead.ts")  # the same URL starts answering
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        pump(engine, player, lambda p: p.state is PlaybackState.PLAYING, timeout=15)
    finally:
        player.release()
        engine.release()
        if server is not None:
            server.shutdown()
            server.server_close()


def test_stream_stats_for_the_info_overlay(engine, clip):
    player = engine.create_player("main")
    player.tune(channel(str(clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    pump(engine, player, lambda p: p.stats().decoded > 10, timeout=5)
    stats = player.stats()
    assert (stats.width, stats.height) == (640, 360)
    assert stats.video_codec == "h264" and stats.audio_codec == "mp4a"
    assert stats.dropped >= 0
    player.release()


def test_audio_and_subtitle_tracks_are_listed_and_selected(engine, multitrack_clip):
    player = engine.create_player("main")
    player.tune(channel(str(multitrack_clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING and len(p.audio_tracks()) == 2)
    (first, first_name), (second, second_name) = player.audio_tracks()
    assert "English" in first_name and "German" in second_name
    assert player.adapter._mp.audio_get_track() == first
    player.select_audio_track(second)
    assert player.adapter._mp.audio_get_track() == second
    subtitles = player.subtitle_tracks()
    assert len(subtitles) == 1
    player.select_subtitle_track(subtitles[0][0])
    assert player.subtitle_track == subtitles[0][0]
    player.select_subtitle_track(-1)
    assert player.subtitle_track == -1
    player.release()


def test_the_chosen_audio_track_survives_a_reconnect(engine, multitrack_clip):
    player = engine.create_player("main")
    player.tune(channel(str(multitrack_clip)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING and len(p.audio_tracks()) == 2)
    german = player.audio_tracks()[1][0]
    player.select_audio_track(german)
    player._reconnect("test: the stream dropped")
    assert player.state is PlaybackState.STALLED
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING and p.audio_track == german)
    player.release()


def _ffmpeg(*args):
    import subprocess

    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def test_a_radio_channel_plays_without_pictures_and_is_not_taken_for_a_stall(engine, tmp_path):
    radio = tmp_path / "radio.ts"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=8", "-c:a", "aac", "-f", "mpegts", str(radio))
    player = engine.create_player("main")
    player.tune(channel(str(radio)))
    pump(engine, player, lambda p: p.state is PlaybackState.PLAYING)
    deadline = time.monotonic() + 2.5  # longer than stall_after_s (1 s here) with no picture at all
    while time.monotonic() < deadline:
        while not engine.messages.empty():
            player.handle(engine.messages.get_nowait())
        player.poll(time.monotonic())
        assert player.state is PlaybackState.PLAYING and player.reconnects == 0
        time.sleep(0.02)
    player.release()


def test_a_stream_that_keeps_ending_backs_off_instead_of_reconnecting_forever(engine, tmp_path):
    short = tmp_path / "short.ts"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1.2", "-c:v", "libx264",
            "-preset", "ultrafast", "-g", "5", "-f", "mpegts", str(short))  # fmt: skip
    player = engine.create_player("main")
    player.tune(channel(str(short)))
    pump(engine, player, lambda p: p.state is PlaybackState.FAILED, timeout=30)
    assert player.reconnects == 3 and "again and again" in player.error
    player.release()


def test_back_off_does_not_overflow_after_a_night_of_retries(engine):
    player = engine.create_player("main")
    player.tune(channel(closed_port_url()))
    player.retries = 5000  # ~40 h of 30 s retries
    pump(engine, player, lambda p: p.state is PlaybackState.FAILED)
    assert player._retry_at - time.monotonic() <= engine.options.retry_max_s
    player.release()
