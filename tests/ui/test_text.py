"""Text at 3 metres: the shipped fonts cover the scripts of the line-ups we meet, and nothing overflows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stb.ui.fonts import FACES, Fonts, face_path
from stb.ui.text import ELLIPSIS, fit, wrap


@pytest.fixture
def font():
    return Fonts().get(20)


def missing_glyphs(face: str, sample: str) -> list[str]:
    """Characters of ``sample`` the face has no glyph for (pygame.font would draw a box, silently)."""
    import pygame.freetype

    pygame.freetype.init()
    metrics = pygame.freetype.Font(str(face_path(face)), 20).get_metrics(sample)
    return [ch for ch, m in zip(sample, metrics, strict=True) if m is None and not ch.isspace()]


SAMPLES = ["Ça déménage à Zürich", "Новости 24", "Ειδήσεις", "Čeština Łódź Øre", "★ ‹ › … – ·"]


@pytest.mark.parametrize("face", sorted(FACES))
@pytest.mark.parametrize("sample", SAMPLES)
def test_every_shipped_face_has_the_glyphs(face, sample):
    assert not missing_glyphs(face, sample), f"{face} cannot draw {missing_glyphs(face, sample)}"


def test_cjk_is_not_covered_by_the_shipped_faces():
    assert missing_glyphs("regular", "漢字") == ["漢", "字"]  # the README says so: CJK needs a font from a skin


def test_fit_keeps_what_fits_and_cuts_the_rest_with_an_ellipsis(font):
    assert fit(font, "News", 500) == "News"
    cut = fit(font, "A very long programme title that cannot fit", 150)
    assert cut.endswith(ELLIPSIS) and font.size(cut)[0] <= 150
    assert fit(font, "Anything", 3) == ""


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=200), st.integers(min_value=0, max_value=600))
def test_fit_never_overflows(text, width):
    font = Fonts().get(20)
    assert font.size(fit(font, text, width))[0] <= max(width, 0) or fit(font, text, width) == text == ""


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.integers(min_value=30, max_value=600),
       st.integers(min_value=1, max_value=6))  # fmt: skip
def test_wrap_stays_in_its_box(text, width, lines):
    font = Fonts().get(20)
    wrapped = wrap(font, text, width, lines)
    assert len(wrapped) <= lines
    assert all(font.size(line)[0] <= width for line in wrapped)
