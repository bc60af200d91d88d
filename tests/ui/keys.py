"""Driving a running app in tests: a real KEYDOWN through pygame's queue, and frames until something happens."""

from __future__ import annotations

import time

import pygame
import pytest

from stb.bench.zap import channel_on_screen


def press(app, key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode="", mod=0, scancode=0))
    app.step()


def step_until(app, condition, what: str = "the condition", timeout: float = 20.0) -> None:
    """Run the app's frames until ``condition()``; after ``timeout`` s fail with what the player was doing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step()
        if condition():
            return
        time.sleep(1 / 60)
    player = app.player
    pytest.fail(f"timed out waiting for {what}; player: {player.state}, error: {player.error}, "
                f"on screen: {channel_on_screen(player)}, standby: {app.box.standby}")  # fmt: skip
