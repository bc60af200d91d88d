"""The head-end's archive: spans of the loop that decode cleanly, over real HTTP with byte ranges,
reached by the URLs Kodi's IPTV Simple rules build from the demo line-up (shift and Flussonic styles)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from stb.headend import archive
from stb.headend.catalog import BY_ID, CHANNELS, demo_lineup
from stb.headend.media import clip_path
from stb.lineup.catchup import archive_url, configure, of_channel
from tests.headend.pictures import decoded_markers
from tests.headend.tune import look


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def probe_duration(source: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", source],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return float(json.loads(out)["format"]["duration"])


def test_a_span_across_loop_points_decodes_without_a_single_error(media_dir, tmp_path):
    clip = archive.Clip(clip_path(BY_ID["sports-arena"], media_dir))
    assert clip.loop_s == pytest.approx(20.0)
    start = 1_700_000_013  # 13 s into a loop: the span crosses two loop points
    span = clip.span(start, 45)
    path = tmp_path / "span.ts"
    path.write_bytes(b"".join(span.read()))
    assert path.stat().st_size == span.size
    shown = decoded_markers(path, check=True)
    assert shown.markers and set(shown.markers) == {2}
    assert shown.said.strip() == "", shown.said  # no continuity, timestamp or decoding complaints
    assert probe_duration(str(path)) == pytest.approx(45, abs=1.5)  # keyframe-aligned ends, 1 s GOPs


def test_reads_at_any_offset_are_slices_of_the_whole(media_dir):
    clip = archive.Clip(clip_path(BY_ID["news-24"], media_dir))
    span = clip.span(1_700_000_000, 30)
    whole = b"".join(span.read())
    for first, stop in [(0, 1), (187, 189), (12345, 567890), (span.size - 10, span.size), (400_000, None)]:
        assert b"".join(span.read(first, stop)) == whole[first:stop]


def test_the_same_time_is_the_same_picture_in_every_request(media_dir):
    clip = archive.Clip(clip_path(BY_ID["news-24"], media_dir))
    a, b = clip.span(1_700_000_040, 10), clip.span(1_700_000_040, 30)
    assert b"".join(a.read(0, 100_000)) == b"".join(b.read(0, 100_000))


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("bytes=0-", (0, 1000)), ("bytes=10-19", (10, 20)), ("bytes=990-5000", (990, 1000)),
     ("bytes=-500", None), ("items=1-2", None)],
)  # fmt: skip
def test_byte_ranges(header, expected):
    assert archive.byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=20-10"])
def test_a_range_past_the_end_is_refused(header):
    with pytest.raises(archive.ArchiveRefused, match="range"):
        archive.byte_range(header, 1000)


def test_a_span_ends_at_now_and_lasts_six_hours_at_most():
    assert archive.check_times(1_000_000 - 60, 3600, 1_000_000) == 60
    assert archive.check_times(1_000_000 - 86400, None, 1_000_000) == archive.MAX_SPAN_S


@pytest.mark.parametrize(
    ("start", "duration", "why"),
    [(1_000_001, None, "future"), (1_000_000 - 3 * 86400 - 1, 60, "3 days"), (1_000_000, None, "nothing")],
)
def test_times_outside_the_archive_are_refused(start, duration, why):
    with pytest.raises(archive.ArchiveRefused, match=why):
        archive.check_times(start, duration, 1_000_000)


# --- over HTTP, from the head-end ---------------------------------------------------------------------


@pytest.mark.slow
def test_every_catchup_channel_of_the_demo_lineup_plays_its_archive(headend):
    host, port = headend
    now = int(time.time())
    lineup = demo_lineup(host, port)
    styles = set()
    for channel in lineup.channels:
        catchup = of_channel(channel.urls[0], channel.catchup, channel.attributes)
        demo = BY_ID.get(channel.id)
        if demo is None or demo.hls:
            assert catchup is None, channel.id
            continue
        assert catchup is not None and catchup.days == 3, channel.id
        styles.add(catchup.mode)
        url = archive_url(catchup, now - 7200, now - 7200 + 60, now)
        codecs, number = look(url)
        assert (codecs, number) == ({"h264", "aac"}, demo.number), url
    assert styles == {"shift", "default"}


@pytest.mark.slow
def test_flussonic_archive_has_a_length_and_serves_byte_ranges(headend):
    host, port = headend
    start = int(time.time()) - 3600
    url = f"http://{host}:{port}/archive/music-hits/archive-{start}-120.ts"
    status, headers, whole = fetch(url)
    assert status == 200 and headers["Accept-Ranges"] == "bytes"
    assert int(headers["Content-Length"]) == len(whole)
    status, headers, part = fetch(url, {"Range": "bytes=1000000-1999999"})
    assert status == 206 and headers["Content-Range"] == f"bytes 1000000-1999999/{len(whole)}"
    assert part == whole[1_000_000:2_000_000]
    assert probe_duration(url) == pytest.approx(120, abs=1.5)
    assert fetch(url, {"Range": f"bytes={len(whole)}-"})[0] == 416


@pytest.mark.slow
def test_flussonic_rules_built_from_the_mpegts_alias_reach_the_archive(headend):
    host, port = headend
    catchup = configure(f"http://{host}:{port}/archive/kids-planet/mpegts", {"catchup": "fs"})
    assert catchup is not None and catchup.source.endswith("/archive/kids-planet/timeshift_abs-${start}.ts")
    now = int(time.time())
    assert look(archive_url(catchup, now - 600, None, now)) == ({"h264", "aac"}, 4)
    assert look(catchup.source.split("timeshift")[0] + "mpegts") == ({"h264", "aac"}, 4)  # the live alias


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/live/news-24.ts?utc=abc", 400),
        ("/live/news-24.ts?utc=99999999999", 400),
        ("/live/news-24.ts?utc={future}", 404),
        ("/live/news-24.ts?utc={old}", 404),
        ("/archive/no-such/archive-{recent}-60.ts", 404),
        ("/archive/news-24/archive-{recent}-0.ts", 404),
        ("/archive/news-24/archive-x-60.ts", 404),
        ("/archive/news-24/..%2Fchannels.json", 404),
        ("/archive/news-24/timeshift_abs-{future}.ts", 404),
    ],
)
def test_bad_archive_requests_are_refused(headend, path, status):
    host, port = headend
    now = int(time.time())
    path = path.format(future=now + 3600, old=now - 4 * 86400, recent=now - 600)
    assert fetch(f"http://{host}:{port}{path}")[0] == status


def test_catalogue_marks_every_ts_channel_with_catchup():
    lineup = demo_lineup()
    marked = {c.id for c in lineup.channels if c.catchup}
    assert marked == {c.id for c in CHANNELS if not c.hls}
