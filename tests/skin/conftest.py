import os

import pytest


@pytest.fixture(autouse=True)
def _pygame_ready():
    """Skins load fonts and images through pygame (SDL's dummy driver: no screen)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.display.init()
    pygame.font.init()
