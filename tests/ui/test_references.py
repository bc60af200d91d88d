"""Every screen rendered with fixed data and a fixed clock, compared with a reviewed reference PNG.

The data is real (a Box over a line-up, a guide imported into SQLite from XMLTV written here); the
player is the one seam: a stand-in that reports a state and has no pictures, so frames are exact.
A screen that changes on purpose: rerun with STB_UPDATE_REFERENCES=1, look at the new PNGs in
tests/ui/references/, and commit them with the change.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pygame
import pytest

from stb.box import Box
from stb.config import StateStore
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup
from stb.player.engine import PlaybackState, StreamStats
from stb.ui.channellist import ChannelListScreen
from stb.ui.details import DetailsScreen
from stb.ui.grid import GridScreen
from stb.ui.live import LiveScreen
from stb.ui.pin import PinDialog
from stb.ui.settings import Hooks, SettingsScreen
from stb.ui.theme import Theme

REFERENCES = Path(__file__).parent / "references"
NOW = 1_800_000_000 + 10 * 60  # 08:10 UTC on a Friday
TOLERANCE = 0.005  # share of pixels allowed to differ visibly (font rasteriser differences, not layout)
VISIBLE = 0.15  # colour distance (0..1) from which a pixel difference is visible


@dataclass
class StillPlayer:
    """The player seam: a state and figures, no pictures (so every frame is the same)."""

    state: PlaybackState = PlaybackState.PLAYING
    error: str | None = None
    aspect: float | None = 16 / 9
    frames: object = field(default_factory=lambda: type("NoFrames", (), {"frames": 0})())

    def stats(self) -> StreamStats:
        return StreamStats(1280, 720, "h264", "mp4a", 4200, 12345, 2)


@dataclass
class StillZapper:
    active: StillPlayer = field(default_factory=StillPlayer)
    pretuned: dict = field(default_factory=lambda: {"b": PlaybackState.PLAYING, "c": PlaybackState.PLAYING})


CHANNELS = [  # names in the scripts the fonts must cover, and one too long for any box
    (1, "news", "News 24", ["News"]),
    (2, "sport", "Sports Arena", ["Sport"]),
    (3, "cinema", "Cinema One with a Name Far Too Long for Its Box", ["Movies"]),
    (4, "perviy", "Первый канал", ["International"]),
    (5, "ert", "ΕΡΤ1", ["International"]),
    (6, "empty", "No Guide TV", []),
]
SHOWS = {  # channel → (minutes from 20:00, length, title, category, rating)
    "news": [(-60, 60, "Evening News", "News", None), (0, 30, "Weather and Traffic", "News", None),
             (30, 60, "World Report: a Long Look at Everything That Happened Today", "News", None),
             (90, 60, "Late News", "News", None)],
    "sport": [(-30, 120, "Football: Cup Final", "Sport", None), (90, 60, "Highlights", "Sport", None)],
    "cinema": [(-45, 105, "Harbour Lights", "Movie", "12"), (60, 120, "The Last Express", "Movie", "16")],
    "perviy": [(-20, 50, "Время", "News", None), (30, 90, "Кино: Ирония судьбы", "Movie", None)],
    "ert": [(0, 60, "Ειδήσεις", "News", None), (60, 90, "Ντοκιμαντέρ", "Documentary", None)],
}  # fmt: skip


def write_xmltv(path: Path) -> None:
    def stamp(minutes: int) -> str:
        return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(NOW - 600 + minutes * 60))

    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>']
    for _, cid, name, _ in CHANNELS:
        parts.append(f'<channel id="{cid}.ref"><display-name>{name}</display-name></channel>')
    for cid, shows in SHOWS.items():
        for start, length, title, category, rating in shows:
            rated = f'<rating system="FSK"><value>{rating}</value></rating>' if rating else ""
            parts.append(
                f'<programme start="{stamp(start)}" stop="{stamp(start + length)}" channel="{cid}.ref">'
                f"<title>{title}</title><desc>A description of {title}, long enough to wrap over more than one "
                f"line in the details pane, with accents (é, ü, ñ) to show the font covers them.</desc>"
                f"<category>{category}</category>{rated}</programme>"
            )
    parts.append("</tv>")
    path.write_text("\n".join(parts), encoding="utf-8")


@pytest.fixture
def scene(tmp_path, monkeypatch):
    """A Box, a guide and a canvas at a fixed time (TZ=UTC); screens are built by each test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    xml = tmp_path / "guide.xml"
    write_xmltv(xml)
    import_sources(tmp_path / "g.db", [str(xml)], now=NOW)
    monkeypatch.setattr(time, "time", lambda: float(NOW))
    lineup = Lineup(name="references", channels=[
        Channel(number=n, id=cid, name=name, groups=groups, urls=[f"http://127.0.0.1:9/{cid}.ts"],
                guide_id=f"{cid}.ref")
        for n, cid, name, groups in CHANNELS
    ])  # fmt: skip
    box = Box(lineup, StateStore(tmp_path))
    box.state.favourites = ["news", "perviy"]
    box.start()
    guide = Guide(tmp_path / "g.db", lineup)
    canvas = pygame.Surface((1280, 720))
    yield box, guide, canvas
    guide.close()
    monkeypatch.undo()
    time.tzset()  # back to the machine's zone for the tests after this one


def live(box, guide, zapper=None) -> LiveScreen:
    screen = LiveScreen(box, zapper or StillZapper(), Theme(), guide)
    screen.notice = None
    return screen


