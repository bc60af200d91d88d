"""The Settings screen's "Standby when taken" item: shown, toggled, saved (real Box, real pygame drawing)."""

from __future__ import annotations

import pygame

from stb.box import Box
from stb.config import StateStore
from stb.lineup.model import Channel, Lineup
from stb.settings import SettingsStore
from stb.skin.theme import Theme
from stb.ui.settings import Hooks, SettingsScreen

LINEUP = Lineup(name="t", channels=[Channel(number=1, id="c1", name="Channel 1", urls=["http://127.0.0.1:9/1.ts"])])


def test_standby_when_taken_is_shown_toggled_and_saved(tmp_path):
    box = Box(LINEUP, StateStore(tmp_path))
    box.start()
    hooks = Hooks(push=lambda screen: None, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
                  refresh_guide_now=lambda: None, skins=lambda: ["default"])  # fmt: skip
    screen = SettingsScreen(box, Theme(), hooks)
    screen.focus = next(i for i, item in enumerate(screen.items) if item.label == "Standby when taken")
    assert screen.items[screen.focus].value() == "On" and box.settings.standby_when_taken is True
    canvas = pygame.Surface((1280, 720))
    screen.draw(canvas, 0.0)
    pygame.image.save(canvas, str(tmp_path / "settings.png"))
    assert screen.handle("right", 0.0) and box.settings.standby_when_taken is False
    assert screen.items[screen.focus].value() == "Off"
    box.flush()
    assert SettingsStore(tmp_path).load().standby_when_taken is False
    assert screen.handle("ok", 0.0) and box.settings.standby_when_taken is True  # OK changes it too
