"""A QR code drawn with pygame, so a phone's camera opens the box's web page without typing an address.

segno makes the matrix; this only paints it: dark modules on a white square with the quiet zone
QR readers need (4 modules), scaled to whole pixels so every module is sharp.
"""

from __future__ import annotations

import segno


def qr_surface(text: str, max_size: int):
    """A square surface at most ``max_size`` pixels wide with ``text`` as a QR code (medium error correction)."""
    import pygame

    code = segno.make(text, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    modules = len(rows)
    scale = max(1, max_size // modules)
    surface = pygame.Surface((modules * scale, modules * scale))
    surface.fill((255, 255, 255))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                surface.fill((0, 0, 0), (x * scale, y * scale, scale, scale))
    return surface
