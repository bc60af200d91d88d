"""Font loading with a cache: pygame fonts are slow to open and cheap to keep."""

from __future__ import annotations

from functools import cache


@cache
def font(size: int, bold: bool = False):
    import pygame

    f = pygame.font.Font(None, size)  # pygame's bundled font: always there, even on a bare machine
    f.set_bold(bold)
    return f
