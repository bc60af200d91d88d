"""`--fullscreen` on a bare X server (no window manager, as a box started by xinit): the window fills it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xwininfo")),
                                reason="needs Xvfb and xwininfo (x11-utils): make setup installs them")  # fmt: skip

CHILD = """
import json, subprocess, pygame
from stb.ui.window import open_window
canvas = open_window("stb fullscreen test", headless=False, fullscreen=True)
canvas.fill((255, 0, 0))
pygame.display.flip()
pygame.event.pump()
info = subprocess.run(["xwininfo", "-name", "stb fullscreen test"], capture_output=True, text=True, check=True).stdout
print(json.dumps({"canvas": canvas.get_size(), "sdl": pygame.display.get_window_size(), "xwininfo": info}))
"""


@pytest.fixture
def bare_x():
    """Xvfb at 1920x1080 and no window manager; its display number chosen by Xvfb itself (-displayfd)."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    try:
        assert display, "Xvfb did not start"
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_fullscreen_fills_a_1080p_screen_without_a_window_manager(bare_x):
    import json

    env = {**os.environ, "DISPLAY": bare_x, "SDL_AUDIODRIVER": "dummy"}
    env.pop("SDL_VIDEODRIVER", None)
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    fields = r"(Width|Height|Absolute upper-left X|Absolute upper-left Y):\s+(-?\d+)"
    geometry = {k: int(v) for k, v in re.findall(fields, seen["xwininfo"])}
    assert (geometry["Width"], geometry["Height"]) == (1920, 1080), seen["xwininfo"]  # the X server's own word
    assert (geometry["Absolute upper-left X"], geometry["Absolute upper-left Y"]) == (0, 0)
    assert tuple(seen["canvas"]) == (1280, 720)  # screens still draw at 1280x720; SDL scales it 1.5x
