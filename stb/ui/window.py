"""The TV window: pygame's display at the logical canvas size, or a dummy one when headless."""

from __future__ import annotations

import os

from stb.errors import StbError

CANVAS_SIZE = (1280, 720)  # the logical canvas every screen draws on


def display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_window(caption: str, headless: bool, fullscreen: bool):
    """The window (a dummy one when headless: same drawing, nothing shown), at the logical canvas size.

    SDL scales the canvas to the window or the full screen (on the GPU where there is one), so every screen
    draws at 1280x720 and a 1080p TV gets a sharp 1.5x picture for free.
    """
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"  # set before pygame starts: no window, same drawing
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    flags = 0 if headless else pygame.SCALED | (pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE)
    try:
        pygame.display.init()
        pygame.font.init()
        window = pygame.display.set_mode(CANVAS_SIZE, flags)
    except pygame.error as exc:
        raise StbError(f"cannot open the TV window ({exc}); try --headless") from None
    pygame.display.set_caption(caption)
    pygame.mouse.set_visible(not fullscreen)
    return window
