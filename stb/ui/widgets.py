"""Small drawing pieces every screen shares: the translucent panel, fitted text, a progress bar."""

from __future__ import annotations

from stb.skin.theme import RGB, Theme
from stb.ui.text import fit


def panel(canvas, rect, theme: Theme, colour: RGB | None = None, alpha: int | None = None) -> None:
    """A rounded, translucent surface over the video (the banner, lists, dialogs)."""
    import pygame

    surface = pygame.Surface(rect.size, pygame.SRCALPHA)
    fill = (*(colour or theme.surface), theme.surface_alpha if alpha is None else alpha)
    pygame.draw.rect(surface, fill, surface.get_rect(), border_radius=theme.radius)
    canvas.blit(surface, rect.topleft)


def scrim(canvas, theme: Theme) -> None:
    """Darken everything drawn so far, so a dialog reads as in front of it."""
    import pygame

    shade = pygame.Surface(canvas.get_size(), pygame.SRCALPHA)
    shade.fill((*theme.background, theme.scrim_alpha))
    canvas.blit(shade, (0, 0))


def dialog(canvas, theme: Theme, size: tuple[int, int]):
    """A panel in the middle of the screen, everything behind it darkened; returns its rect."""
    import pygame

    scrim(canvas, theme)
    rect = pygame.Rect((0, 0), size)
    rect.center = canvas.get_rect().center
    panel(canvas, rect, theme, alpha=250)
    return rect


def centred_text(canvas, font, value: str, colour: RGB, centre_x: int, y: int, width: int | None = None):
    """``value`` centred on ``centre_x`` at ``y``, cut with an ellipsis to ``width``; returns the drawn rect."""
    if width is not None:
        value = fit(font, value, width)
    return text(canvas, font, value, colour, (centre_x - font.size(value)[0] // 2, y))


def text(canvas, font, value: str, colour: RGB, pos: tuple[int, int], width: int | None = None):
    """Draw ``value`` at ``pos`` (top-left), cut with an ellipsis to ``width``; returns the drawn rect."""
    if width is not None:
        value = fit(font, value, width)
    rendered = font.render(value, True, colour)
    return canvas.blit(rendered, pos)


def progress(canvas, rect, fraction: float, theme: Theme) -> None:
    import pygame

    radius = rect.height // 2
    pygame.draw.rect(canvas, theme.surface_raised, rect, border_radius=radius)
    done = rect.copy()
    done.width = max(rect.height, round(rect.width * min(1.0, max(0.0, fraction))))
    pygame.draw.rect(canvas, theme.accent, done, border_radius=radius)


def side_panel(canvas, theme: Theme, width: int):
    """The rect of a full-height panel on the skin's side (the channel list, Settings)."""
    import pygame

    x = theme.margin if theme.list_side == "left" else canvas.get_width() - theme.margin - width
    return pygame.Rect(x, theme.margin, width, canvas.get_height() - 2 * theme.margin)


def sheet(canvas, theme: Theme, fonts, title: str):
    """A titled panel on the skin's side over dimmed live TV (Settings, Paired devices, Other screens); its rect."""
    scrim(canvas, theme)
    rect = side_panel(canvas, theme, max(theme.list_width, 760))
    panel(canvas, rect, theme, alpha=250)
    text(canvas, fonts.get(theme.font_medium, bold=True), title, theme.text, (rect.x + 28, rect.y + 20))
    return rect


def top_free_y(theme: Theme) -> int:
    """Where a box at the top of live TV may start: under the banner when the skin puts it on top."""
    return theme.margin + (theme.banner_height + 16 if theme.banner_position == "top" else 0)


def star(canvas, centre: tuple[int, int], radius: int, colour: RGB) -> None:
    """A five-pointed star drawn, not typed: a skin's font may have no ★ glyph."""
    import math

    import pygame

    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)))
    pygame.draw.polygon(canvas, colour, points)


def fit_image(image, size: tuple[int, int]):
    """``image`` scaled to fit inside ``size``, aspect kept; None for an empty image."""
    import pygame

    width, height = image.get_size()
    if not width or not height:
        return None
    scale = min(size[0] / width, size[1] / height)
    return pygame.transform.smoothscale(image, (max(1, round(width * scale)), max(1, round(height * scale))))


class FittedImages:
    """Local images (a skin's brand logo) loaded and fitted once per size; None if unreadable."""

    def __init__(self) -> None:
        self._fitted: dict[tuple[str, int, int], object] = {}

    def get(self, path: str | None, size: tuple[int, int]):
        import pygame

        if not path:
            return None
        key = (path, *size)
        if key not in self._fitted:
            try:
                self._fitted[key] = fit_image(pygame.image.load(path), size)
            except (pygame.error, OSError):
                self._fitted[key] = None
        return self._fitted[key]