def check(canvas, name: str, tmp_path: Path) -> None:
    REFERENCES.mkdir(exist_ok=True)
    reference = REFERENCES / f"{name}.png"
    if os.environ.get("STB_UPDATE_REFERENCES") == "1":
        pygame.image.save(canvas, str(reference))
        return
    assert reference.exists(), f"no reference {reference.name}: run with STB_UPDATE_REFERENCES=1 and review it"
    expected = pygame.image.load(str(reference)).convert(canvas)  # PNGs load as 24 bit, the canvas is 32
    assert expected.get_size() == canvas.get_size()
    # PixelArray.compare paints equal pixels white and visibly different ones black (no numpy needed).
    marks = pygame.PixelArray(canvas).compare(pygame.PixelArray(expected), distance=VISIBLE).make_surface()
    differ = pygame.mask.from_threshold(marks, (0, 0, 0), (1, 1, 1, 255)).count() / (1280 * 720)
    if differ > TOLERANCE:
        pygame.image.save(canvas, str(tmp_path / f"{name}.actual.png"))
        pytest.fail(f"{name}: {differ:.2%} of pixels differ from {reference}; got {tmp_path / name}.actual.png")


def test_live_banner(scene, tmp_path):
    box, guide, canvas = scene
    screen = live(box, guide)
    screen.show_banner(time.monotonic())
    screen.draw(canvas, time.monotonic())
    check(canvas, "live_banner", tmp_path)


def test_live_info_volume_and_number_entry(scene, tmp_path):
    box, guide, canvas = scene
    screen = live(box, guide)
    now = time.monotonic()
    screen.handle("info", now)
    screen.handle("info", now)  # again while the banner shows: stream details
    screen.volume, screen.volume_until = (35, False), now + 5
    screen.handle("digit_4", now)
    screen.draw(canvas, now)
    screen.draw_toasts(canvas, now)
    check(canvas, "live_info_volume_number", tmp_path)


def test_live_channel_unavailable_with_a_notice(scene, tmp_path):
    box, guide, canvas = scene
    box.zap_number(6)
    screen = live(box, guide, StillZapper(StillPlayer(PlaybackState.FAILED, error="connection refused")))
    screen.notice, screen.notice_until = "No channel 55", time.monotonic() + 5
    screen.draw(canvas, time.monotonic())
    screen.draw_toasts(canvas, time.monotonic())
    check(canvas, "live_unavailable", tmp_path)


def test_live_parental_lock(scene, tmp_path):
    box, guide, canvas = scene
    box.parental.set_pin("2468")
    box.parental.toggle_channel_lock("cinema")
    box.zap_number(3)
    screen = live(box, guide)
    screen.update(time.monotonic())
    screen.handle("digit_1", time.monotonic())
    screen.pin_message = "Wrong PIN, 2 tries left"
    screen.draw(canvas, time.monotonic())
    check(canvas, "live_locked", tmp_path)


def test_channel_list(scene, tmp_path):
    box, guide, canvas = scene
    screen = live(box, guide)
    listing = ChannelListScreen(box, Theme(), lambda: guide)
    listing.handle("down", 0)
    listing.handle("down", 0)
    screen.draw(canvas, time.monotonic())
    listing.draw(canvas, time.monotonic())
    check(canvas, "channel_list", tmp_path)


def grid_screen(box, guide) -> GridScreen:
    def preview(canvas, rect):
        canvas.fill((40, 90, 140), rect)  # stands for the live picture

    return GridScreen(box, Theme(), lambda: guide, preview, lambda p, c: None, now=NOW)


def test_guide_grid(scene, tmp_path):
    box, guide, canvas = scene
    grid = grid_screen(box, guide)
    grid.handle("down", 0)
    grid.handle("down", 0)
    grid.handle("right", 0)
    grid.draw(canvas, time.monotonic())
    check(canvas, "guide_grid", tmp_path)


def test_guide_grid_on_a_row_without_guide(scene, tmp_path):
    box, guide, canvas = scene
    grid = grid_screen(box, guide)
    grid.handle("digit_6", 0)
    grid.handle("ok", 0)
    grid.handle("yellow", 0)  # a day back: the other rows are empty there too
    grid.draw(canvas, time.monotonic())
    check(canvas, "guide_grid_empty", tmp_path)


def test_programme_details(scene, tmp_path):
    box, guide, canvas = scene
    grid = grid_screen(box, guide)
    grid.handle("down", 0)
    grid.handle("down", 0)
    grid.handle("right", 0)
    grid.draw(canvas, time.monotonic())
    DetailsScreen(grid.model.focus, grid.model.channel, Theme(), lambda c: None).draw(canvas, time.monotonic())
    check(canvas, "details", tmp_path)


def settings_screen(box) -> SettingsScreen:
    hooks = Hooks(push=lambda s: None, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
                  refresh_guide_now=lambda: None, skins=lambda: ["default"])  # fmt: skip
    return SettingsScreen(box, Theme(), hooks)


def test_settings(scene, tmp_path):
    box, guide, canvas = scene
    screen = live(box, guide)
    settings = settings_screen(box)
    for _ in range(3):
        settings.handle("down", 0)
    screen.draw(canvas, time.monotonic())
    settings.draw(canvas, time.monotonic())
    check(canvas, "settings", tmp_path)


def test_pin_dialog_over_settings(scene, tmp_path):
    box, guide, canvas = scene
    screen = live(box, guide)
    settings = settings_screen(box)
    dialog = PinDialog("PIN to change parental settings", Theme(), lambda pin: None)
    dialog.handle("digit_1", 0)
    dialog.handle("digit_2", 0)
    for layer in (screen, settings, dialog):
        layer.draw(canvas, time.monotonic())
    check(canvas, "pin_dialog", tmp_path)
