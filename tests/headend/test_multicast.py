"""UDP multicast from the head-end in one namespace host, received in another: never on real links."""

import subprocess
import sys
import time

import pytest

from stb.headend import marker
from tests.netns import lan

pytestmark = [pytest.mark.slow, pytest.mark.netns]


def test_multicast_channel_reaches_another_host():
    with lan(2) as (server, client):
        headend = server.popen(
            [sys.executable, "-m", "stb", "headend", "--host", server.address, "--port", "8554",
             "--multicast", "239.255.42.1:5000", "--interface", "eth0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            frame = b""
            while time.monotonic() < deadline and len(frame) != 640 * 360 * 4:
                assert headend.poll() is None, headend.stderr.read()
                result = client.run(
                    ["ffmpeg", "-loglevel", "error", "-i", "udp://239.255.42.1:5002?timeout=3000000",
                     "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgra", "-"],
                    capture_output=True, text=False, timeout=20,
                )  # fmt: skip
                frame = result.stdout
            assert len(frame) == 640 * 360 * 4, "no picture received over multicast"
            assert marker.decode(frame, 640, 360, 640 * 4) == 3  # port 5000 + 3 - 1
        finally:
            headend.terminate()
            headend.wait(timeout=15)


def test_multicast_without_interface_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "stb", "headend", "--multicast", "239.255.42.1:5000"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "stb: --multicast needs --interface: multicast goes only where you say"
