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


def test_the_network_tuner_switch_asks_first_then_is_saved(tmp_path):
    box = Box(LINEUP, StateStore(tmp_path))
    box.start()
    pushed: list = []
    hooks = Hooks(push=pushed.append, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
                  refresh_guide_now=lambda: None, skins=lambda: ["default"])  # fmt: skip
    screen = SettingsScreen(box, Theme(), hooks)
    screen.focus = next(i for i, item in enumerate(screen.items) if item.label == "Offer this box as a network tuner")
    assert screen.items[screen.focus].value() == "Off" and box.settings.network_tuner is False  # off by default
    canvas = pygame.Surface((1280, 720))
    screen.draw(canvas, 0.0)
    pygame.image.save(canvas, str(tmp_path / "settings-tuner.png"))
    assert screen.handle("right", 0.0) and box.settings.network_tuner is False  # not yet: a dialog asks
    (dialog,) = pushed
    dialog.draw(canvas, 0.0)
    pygame.image.save(canvas, str(tmp_path / "settings-tuner-confirm.png"))
    dialog.handle("ok", 0.0)  # Cancel is focused: nothing changes
    assert box.settings.network_tuner is False
    screen.handle("right", 0.0)
    pushed[-1].handle("right", 0.0)
    pushed[-1].handle("ok", 0.0)
    assert box.settings.network_tuner is True and screen.items[screen.focus].value() == "On"
    box.flush()
    assert SettingsStore(tmp_path).load().network_tuner is True
    screen.handle("left", 0.0)  # off needs no question
    assert box.settings.network_tuner is False and len(pushed) == 2
