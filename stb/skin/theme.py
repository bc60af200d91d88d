"""The resolved look the screens draw with: colours, fonts, sizes and layout choices, flat.

Skins (`stb/skin/`) resolve into a Theme per screen; screens read every colour and size from it,
never from literals in drawing code. The defaults here are the built-in emergency skin: what the
box draws with when no skin can be read at all, and what every skin chain starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]
CANVAS = (1280, 720)  # the logical canvas every screen draws on
TITLE_SAFE = 0.05  # of the width and of the height, on each side: inside it every TV shows text whole


@dataclass(frozen=True)
class Theme:
    background: RGB = (8, 10, 16)
    surface: RGB = (18, 24, 38)
    surface_alpha: int = 245  # panels over the video: the video's own text must not show through
    scrim_alpha: int = 170  # how much a dialog darkens the screen behind it
    surface_raised: RGB = (52, 60, 82)
    text: RGB = (240, 242, 248)
    text_dim: RGB = (160, 168, 186)
    accent: RGB = (64, 156, 255)
    focus_text: RGB = (8, 10, 16)  # text on the accent
    warning: RGB = (255, 176, 32)
    error: RGB = (255, 86, 86)
    font_number: int = 56
    font_large: int = 36
    font_medium: int = 26
    font_small: int = 20
    banner_height: int = 140
    logo_size: tuple[int, int] = (120, 84)  # the banner's channel logo, fitted inside
    progress_width: int = 380
    progress_height: int = 8
    margin: int = 48
    radius: int = 14
    banner_seconds: float = 5.0
    notice_seconds: float = 3.0
    # the guide grid
    grid_row_height: int = 48
    grid_channel_width: int = 230
    grid_minutes: int = 120  # time shown across the grid
    grid_gap: int = 3
    now_line: RGB = (255, 86, 86)
    genre_colours: tuple[tuple[str, RGB], ...] = (  # genre family → colour of the cell's stripe
        ("movie", (230, 120, 60)),
        ("sport", (70, 190, 90)),
        ("news", (80, 150, 240)),
        ("kids", (240, 200, 60)),
        ("documentary", (60, 190, 190)),
        ("series", (180, 110, 230)),
        ("music", (240, 100, 170)),
        ("entertainment", (150, 160, 175)),
    )

    colour_keys: tuple[RGB, RGB, RGB, RGB] = ((220, 60, 60), (60, 180, 80), (230, 200, 50), (60, 120, 230))
    banner_position: str = "bottom"  # or "top"
    list_side: str = "left"  # where the channel list and Settings panels sit; or "right"
    list_width: int = 620
    list_row_height: int = 52
    fonts: tuple[tuple[str, str], ...] = ()  # face → font file; empty: the fonts shipped in the package
    brand_logo: str | None = None  # an image file, drawn on the banner and the guide
    skin: str = "built-in"
    # layout → ((widget, ((key, value), …)), …): a skin's placements over the code's defaults (stb.skin.widgets)
    layouts: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, object], ...]], ...]], ...] = ()

    def layout(self, name: str) -> dict[str, dict[str, object]]:
        """The skin's widget placements for layout ``name`` (empty: the code's defaults throughout)."""
        for layout, widgets in self.layouts:
            if layout == name:
                return {widget: dict(spec) for widget, spec in widgets}
        return {}

    def font_size(self, role: str) -> int:
        """The pixel size of a font role (number, large, medium, small)."""
        return int(getattr(self, f"font_{role}"))

    @property
    def margin_x(self) -> int:
        """Left and right distance of everything from the edge: the skin's margin, never outside title-safe."""
        return max(self.margin, round(CANVAS[0] * TITLE_SAFE))

    @property
    def margin_y(self) -> int:
        """Top and bottom distance: the skin's margin, never outside title-safe."""
        return max(self.margin, round(CANVAS[1] * TITLE_SAFE))

    def genre_colour(self, family: str | None) -> RGB | None:
        return dict(self.genre_colours).get(family) if family else None
