"""The head-end over real HTTP on loopback, checked with ffprobe/ffmpeg like a real player would."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from stb.headend import marker
from stb.headend.catalog import CHANNELS, demo_lineup, stream_path
from stb.lineup.m3u import parse_m3u

pytestmark = pytest.mark.slow


def url(headend, path: str) -> str:
    host, port = headend
    return f"http://{host}:{port}{path}"


def get(headend, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url(headend, path), timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def first_video_pts(stream_url: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-read_intervals", "%+#5",
         "-show_entries", "packet=pts_time", "-of", "csv=p=0", stream_url],
        check=True, capture_output=True, text=True, timeout=20,
    ).stdout  # fmt: skip
    return min(float(line.strip(", ")) for line in out.splitlines() if line.strip(", "))


def codecs(stream_url: str) -> set[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", stream_url],
        capture_output=True, text=True, timeout=20,
    ).stdout  # fmt: skip
    return {s["codec_name"] for s in json.loads(out or "{}").get("streams", [])}


def grab_marker(stream_url: str) -> int | None:
    frame = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", stream_url, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgra", "-"],
        capture_output=True, timeout=20,
    ).stdout  # fmt: skip
    return marker.decode(frame, 640, 360, 640 * 4) if len(frame) == 640 * 360 * 4 else None


def test_every_channel_is_live_h264_aac_with_its_marker(headend):
    def check(channel):
        stream = url(headend, stream_path(channel))
        return channel.number, codecs(stream), grab_marker(stream)

    with ThreadPoolExecutor(max_workers=3) as pool:
        for number, found, seen in pool.map(check, CHANNELS):
            assert found == {"h264", "aac"}, number
            assert seen == number


def test_late_joiner_gets_the_live_position_not_the_start(headend):
    stream = url(headend, "/live/news-24.ts")
    first = first_video_pts(stream)
    time.sleep(3)
    later = first_video_pts(stream)
    assert later >= first + 2  # a file served from the start would give the same PTS twice


def test_two_clients_at_once_share_one_ffmpeg(headend):
    stream = url(headend, "/live/kids-planet.ts")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(codecs, [stream, stream]))
    assert results == [{"h264", "aac"}, {"h264", "aac"}]
    status, body = get(headend, "/health")
    assert status == 200
    assert json.loads(body)["ffmpeg_processes"] == len(CHANNELS) + sum(c.hls for c in CHANNELS)


def test_dead_channel_is_404(headend):
    assert get(headend, "/broken/dead.ts")[0] == 404


def test_stalling_channel_sends_then_holds_the_connection_silent(headend):
    host, port = headend
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(b"GET /broken/stall.ts HTTP/1.1\r\nHost: x\r\n\r\n")
        received, started = 0, time.monotonic()
        conn.settimeout(2.0)
        try:
            while time.monotonic() - started < 15:
                data = conn.recv(65536)
                assert data, "the stalling channel closed the connection instead of stalling"
                received += len(data)
        except TimeoutError:
            pass  # silence: what a stalled stream looks like
        assert received > 50_000
        assert time.monotonic() - started < 12  # it went quiet after a few seconds


def test_garbage_channel_is_not_decodable(headend):
    assert codecs(url(headend, "/broken/garbage.ts")) == set()


@pytest.mark.parametrize(
    "path",
    [
        "/live/..%2F..%2Fetc%2Fpasswd.ts",
        "/live/nope.ts",
        "/hls/travel-hls/..%2F..%2Fetc%2Fpasswd",
        "/hls/travel-hls/%2Fetc%2Fpasswd",
        "/hls/news-24/index.m3u8",
        "/logo/..%2Fstamp.png",
        "/../../etc/passwd",
    ],
)
def test_nothing_outside_the_allow_list_is_served(headend, path):
    status, body = get(headend, path)
    assert status == 404
    assert b"root:" not in body


def test_guide_covers_yesterday_to_a_week_ahead_without_overlaps(headend):
    status, body = get(headend, "/xmltv.xml")
    assert status == 200
    root = ET.fromstring(body)
    ids = {c.get("id") for c in root.findall("channel")}
    assert ids == {f"{c.id}.demo" for c in CHANNELS}
    by_channel: dict[str, list[tuple[datetime, datetime]]] = {}
    for p in root.findall("programme"):
        start = datetime.strptime(p.get("start"), "%Y%m%d%H%M%S %z")
        stop = datetime.strptime(p.get("stop"), "%Y%m%d%H%M%S %z")
        assert stop > start
        assert p.findtext("title") and p.findtext("desc") and p.findtext("category")
        by_channel.setdefault(p.get("channel"), []).append((start, stop))
    now = datetime.now().astimezone()
    for channel, slots in by_channel.items():
        slots.sort()
        assert slots[0][0] <= now - timedelta(days=1), channel
        assert slots[-1][1] >= now + timedelta(days=7), channel
        for (_, stop), (start, _) in itertools.pairwise(slots):
            assert stop == start, f"{channel}: gap or overlap at {stop}"
    assert root.find("programme/episode-num[@system='xmltv_ns']") is not None
    assert root.find("programme/episode-num[@system='onscreen']") is not None
    assert root.find("programme/rating/value") is not None


def test_playlist_reads_back_as_the_demo_lineup(headend):
    status, body = get(headend, "/playlist.m3u")
    assert status == 200
    result = parse_m3u(body.decode(), "stb demo head-end")
    assert result.problems == []
    host, port = headend
    expected = demo_lineup(host, port).model_copy(update={"schema_": None, "headend": None})
    assert result.lineup == expected
