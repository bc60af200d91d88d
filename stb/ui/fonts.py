"""Fonts, opened once per size: pygame fonts are slow to open and cheap to keep.

One cache per UI (not a module global), because fonts die with `pygame.quit()`.
"""

from __future__ import annotations


class Fonts:
    def __init__(self) -> None:
        self._open: dict[tuple[int, bool], object] = {}

    def get(self, size: int, bold: bool = False):
        import pygame

        key = (size, bold)
        if key not in self._open:
            font = pygame.font.Font(None, size)  # pygame's bundled font: there even on a bare machine
            font.set_bold(bold)
            self._open[key] = font
        return self._open[key]
