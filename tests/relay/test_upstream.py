"""Cutting upstream bytes into TS packets: junk before, between and inside reads is skipped."""

import pytest

from stb.relay.upstream import UpstreamError, _Aligner, multicast_address


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
