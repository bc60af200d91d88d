"""UDP multicast from the head-end in one namespace host, received in another: never on real links."""

import subprocess
import sys
import time

import pytest

from tests.headend.tune import look, multicast_headend
from tests.netns import netns_lan

GROUP, BASE_PORT = "239.255.42.1", 5000


@pytest.mark.slow
@pytest.mark.netns
def test_multicast_channels_reach_another_host(media_dir):
    with netns_lan(2) as (server, client):
        headend = multicast_headend(server, media_dir, GROUP, BASE_PORT)
        for number in (3, 10):  # channel N on port BASE_PORT + N - 1
            source = f"udp://{GROUP}:{BASE_PORT + number - 1}?localaddr={client.address}&timeout=3000000"
            deadline, seen = time.monotonic() + 30, (set(), None)
            while time.monotonic() < deadline and seen[1] is None:  # the first try may predate start-up
                assert headend.poll() is None, headend.stderr.read()
                seen = look(source, wrap=client.command)
            assert seen == ({"h264", "aac"}, number)
        headend.terminate()
        headend.wait(timeout=15)


def test_multicast_without_interface_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "stb", "headend", "--multicast", f"{GROUP}:{BASE_PORT}"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == "stb: --multicast needs --interface: multicast goes only where you say\n"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("10.0.0.1:5000", "is not a multicast group"),
        ("239.255.42.1", "wants GROUP:PORT"),
        ("239.255.42.1:80", "out of range"),
    ],
)
def test_bad_multicast_targets_are_one_line_errors(target, message):
    from stb.errors import StbError
    from stb.headend.multicast import parse_target

    with pytest.raises(StbError, match=message):
        parse_target(target)


def test_an_unknown_interface_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "stb", "headend", "--multicast", f"{GROUP}:{BASE_PORT}", "--interface", "nosuch0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == "stb: no network interface 'nosuch0'\n"
