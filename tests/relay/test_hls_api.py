"""HLS through a running box's HTTP API on loopback: ffmpeg as the HLS client, with a token and a signed URL."""

from __future__ import annotations

import httpx
import pytest

from stb.headend.catalog import CHANNELS
from stb.ts.packets import PACKET, SYNC, pid_of
from tests.headend.pictures import Decoded, decoded_markers
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow


def decode(url: str, frames: int = 50) -> Decoded:
    """Markers of the first ``frames`` pictures ffmpeg decodes from an HLS URL, and what it said."""
    return decoded_markers(url, frames, timeout=60, check=False)


def test_ffmpeg_plays_a_channel_over_hls_with_a_token_and_with_a_signed_url(demo_box):
    channel = CHANNELS[2]

    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            playlist = c.get(f"{root}/hls/channel/{channel.id}/index.m3u8", params={"token": token})
            first_uri = next(line for line in playlist.text.splitlines() if not line.startswith("#"))
            segment = c.get(f"{root}/hls/channel/{channel.id}/{first_uri}")
            with_token = decode(f"{root}/hls/channel/{channel.id}/index.m3u8?token={token}")
            signed = c.post(f"{base}/stream-urls", json={"path": f"/hls/channel/{channel.id}/index.m3u8"},
                            headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
            with_signature = decode(f"{root}{signed['url']}")
            gone = c.get(f"{root}/hls/channel/{channel.id}/0.ts", params={"token": token})
            stats = c.get(f"{base}/relay", params={"token": token}).json()
            return playlist, first_uri, segment, with_token, signed, with_signature, gone, stats, token

    answers = run_client(demo_box, client, 120)
    playlist, first_uri, segment, with_token, signed, with_signature, gone, stats, token = answers
    assert playlist.status_code == 200 and playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["cache-control"] == "no-store" and playlist.text.startswith("#EXTM3U\n")
    assert first_uri.endswith(f".ts?token={token}"), "segments carry the playlist's credentials"
    assert segment.status_code == 200 and segment.headers["content-type"] == "video/mp2t"
    assert segment.content[0] == SYNC and pid_of(segment.content) == 0 and len(segment.content) % PACKET == 0
    for shown, said in (with_token, with_signature):
        assert len(shown) == 50 and set(shown) == {channel.number}, f"ffmpeg showed {set(shown)}: {said[-300:]}"
    assert signed["url"].startswith(f"/hls/channel/{channel.id}/index.m3u8?sig=") and "&dev=" in signed["url"]
    # the window slid past segment 0 while ffmpeg played (~4 s of 2 s segments, 6 kept)... or has not: either way
    # a segment outside the window is a 404 problem, not an error
    first_seq = stats["hls"]["streams"][f"channel/{channel.id}"]["first_seq"]
    assert gone.status_code == (200 if first_seq == 0 else 404)
    assert stats["hls"]["renditions"] == 1 and stats["hls"]["started"] == 1
    assert stats["channels"][channel.id]["clients"] == 1


def test_hls_refusals_are_problems(demo_box):
    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            return (
                c.get(f"{root}/hls/channel/{CHANNELS[0].id}/index.m3u8"),
                c.get(f"{root}/hls/channel/nope/index.m3u8", params={"token": token}),
                c.get(f"{root}/hls/channel/dead-channel/index.m3u8", params={"token": token}),
                c.get(f"{root}/hls/channel/{CHANNELS[0].id}/7.ts", params={"token": token}),
                c.get(f"{root}/hls/live/123456.ts", params={"token": token}),
            )

    stranger, unknown, dead, not_running, live_segment = run_client(demo_box, client, 60)
    assert stranger.status_code == 401
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    assert dead.status_code == 502 and dead.json()["title"] == "Channel unavailable"
    for missing in (not_running, live_segment):
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert "index.m3u8 first" in missing.json()["detail"]
