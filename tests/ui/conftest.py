import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _pygame_headless():
    """Real pygame rendering without a screen: SDL's dummy video driver."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ["SDL_AUDIODRIVER"] = "dummy"
    import pygame

    pygame.display.init()
    pygame.font.init()
    yield
    pygame.quit()


@pytest.fixture(autouse=True)
def _pygame_ready():
    """App tests end with pygame.quit(); tests that draw without an App need pygame up again."""
    import pygame

    pygame.display.init()
    pygame.font.init()
