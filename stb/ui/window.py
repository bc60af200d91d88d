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

    if fullscreen and not headless:
        os.environ.setdefault("SDL_VIDEO_WINDOW_POS", "0,0")  # a bare X server puts a new window where it is told
    flags = 0 if headless else pygame.SCALED | (pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE)
    try:
        pygame.display.init()
        pygame.font.init()
        window = pygame.display.set_mode(CANVAS_SIZE, flags)
        if fullscreen and not headless:
            _fill_the_screen()
    except pygame.error as exc:
        raise StbError(f"cannot open the TV window ({exc}); try --headless") from None
    pygame.display.set_caption(caption)
    pygame.mouse.set_visible(not fullscreen)
    return window


def _fill_the_screen() -> None:
    """Make the window cover the whole screen, with or without a window manager.

    SDL's full-screen request is a message to the window manager; on a bare X server (a box started by
    xinit, a kiosk) nobody answers it and the window stayed 1280x720 in the middle of a 1080p screen.
    So the window leaves full screen, is made borderless at the screen's size at 0,0 (which X does by
    itself), and asks for full screen again, for the window managers that are there. It was opened
    full screen, so SDL scales the 1280x720 canvas by any factor (1.5x on 1080p), not whole ones only.
    """
    import warnings

    import pygame

    size = pygame.display.get_desktop_sizes()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pygame-ce wants Window.get_surface; the canvas stays
        window = pygame.Window.from_display_module()
    window.set_windowed()
    window.borderless = True
    window.size = size
    window.position = (0, 0)
    window.set_fullscreen(desktop=True)
