"""`--fullscreen` on a bare X server (no window manager, as a box started by xinit): the window fills it."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xwininfo")),
                                reason="needs Xvfb and xwininfo (x11-utils): make setup installs them")  # fmt: skip

CHILD = """
import json, subprocess, time, pygame
from stb.ui.window import open_window
canvas = open_window("stb fullscreen test", headless=False, fullscreen=True)
canvas.fill((255, 0, 0))
for _ in range(3):
    pygame.display.flip()
    pygame.event.pump()
    time.sleep(0.1)
info = subprocess.run(["xwininfo", "-name", "stb fullscreen test"], capture_output=True, text=True, check=True).stdout
import sys
from tests.ui.test_window import SPOTS, screen_pixel
spots = [screen_pixel(sys.argv[1], x, y) for x, y in SPOTS]  # read while the window is up
print(json.dumps({"canvas": canvas.get_size(), "sdl": pygame.display.get_window_size(), "xwininfo": info,
                  "spots": spots}))
"""
SPOTS = ((4, 4), (1915, 4), (960, 540), (4, 1075), (1915, 1075))  # corners and middle of a 1920x1080 screen


@pytest.fixture
def bare_x(tmp_path):
    """Xvfb at 1920x1080 and no window manager; its display number chosen by Xvfb itself (-displayfd); its
    screen kept as an XWD file in ``tmp_path`` (-fbdir), to read what it shows."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp",
                               "-fbdir", str(tmp_path)], pass_fds=(write,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    try:
        assert display, "Xvfb did not start"
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def screen_pixel(fbdir: str, x: int, y: int) -> tuple[int, int, int]:
    """A pixel of Xvfb's screen (an XWD file: a header, a colour map, then 32-bit BGRX rows)."""
    data = (Path(fbdir) / "Xvfb_screen0").read_bytes()
    header = struct.unpack(">25I", data[:100])
    start = header[0] + header[19] * 12  # header size, then 12 bytes per colour-map entry
    at = start + y * header[12] + x * 4  # bytes per line
    blue, green, red = data[at : at + 3]
    return red, green, blue


def test_fullscreen_fills_a_1080p_screen_without_a_window_manager(bare_x, tmp_path):
    import json

    env = {**os.environ, "DISPLAY": bare_x, "SDL_AUDIODRIVER": "dummy"}
    env.pop("SDL_VIDEODRIVER", None)
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=60, cwd=Path(__file__).parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    fields = r"(Width|Height|Absolute upper-left X|Absolute upper-left Y):\s+(-?\d+)"
    geometry = {k: int(v) for k, v in re.findall(fields, seen["xwininfo"])}
    assert (geometry["Width"], geometry["Height"]) == (1920, 1080), seen["xwininfo"]  # the X server's own word
    assert (geometry["Absolute upper-left X"], geometry["Absolute upper-left Y"]) == (0, 0)
    assert tuple(seen["canvas"]) == (1280, 720)  # screens still draw at 1280x720…
    for spot, colour in zip(SPOTS, seen["spots"], strict=True):  # …and SDL scales it 1.5x, edge to edge
        assert tuple(colour) == (255, 0, 0), f"the canvas does not reach {spot} of the screen"
