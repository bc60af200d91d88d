"""Standby on the TV, through real key presses on a running box playing the demo head-end."""

from __future__ import annotations

import time

import pygame
import pytest

from stb.bench.zap import channel_on_screen
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.player.engine import EngineOptions, PlaybackState
from stb.ui.app import App
from tests.ui.keys import press, step_until

pytestmark = pytest.mark.slow


@pytest.fixture
def app(headend, tmp_path):
    host, port = headend
    application = App(demo_lineup(host, port), headless=True, store=StateStore(tmp_path), pretune=1,
                      engine_options=EngineOptions(connect_timeout_s=4.0), guide_db=tmp_path / "guide.db")  # fmt: skip
    application.start()
    yield application
    application.close()


def lit_share(surface) -> float:
    """Share of pixels that are not black."""
    lit = pygame.mask.from_threshold(surface, (0, 0, 0), (1, 1, 1, 255))
    return 1 - lit.count() / (surface.get_width() * surface.get_height())


def test_power_key_goes_dark_ignores_other_keys_and_wakes_on_the_same_channel(app, tmp_path):
    step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen")
    press(app, pygame.K_g)  # the guide is open when the viewer switches off
    press(app, pygame.K_p)
    assert app.box.standby and app.overlays == []
    assert all(p.state is PlaybackState.IDLE and p.channel is None for p in app.zapper.players)
    app.save_screenshot(tmp_path / "standby.png")
    dark = pygame.image.load(str(tmp_path / "standby.png"))
    assert 0 < lit_share(dark) < 0.01, "standby is a black screen with only a small clock lit"
    brightest = max(dark.get_at((x, y))[:3] for x in range(0, 1280, 2) for y in range(0, 720, 2))
    assert max(brightest) < max(app.theme.text_dim), f"the clock should be dimmer than text_dim, got {brightest}"

    for key in (pygame.K_UP, pygame.K_5, pygame.K_RETURN, pygame.K_g, pygame.K_m):  # a remote someone sat on
        press(app, key)
    assert app.box.standby and app.box.current.number == 1 and not app.box.state.muted and app.overlays == []

    press(app, pygame.K_p)
    assert not app.box.standby
    step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 back after waking")
    app.step()
    app.save_screenshot(tmp_path / "woken.png")
    assert app.screen.banner_until > time.monotonic()  # waking shows which channel is on
