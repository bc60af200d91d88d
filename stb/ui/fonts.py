"""Fonts, opened once per (face, size): pygame fonts are slow to open and cheap to keep.

The faces ship in the package (DejaVu, Bitstream Vera licence: Latin, Greek, Cyrillic and the
symbols the UI uses), so the TV looks the same on every box; a skin may bring its own. One cache per UI (not a
module global), because fonts die with `pygame.quit()`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FACES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "condensed": "DejaVuSansCondensed.ttf",  # grid cells and dense lists: more title per pixel
    "condensed_bold": "DejaVuSansCondensed-Bold.ttf",
}


def face_path(face: str) -> Path:
    return Path(str(resources.files("stb.assets").joinpath("fonts", FACES[face])))


class Fonts:
    def __init__(self, faces: tuple[tuple[str, str], ...] = ()) -> None:
        """``faces``: a skin's font files by face; the faces it leaves out are the shipped ones."""
        self._files = dict(faces)
        self._open: dict[tuple[str, int], object] = {}

    def get(self, size: int, bold: bool = False, face: str | None = None):
        """The font of ``face`` (or regular/bold) at ``size`` pixels."""
        import pygame

        face = face or ("bold" if bold else "regular")
        key = (face, size)
        if key not in self._open:
            self._open[key] = pygame.font.Font(self._files.get(face) or face_path(face), size)
        return self._open[key]
