import json
import os
import time
from pathlib import Path

import pytest

from tests.skin.folders import NOW


@pytest.fixture(autouse=True)
def _pygame_ready():
    """Skins load fonts and images through pygame (SDL's dummy driver: no screen)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.display.init()
    pygame.font.init()


@pytest.fixture
def skins(tmp_path, monkeypatch):
    """A user skin directory searched before the shipped skins; returns a writer of skins."""
    root = tmp_path / "skins"
    root.mkdir()
    monkeypatch.setenv("STB_SKINS_DIR", str(root))

    def write(name: str, data: dict | str, files: dict[str, bytes] | None = None) -> Path:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "skin.json").write_text(data if isinstance(data, str) else json.dumps(data))
        for rel, content in (files or {}).items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        return folder

    return write


@pytest.fixture
def fixed_clock(monkeypatch):
    """UTC at ``NOW``: the clock every reference render shows."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(time, "time", lambda: float(NOW))
    yield
    monkeypatch.undo()
    time.tzset()  # back to the machine's zone for the tests after this one
