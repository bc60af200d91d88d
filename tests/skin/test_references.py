"""Every shipped skin renders every screen, compared with a reviewed reference PNG per skin.

The renders come from `stb.ui.preview` (real Box, real SQLite guide, the player as the one seam)
at a fixed clock in UTC. A screen or skin that changes on purpose: rerun with
STB_UPDATE_REFERENCES=1, look at the PNGs in tests/skin/references/<skin>/, commit them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

from stb.skin.resolve import installed_skins, resolve
from stb.ui import preview
from stb.ui.layoutrules import judge
from tests.skin.folders import NOW

REFERENCES = Path(__file__).parent / "references"
TOLERANCE = 0.005  # share of pixels allowed to differ visibly (font rasteriser differences, not layout)
VISIBLE = 0.15  # colour distance (0..1) from which a pixel difference is visible
SHIPPED = ["default", "highcontrast", "operator", "hotel"]


def test_the_shipped_skins_are_installed():
    assert {p.name for p in installed_skins()} >= set(SHIPPED)


def check(canvas, reference: Path, tmp_path: Path) -> None:
    if os.environ.get("STB_UPDATE_REFERENCES") == "1":
        reference.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(canvas, str(reference))
        return
    assert reference.exists(), f"no reference {reference}: run with STB_UPDATE_REFERENCES=1 and review it"
    expected = pygame.image.load(str(reference)).convert(canvas)  # PNGs load as 24 bit, the canvas is 32
    assert expected.get_size() == canvas.get_size()
    # PixelArray.compare paints equal pixels white and visibly different ones black (no numpy needed).
    marks = pygame.PixelArray(canvas).compare(pygame.PixelArray(expected), distance=VISIBLE).make_surface()
    differ = pygame.mask.from_threshold(marks, (0, 0, 0), (1, 1, 1, 255)).count() / (1280 * 720)
    if differ > TOLERANCE:
        actual = tmp_path / f"{reference.parent.name}-{reference.name}"
        pygame.image.save(canvas, str(actual))
        pytest.fail(f"{differ:.2%} of pixels differ from {reference}; the new render is {actual}")


@pytest.mark.parametrize("screen", list(preview.SCREENS))
@pytest.mark.parametrize("skin", SHIPPED)
def test_every_screen_in_every_skin(skin, screen, tmp_path, fixed_clock):
    canvas, drawn = preview.render_recorded(screen, tmp_path / "scene", resolve(skin).theme, NOW)
    check(canvas, REFERENCES / skin / f"{screen}.png", tmp_path)
    assert any(d.kind == "text" for d in drawn) or screen == "standby", "the render recorded no text"
    found = judge(drawn)
    assert not found, f"{skin}/{screen} breaks the sofa rules:\n  " + "\n  ".join(map(str, found))
