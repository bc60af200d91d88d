"""Pressing keys on a running app in tests: a real KEYDOWN through pygame's queue, then one frame."""

from __future__ import annotations

import pygame


def press(app, key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode="", mod=0, scancode=0))
    app.step()
