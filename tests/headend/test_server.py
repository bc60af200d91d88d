"""The head-end over real HTTP on loopback, checked with ffprobe/ffmpeg the way a player would."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from stb.headend.catalog import CHANNELS, demo_lineup, stream_path
from stb.headend.media import CLIP_SECONDS
from tests.headend.tune import look

pytestmark = pytest.mark.slow

FFMPEG_PROCESSES = len(CHANNELS) + sum(c.hls for c in CHANNELS)  # one per channel, plus HLS's segmenter


def url(headend, path: str) -> str:
    host, port = headend
    return f"http://{host}:{port}{path}"


def get(headend, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url(headend, path), timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def health(headend) -> dict:
    status, body = get(headend, "/health")
    assert status == 200
    return json.loads(body)


def video_pts(stream_url: str, packets: int = 5) -> list[float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-analyzeduration", "1000000", "-select_streams", "v",
         "-read_intervals", f"%+#{packets}", "-show_entries", "packet=pts_time", "-of", "csv=p=0", stream_url],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    return [float(line.strip(", ")) for line in out.splitlines() if line.strip(", ")]


def probe_codecs(stream_url: str) -> set[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-analyzeduration", "2000000", "-show_entries", "stream=codec_name",
         "-of", "json", stream_url],
        capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    return {s["codec_name"] for s in json.loads(out or "{}").get("streams", [])}


def test_every_channel_is_live_h264_aac_showing_its_own_number(headend):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(CHANNELS, pool.map(lambda c: look(url(headend, stream_path(c))), CHANNELS), strict=True))
    for channel, (codecs, number) in results.items():
        assert codecs == {"h264", "aac"}, channel.id
        assert number == channel.number, channel.id


def test_hls_channel_plays_through_its_playlist(headend):
    status, playlist = get(headend, "/hls/travel-hls/index.m3u8")
    assert status == 200 and playlist.startswith(b"#EXTM3U")
    segments = re.findall(rb"^(seg\d+\.ts)$", playlist, re.M)
    assert segments
    status, segment = get(headend, "/hls/travel-hls/" + segments[-1].decode())
    assert status == 200 and segment[:1] == b"\x47"
    assert probe_codecs(url(headend, "/hls/travel-hls/index.m3u8")) == {"h264", "aac"}


def test_a_late_joiner_gets_the_live_position_not_the_start(headend):
    stream = url(headend, "/live/news-24.ts")
    first = min(video_pts(stream))
    time.sleep(3)
    later = min(video_pts(stream))
    assert later >= first + 2  # a file served from its start would give the same PTS twice


def test_two_clients_at_once_both_get_data_from_one_ffmpeg(headend):
    before = health(headend)
    stream = url(headend, "/live/kids-planet.ts")
    received = [0, 0]
    connected = threading.Barrier(3)

    def read(i: int) -> None:
        with urllib.request.urlopen(stream, timeout=10) as reply:
            received[i] += len(reply.read(1024))
            connected.wait()
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                received[i] += len(reply.read(16384))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    connected.wait(timeout=10)
    during = health(headend)
    for t in threads:
        t.join(timeout=15)
    assert during["channels"]["kids-planet"]["clients"] == 2
    assert during["ffmpeg_processes"] == FFMPEG_PROCESSES == before["ffmpeg_processes"]
    assert during["channels"]["kids-planet"]["pid"] == before["channels"]["kids-planet"]["pid"]
    assert min(received) > 200_000, received  # the keyframe burst plus ~3 s of live stream each


def test_a_client_that_never_reads_is_dropped_without_hurting_a_normal_one(headend):
    channel = "music-hits"
    dropped_before = health(headend)["channels"][channel]["dropped"]
    host, port = headend
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small window: the server backs up quickly
    stuck.connect((host, port))
    stuck.sendall(f"GET /live/{channel}.ts HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    rates: list[float] = []
    try:
        with urllib.request.urlopen(url(headend, f"/live/{channel}.ts"), timeout=10) as normal:
            normal.read(200_000)  # the join burst
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                started = time.monotonic()
                got = len(normal.read(50_000))
                rates.append(got / max(time.monotonic() - started, 1e-3))
                if health(headend)["channels"][channel]["dropped"] > dropped_before:
                    break
            else:
                pytest.fail("the stuck client was never dropped")
            for _ in range(3):  # and the normal client carries on at the live rate
                started = time.monotonic()
                assert len(normal.read(100_000)) == 100_000
                assert time.monotonic() - started < 3
    finally:
        stuck.close()


def test_dead_channel_is_404(headend):
    assert get(headend, "/broken/dead.ts")[0] == 404
    assert get(headend, "/broken/dead")[0] == 404


def test_stalling_channel_sends_then_holds_the_connection_silent(headend):
    host, port = headend
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(b"GET /broken/stall.ts HTTP/1.1\r\nHost: x\r\n\r\n")
        received, started, last = 0, time.monotonic(), time.monotonic()
        conn.settimeout(2.5)
        try:
            while time.monotonic() - started < 15:
                data = conn.recv(65536)
                assert data, "the stalling channel closed the connection instead of stalling"
                received += len(data)
                last = time.monotonic()
        except TimeoutError:
            pass  # silence: what a stalled stream looks like
        assert received > 150_000  # a few seconds of real stream first
        assert 3 < last - started < 8  # it went quiet after a few seconds
        conn.settimeout(0.5)
        with pytest.raises(TimeoutError):  # and the socket is still open, just silent
            assert conn.recv(1) != b""


def test_garbage_channel_flows_at_about_1_mbit_and_does_not_decode(headend, tmp_path):
    data = bytearray()
    with urllib.request.urlopen(url(headend, "/broken/garbage.ts"), timeout=10) as reply:
        started = time.monotonic()
        while time.monotonic() - started < 2.5:
            data += reply.read(12_500)
    rate = len(data) * 8 / (time.monotonic() - started)
    assert 0.6e6 < rate < 1.6e6, rate
    sample = tmp_path / "garbage.ts"
    sample.write_bytes(data)
    assert probe_codecs(str(sample)) == set()


@pytest.mark.parametrize(
    "path",
    [
        "/live/..%2F..%2Fetc%2Fpasswd",
        "/live/..%2F..%2Fetc%2Fpasswd.ts",
        "/live/nope.ts",
        "/live/news-24.ts/../../../etc/passwd",
        "/hls/travel-hls/../../x",
        "/hls/travel-hls/..%2F..%2Fetc%2Fpasswd",
        "/hls/travel-hls/%2Fetc%2Fpasswd",
        "/hls/travel-hls/index.m3u8%00",
        "/hls/travel-hls/index.m3u8%0A",
        "/hls/travel-hls/seg1.ts.tmp",
        "/hls/news-24/index.m3u8",
        "/hls/..%2F..%2Ftmp/index.m3u8",
        "/logo/..%2Fstamp.png",
        "/logo/..%2F..%2Fetc%2Fpasswd.png",
        "/stamp.json",
        "/../../etc/passwd",
    ],
)
def test_nothing_outside_the_allow_list_is_served(headend, path):
    host, port = headend
    with socket.create_connection((host, port), timeout=10) as conn:  # raw: no client-side normalising
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith((b"HTTP/1.1 404", b"HTTP/1.1 400")), reply[:80]
    assert b"root:" not in reply and b"fingerprint" not in reply


def test_logos_are_served_for_channels_only(headend):
    status, body = get(headend, "/logo/news-24.png")
    assert status == 200 and body[:4] == b"\x89PNG"


def test_guide_is_served_with_icons_at_the_address_the_client_used(headend):
    status, body = get(headend, "/xmltv.xml")
    assert status == 200
    root = ET.fromstring(body)
    host, port = headend
    assert {c.get("id") for c in root.findall("channel")} == {c.guide_id for c in CHANNELS}
    assert root.find("channel/icon").get("src").startswith(f"http://{host}:{port}/logo/")
    assert len(root.findall("programme")) > len(CHANNELS) * 8 * 10


def test_playlist_reads_back_as_the_demo_lineup(headend):
    m3u = pytest.importorskip("stb.lineup.m3u")
    status, body = get(headend, "/playlist.m3u")
    assert status == 200
    result = m3u.parse_m3u(body.decode(), "stb demo head-end")
    assert result.problems == []
    host, port = headend
    expected = demo_lineup(host, port).model_copy(update={"schema_": None, "headend": None})
    assert result.lineup == expected


def test_health_reports_every_channel_running(headend):
    report = health(headend)
    assert set(report["channels"]) == {c.id for c in CHANNELS}
    assert all(c["running"] for c in report["channels"].values())
    assert report["ffmpeg_processes"] == FFMPEG_PROCESSES


def test_the_clock_keeps_going_across_the_loop_point(headend):
    """Runs last in this module: by now the head-end has looped its clips at least once."""
    deadline = time.monotonic() + CLIP_SECONDS + 5
    while health(headend)["uptime_s"] < CLIP_SECONDS + 3:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    stream = url(headend, "/live/weather-now.ts")
    first = video_pts(stream, 30)
    time.sleep(2)
    second = video_pts(stream, 30)
    assert min(first) > CLIP_SECONDS  # timestamps did not restart at the loop point
    assert all(b > a for a, b in itertools.pairwise(first)) and all(b > a for a, b in itertools.pairwise(second))
    assert min(second) > max(first) - 1.5
    assert min(second) >= min(first) + 1


def test_head_says_what_get_would_without_streaming(headend):
    """Kodi's player asks with HEAD first, then reads on the same connection: a HEAD that streamed live TV never
    ended, and the connection was never free again."""
    host, port = headend
    connection = http.client.HTTPConnection(host, port, timeout=10)  # one keep-alive connection, as Kodi's curl

    def head(path: str) -> tuple[int, dict[str, str], bytes]:
        connection.request("HEAD", path)
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()

    try:
        status, headers, body = head("/live/music-hits.ts")
        assert (status, headers["content-type"], body) == (200, "video/mp2t", b"")
        start = int(time.time()) - 3600
        archive = f"/archive/music-hits/archive-{start}-20.ts"
        status, headers, body = head(archive)  # the same connection: the live HEAD has ended
        assert (status, headers["accept-ranges"], body) == (200, "bytes", b"")
        assert int(headers["content-length"]) == len(get(headend, archive)[1])
    finally:
        connection.close()
    assert health(headend)["channels"]["music-hits"]["clients"] == 0  # nobody was made a viewer
