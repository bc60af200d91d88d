"""Which URLs the TV takes as flung streams, and how a flung stream is named."""

from __future__ import annotations

import re

import pytest

from stb.streams import URL_PATTERN, describe, fling_problem, stream_channel, title_for


@pytest.mark.parametrize("url", ["http://10.0.0.5:8554/live/5.ts", "HTTPS://tv.example/a.m3u8?x=1",
                                 "udp://@239.255.42.1:5000", "rtp://@:5004"])  # fmt: skip
def test_network_stream_urls_are_taken(url):
    assert fling_problem(url) is None
    assert re.fullmatch(URL_PATTERN, url)


@pytest.mark.parametrize(("url", "says"), [
    ("file:///etc/passwd", "not file: URLs"),
    ("javascript:alert(1)", "not javascript: URLs"),
    ("rtsp://cam/stream", "not rtsp: URLs"),
    ("/etc/passwd", "not this (no URL scheme)"),
    ("", "not this (no URL scheme)"),
    ("http://a b/", "without spaces or control characters"),
    ("http://a/\x00", "without spaces or control characters"),
    ("http:/a", "scheme://address"),
])  # fmt: skip
def test_anything_else_is_refused_with_the_reason(url, says):
    problem = fling_problem(url)
    assert problem is not None and says in problem
    assert not re.fullmatch(URL_PATTERN, url)  # the API document says the same
    with pytest.raises(ValueError, match=re.escape(problem)):
        stream_channel(url)


def test_a_stream_is_named_by_its_title_else_its_last_path_part_else_its_host():
    assert title_for("http://h/x.ts", "  Cam\x011 ") == "Cam 1"  # control characters never reach the banner
    assert title_for("http://h/x.ts", "Garden") == "Garden"
    assert title_for("http://user:pw@10.0.0.5:8554/live/cinema%20one.ts?token=s") == "cinema one.ts"
    assert title_for("http://10.0.0.5:8554/") == "10.0.0.5"
    assert title_for("http://h/%00%0a") == "h"  # nothing printable left in the path: the host
    channel = stream_channel("http://user:pw@10.0.0.5:8554/live/5.ts?token=secret")
    assert describe(channel) == {"title": "5.ts", "host": "10.0.0.5"}  # never the credentials
    assert channel.id.startswith("stream.") and channel.urls == ["http://user:pw@10.0.0.5:8554/live/5.ts?token=secret"]
    assert stream_channel("http://[::1/x").name == "stream"  # unparsable: still a name; the player fails on it


def test_a_logged_url_keeps_neither_credentials_nor_query():
    from stb.urls import loggable

    assert (
        loggable("http://user:pw@10.0.0.5:8600/stream/live?sig=abc&exp=1&dev=d") == "http://10.0.0.5:8600/stream/live?…"
    )
    assert loggable("http://[fe80::1]:8600/x?token=T") == "http://[fe80::1]:8600/x?…"
    assert loggable("udp://@239.0.0.1:5000") == "udp://239.0.0.1:5000"
    assert loggable("http://[::1") == "(a malformed URL)"
