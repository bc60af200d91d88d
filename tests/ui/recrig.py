"""What the TV recording tests share: a guide around the real clock, a real recorder on its own loop in a
thread (as the network side runs it; its stream reader is the PVR tests' relay stand-in), and frames until
the recorder answered."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pygame

from stb.guide.store import import_sources
from stb.pvr.service import Pvr
from tests.pvr.rig import CH, FakeClock, FakeRelay, GuideFile, make_pvr, xmltv

__all__ = ["CH", "NOW", "PROGRAMMES", "GuideNow", "H", "Recorder", "red_pixels", "settle", "shot"]

NOW = float(int(time.time()) // 60 * 60)
H = 3600.0
SHOTS = Path("/tmp/stb-shots")  # the screens rendered here, to look at by hand


class GuideNow(GuideFile):
    """The PVR tests' guide file, imported around the real clock (the details screen reads ``time.time()``)."""

    def write(self, programmes) -> None:
        source = self.folder / "guide.xml"
        source.write_bytes(xmltv(programmes))
        import_sources(self.db, [str(source)], now=NOW, force=True)


PROGRAMMES = [
    (CH[0], NOW - 600, NOW + H, "Morning Show", None),
    (CH[0], NOW + H, NOW + 2 * H, "The Flat Upstairs", "0.0.0/1"),
    (CH[0], NOW + 25 * H, NOW + 26 * H, "The Flat Upstairs", "0.1.0/1"),
    (CH[1], NOW - 600, NOW + 2 * H, "Long Film", None),
]


class Recorder:
    """A real Pvr running on its own loop in a thread, as the box's network side runs it."""

    def __init__(self, folder: Path, guide: GuideFile, max_channels: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-pvr", daemon=True)
        self.thread.start()
        self.relay = FakeRelay()
        self.pvr: Pvr = make_pvr(folder, self.relay, FakeClock(NOW), guide, max_channels)
        asyncio.run_coroutine_threadsafe(self.pvr.async_start(), self.loop).result(30)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.pvr.async_close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def settle(app, condition=lambda: True, what: str = "the recorder's answer") -> None:
    """Frames until the recorder answered everything asked and ``condition()`` (a hang guard, not a time)."""
    deadline = time.monotonic() + 20
    while app.tv.recordings.busy or not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        app.step()
        time.sleep(0.01)
    app.step()


def red_pixels(surface, rect, colour) -> int:
    return sum(surface.get_at((x, y))[:3] == colour for x in range(rect.x, rect.right, 2)
               for y in range(rect.y, rect.bottom, 2))  # fmt: skip


def shot(surface, name: str) -> None:
    SHOTS.mkdir(exist_ok=True, parents=True)
    pygame.image.save(surface, str(SHOTS / name))
