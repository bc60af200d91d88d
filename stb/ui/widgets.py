"""Small drawing pieces every screen shares: the translucent panel, fitted text, a progress bar."""

from __future__ import annotations

from stb.ui.text import fit
from stb.ui.theme import RGB, Theme


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
