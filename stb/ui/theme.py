"""The look of the walking skeleton in one place.

Stand-in for the skin system (issue: skins): screens read every colour and size from here, never
from literals in drawing code, so resolved skins can replace this object without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Theme:
    background: RGB = (8, 10, 16)
    surface: RGB = (18, 24, 38)
    surface_alpha: int = 225
    surface_raised: RGB = (52, 60, 82)
    text: RGB = (240, 242, 248)
    text_dim: RGB = (160, 168, 186)
    accent: RGB = (64, 156, 255)
    warning: RGB = (255, 176, 32)
    error: RGB = (255, 86, 86)
    font_number: int = 84
    font_large: int = 56
    font_medium: int = 34
    font_small: int = 24
    banner_height: int = 140
    progress_width: int = 380
    progress_height: int = 8
    margin: int = 48
    radius: int = 14
    banner_seconds: float = 5.0
    notice_seconds: float = 3.0
