"""The TV's guard: libVLC reads every http(s) URL through it; redirects and HLS playlists' URIs are checked."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from stb.headend import marker
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Channel, Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState
from stb.relay.feed import ChannelSource
from stb.relay.local import LocalRelay

SEGMENT = b"G" + bytes(187)  # what the hostile server's "secret" answers; never to reach libVLC


@contextlib.contextmanager
def server(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server answering each path with (status, headers, body); yields (port, paths asked)."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            status, headers, body = routes.get(self.path, (404, {}, b""))
            wanted = self.headers.get("Range", "")
            if status == 200 and "Accept-Ranges" in headers and wanted.startswith("bytes="):
                start = int(wanted[6:].partition("-")[0])
                status, headers = 206, {**headers, "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
                body = body[start:]
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value.replace("PORT", str(httpd.server_address[1])))
            self.end_headers()
            self.wfile.write(body.replace(b"PORT", str(httpd.server_address[1]).encode()))

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1], asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", parts.path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.getheader("Content-Type") or "", answer.read()
    finally:
        conn.close()


def playlist(*lines: str) -> tuple[int, dict[str, str], bytes]:
    body = "\n".join(["#EXTM3U", "#EXT-X-TARGETDURATION:2", *lines]) + "\n"
    return 200, {"Content-Type": "text/plain"}, body.encode()  # a careless type: the guard reads the #EXTM3U


def redirect(to: str) -> tuple[int, dict[str, str], bytes]:
    return 302, {"Location": to}, b""


ROUTES = {
    "/to-file": redirect("file:///etc/passwd"),
    "/to-FILE": redirect("FILE:///etc/hostname"),
    "/to-loopback": redirect("//127.0.0.1:PORT/secret"),
    "/to-link-local": redirect("http://169.254.0.1:9/latest/meta-data/"),
    "/to-own-host": redirect("/stream"),  # the named host itself: followed
    "/stream": (200, {"Content-Type": "video/mp2t"}, SEGMENT * 4),
    "/secret": (200, {"Content-Type": "video/mp2t"}, SEGMENT),
    "/clip.mp4": (200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, bytes(range(256)) * 4),
    "/master.m3u8": playlist("#EXT-X-STREAM-INF:BANDWIDTH=1000", "low/index.m3u8"),
    "/low/index.m3u8": playlist('#EXT-X-KEY:METHOD=AES-128,URI="../key"', "#EXTINF:2,", "seg1.ts"),
    "/low/seg1.ts": (200, {"Content-Type": "video/mp2t"}, SEGMENT * 2),
    "/key": (200, {}, b"k" * 16),
    "/file-segment.m3u8": playlist("#EXTINF:2,", "file:///etc/passwd"),
    "/loopback-segment.m3u8": playlist("#EXTINF:2,", "http://127.0.0.1:PORT/secret"),
    "/loopback-key.m3u8": playlist('#EXT-X-KEY:METHOD=AES-128,URI="http://127.0.0.1:PORT/secret"', "seg1.ts"),
}


@pytest.fixture
def local() -> Iterator[LocalRelay]:
    relay = LocalRelay(lambda _: None)
    relay.start()
    yield relay
    relay.stop()


def guarded(local: LocalRelay, url: str) -> str:
    routed = local.route(Channel(number=1, id="stream.x", name="X", urls=[url]))
    assert routed[0].startswith(f"http://127.0.0.1:{local.port}/g/"), routed
    return routed[0]


@pytest.mark.parametrize("path", ["/to-file", "/to-FILE", "/to-loopback", "/to-link-local"])
def test_a_redirect_to_a_file_loopback_or_link_local_is_refused_and_never_followed(local, path):
    with server(ROUTES) as (port, asked):
        # named as "localhost": 127.0.0.1 is then a host the server sent the box to, not one it was given
        status, _, body = get(guarded(local, f"http://localhost:{port}{path}"))
        assert status == 403, body
        assert b"which the box does not open" in body
        assert "/secret" not in asked
    assert local.guard.refused and "does not open" in local.guard.refused[-1]


def test_a_redirect_within_the_named_host_is_followed_and_the_bytes_pass_through_as_they_are(local):
    with server(ROUTES) as (port, asked):
        status, kind, body = get(guarded(local, f"http://127.0.0.1:{port}/to-own-host"))
    assert (status, kind, body) == (200, "video/mp2t", SEGMENT * 4)
    assert asked == ["/to-own-host", "/stream"]


def test_a_range_libvlc_asks_for_is_passed_on_so_it_can_seek_in_a_flung_file(local):
    with server(ROUTES) as (port, _):
        url = guarded(local, f"http://127.0.0.1:{port}/clip.mp4")
        status, kind, body = get(url, {"Range": "bytes=1000-"})
    assert (status, kind, body) == (206, "video/mp4", (bytes(range(256)) * 4)[1000:])


def test_an_hls_playlist_names_only_guard_urls_and_each_one_reads_through_the_guard(local):
    with server(ROUTES) as (port, asked):
        status, kind, master = get(guarded(local, f"http://localhost:{port}/master.m3u8"))
        assert status == 200 and kind == "application/vnd.apple.mpegurl"
        variant = master.decode().splitlines()[-1]
        assert variant.startswith(local.guard.base + "/g/") and variant.endswith("/index.m3u8")
        status, _, media = get(variant)
        lines = media.decode().splitlines()
        key_uri = lines[2].partition('URI="')[2].rstrip('"')
        assert lines[2].startswith("#EXT-X-KEY:METHOD=AES-128,URI=") and key_uri.startswith(local.guard.base)
        assert lines[-1].startswith(local.guard.base) and lines[-1].endswith("/seg1.ts")
        assert get(lines[-1])[2] == SEGMENT * 2
        assert get(key_uri)[2] == b"k" * 16
        assert asked == ["/master.m3u8", "/low/index.m3u8", "/low/seg1.ts", "/key"]


@pytest.mark.parametrize("path", ["/file-segment.m3u8", "/loopback-segment.m3u8", "/loopback-key.m3u8"])
def test_an_hls_playlist_naming_a_file_or_loopback_is_refused_whole(local, path):
    with server(ROUTES) as (port, asked):
        status, _, body = get(guarded(local, f"http://localhost:{port}{path}"))
        assert status == 403 and b" names " in body and b"does not open" in body, body
        assert "/secret" not in asked


def test_a_url_the_box_did_not_register_is_404(local):
    assert get(f"http://127.0.0.1:{local.port}/g/{'0' * 24}/x.ts")[0] == 404


def test_routes_give_libvlc_loopback_urls_only_except_multicast_and_files(headend):
    lineup = demo_lineup(*headend)
    multicast = Channel(number=50, id="mc", name="MC", urls=["udp://@239.1.1.1:5000", "http://h.test/mc.ts"])
    lineup = Lineup(name="t", channels=[*lineup.channels, multicast])

    def source(channel_id: str) -> ChannelSource | None:
        channel = lineup.by_id(channel_id)
        return None if channel is None else ChannelSource(channel.id, channel.name, tuple(channel.urls))

    local = LocalRelay(source)
    local.start()
    try:
        ts, hls = lineup.channels[0], lineup.by_id("travel-hls")
        assert hls is not None
        assert list(local.route(ts)) == [local.url(ts.id), local.guarded(ts.urls[0])]
        assert list(local.route(hls)) == [local.guarded(hls.urls[0])]
        assert list(local.route(multicast)) == ["udp://@239.1.1.1:5000", local.guarded("http://h.test/mc.ts")]
        recording = Channel(number=1, id="rec", name="R", urls=["/var/rec/1.ts"])
        assert list(local.route(recording)) == ["/var/rec/1.ts"]
    finally:
        local.stop()


def test_libvlc_plays_an_hls_channel_through_the_guard(headend):
    lineup = demo_lineup(*headend)
    hls = lineup.by_id("travel-hls")
    assert hls is not None
    local = LocalRelay(lambda _: None)
    local.start()
    engine = Engine(EngineOptions())
    player = engine.create_player("main")
    player.routes = local.route
    seen = None
    try:
        player.tune(hls)
        deadline = time.monotonic() + 60  # only to catch a hang
        while seen != 11:
            assert time.monotonic() < deadline, f"no picture of channel 11 through the guard ({player.error})"
            while not engine.messages.empty():
                player.handle(engine.messages.get_nowait())
            player.poll(time.monotonic())
            if player.state is PlaybackState.PLAYING:
                with player.frames.front() as frame:
                    if frame is not None:
                        pixels, fmt = frame
                        seen = marker.decode(pixels, fmt.width, fmt.height, fmt.pitch)
            time.sleep(0.05)
        assert player._urls[player._url_index].startswith(local.guard.base + "/g/")
        assert not local.guard.refused
    finally:
        player.release()
        engine.release()
        local.stop()


def test_a_line_up_channel_that_is_not_ts_plays_through_the_guard_after_the_feed_refuses_it(tmp_path):
    """A radio's MP3 over http: the relay's feed says "not MPEG-TS" at once (502), libVLC goes on to the guard."""
    import subprocess

    mp3 = tmp_path / "radio.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", "sine=frequency=440:duration=30",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(mp3)], check=True)  # fmt: skip
    radio_routes = {"/radio.mp3": (200, {"Content-Type": "audio/mpeg"}, mp3.read_bytes())}
    with server(radio_routes) as (port, _):
        radio = Channel(number=1, id="radio", name="Radio", urls=[f"http://127.0.0.1:{port}/radio.mp3"], radio=True)
        local = LocalRelay(
            lambda cid: ChannelSource(radio.id, radio.name, tuple(radio.urls)) if cid == "radio" else None
        )
        local.start()
        engine = Engine(EngineOptions())
        player = engine.create_player("main")
        player.routes = local.route
        try:
            assert list(local.route(radio)) == [local.url("radio"), local.guarded(radio.urls[0])]
            player.tune(radio)
            deadline = time.monotonic() + 60  # only to catch a hang
            while player.state is not PlaybackState.PLAYING:
                assert time.monotonic() < deadline, f"the radio never played ({player.state}, {player.error})"
                while not engine.messages.empty():
                    player.handle(engine.messages.get_nowait())
                player.poll(time.monotonic())
                time.sleep(0.05)
            assert player.audio_only and player._url_index == 1  # the guard's URL, after the feed's 502
        finally:
            player.release()
            engine.release()
            local.stop()
