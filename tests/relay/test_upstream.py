"""Cutting upstream bytes into TS packets: junk before, between and inside reads is skipped; redirects checked."""

import asyncio
import contextlib
import threading

import pytest

from stb.relay.upstream import UpstreamError, _Aligner, multicast_address, read_ts


def packets(n: int, marker: int = 1) -> bytes:
    return (bytes([0x47, 0, marker]) + bytes(185)) * n


def test_junk_before_and_between_packets_is_dropped_and_packets_pass_whole():
    aligner = _Aligner()
    data = b"\x00\x47junk" + packets(5) + b"\x12" * 50 + packets(4, marker=2)
    out = b"".join(aligner.feed(data[i : i + 100]) for i in range(0, len(data), 100)) + aligner.feed(b"")
    assert len(out) % 188 == 0
    assert all(out[i] == 0x47 for i in range(0, len(out), 188))
    assert out.count(bytes([0x47, 0, 1])) == 5 and out.count(bytes([0x47, 0, 2])) >= 2  # the tail may wait


def test_random_bytes_give_next_to_nothing():
    import random

    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(200_000))
    aligner = _Aligner()
    out = b"".join(aligner.feed(junk[i : i + 4096]) for i in range(0, len(junk), 4096))
    assert len(out) <= 3 * 188


@pytest.mark.parametrize("url", ["udp://@10.0.0.1:5000", "udp://@239.1.1.1", "rtp://nonsense"])
def test_multicast_urls_are_checked(url):
    with pytest.raises(UpstreamError):
        multicast_address(url)


def test_a_multicast_url_gives_group_and_port():
    assert multicast_address("udp://@239.1.1.1:5000") == ("239.1.1.1", 5000)
    assert multicast_address("rtp://239.1.1.2:6000") == ("239.1.1.2", 6000)


@pytest.fixture
def redirecting_server():
    """/same → /stream on the same host; /loopback → the same server named as `localhost` (a loopback
    address the relay was not asked for); /stream: a few TS packets."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            port = self.server.server_address[1]
            targets = {"/same": "/stream", "/loopback": f"http://localhost:{port}/stream"}
            if self.path == "/radio":
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.end_headers()
                self.wfile.write(b"\xff\xfb" * 100)
                return
            if self.path in targets:
                self.send_response(302)
                self.send_header("Location", targets[self.path])
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.end_headers()
            self.wfile.write(packets(20))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def first_chunk(url: str) -> bytes:
    async with contextlib.aclosing(read_ts(url, {}, stall_s=10)) as chunks:
        async for chunk in chunks:
            return chunk
    return b""


def test_the_relay_follows_a_head_ends_redirect_within_its_own_host(redirecting_server):
    assert asyncio.run(first_chunk(redirecting_server + "/same"))[:1] == b"\x47"


def test_the_relay_refuses_a_redirect_into_the_boxs_own_loopback(redirecting_server):
    with pytest.raises(UpstreamError, match=r"redirects to http://localhost:\d+/stream.*loopback"):
        asyncio.run(first_chunk(redirecting_server + "/loopback"))


def test_a_stream_that_says_it_is_not_ts_is_refused_at_once_so_the_tv_plays_it_through_its_guard(redirecting_server):
    with pytest.raises(UpstreamError, match="it sends audio/mpeg, not MPEG-TS"):
        asyncio.run(first_chunk(redirecting_server + "/radio"))
