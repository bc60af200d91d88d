"""Small drawing pieces every screen shares: the translucent panel, fitted text, a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from stb.skin.theme import RGB, TITLE_SAFE, Theme
from stb.skin.widgets import Placed
from stb.ui import drawlog
from stb.ui.text import fit, wrap


def panel(canvas, rect, theme: Theme, colour: RGB | None = None, alpha: int | None = None, kind: str = "panel") -> None:
    """A rounded, translucent surface over the video (the banner, lists, dialogs; ``kind="toast"`` for a toast)."""
    fill = (*(colour or theme.surface), theme.surface_alpha if alpha is None else alpha)
    edge = theme.surface_raised if sum(abs(a - b) for a, b in zip(fill, theme.background, strict=False)) < 24 else None
    canvas.blit(_plate(tuple(rect.size), fill, theme.radius, edge), rect.topleft)  # a black plate on black: an edge
    drawlog.add(canvas, drawlog.Drawn(kind, tuple(rect)))


@lru_cache(maxsize=32)
def _plate(size: tuple[int, int], fill: tuple[int, ...], radius: int, edge: RGB | None):  # type: ignore[no-untyped-def]
    """A panel's surface, made once per size and look: screens redraw every frame, the same panels mostly
    (a full-screen translucent surface made anew each frame cost a trouble card a third of its frame time)."""
    import pygame

    surface = pygame.Surface(size, pygame.SRCALPHA)
    pygame.draw.rect(surface, fill, surface.get_rect(), border_radius=radius)
    if edge is not None:
        pygame.draw.rect(surface, edge, surface.get_rect(), width=2, border_radius=radius)
    return surface


def placer(widgets: Mapping[str, Placed], box) -> Callable[[str], Any]:  # type: ignore[no-untyped-def]
    """``at(name)``: where a layout's widget is on the canvas, its rect (relative to its container) moved into
    ``box``, the container's rect there."""
    import pygame

    def at(name: str):  # type: ignore[no-untyped-def]
        x, y, width, height = widgets[name].rect
        return pygame.Rect(box.x + x, box.y + y, width, height)

    return at


def safe_area(canvas, theme: Theme):
    """The title-safe rect (5% in from every edge), or the skin's margin where that is wider."""
    import pygame

    width, height = canvas.get_size()
    mx, my = max(theme.margin, round(width * TITLE_SAFE)), max(theme.margin, round(height * TITLE_SAFE))
    return pygame.Rect(mx, my, width - 2 * mx, height - 2 * my)


def scrim(canvas, theme: Theme) -> None:
    """Darken everything drawn so far, so a dialog reads as in front of it."""
    canvas.blit(_shade(tuple(canvas.get_size()), (*theme.background, theme.scrim_alpha)), (0, 0))


@lru_cache(maxsize=8)
def _shade(size: tuple[int, int], fill: tuple[int, ...]):  # type: ignore[no-untyped-def]
    import pygame

    shade = pygame.Surface(size, pygame.SRCALPHA)
    shade.fill(fill)
    return shade


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
    shown = fit(font, value, width) if width is not None else value
    rendered = font.render(shown, True, colour)
    drawn = canvas.blit(rendered, pos)
    if drawlog.active().detail and shown.strip():
        full = font.size(value)[0]
        drawlog.add(canvas, drawlog.Drawn("text", tuple(drawn), font.point_size, value, shown, width, full))
    return drawn


def paragraph(canvas, font, value: str, colour: RGB, pos: tuple[int, int], width: int, max_lines: int):
    """``value`` wrapped into at most ``max_lines`` lines of ``width``; returns the bottom y."""
    x, y = pos
    for line in wrap(font, value, width, max_lines):
        y = text(canvas, font, line, colour, (x, y)).bottom
    return y


def keys_hint(*pairs: tuple[str, str]) -> str:
    """One style for every key hint on the TV: "OK: watch  ·  Back: close"."""
    return "  ·  ".join(f"{key}: {what}" for key, what in pairs)


def place(canvas, piece, pos: tuple[int, int]):
    """Blit a piece drawn apart (a guide row, a cell's text) and carry what was drawn on it along."""
    drawn = canvas.blit(piece, pos)
    drawlog.place(canvas, piece, pos)
    return drawn


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

    x = theme.margin_x if theme.list_side == "left" else canvas.get_width() - theme.margin_x - width
    return pygame.Rect(x, theme.margin_y, width, canvas.get_height() - 2 * theme.margin_y)


def sheet(canvas, theme: Theme, fonts, title: str):
    """A titled panel on the skin's side over dimmed live TV (Settings, Paired devices, Other screens); its rect."""
    scrim(canvas, theme)
    rect = side_panel(canvas, theme, max(theme.list_width, 760))
    panel(canvas, rect, theme, alpha=250)
    text(canvas, fonts.get(theme.font_medium, bold=True), title, theme.text, (rect.x + 28, rect.y + 20))
    return rect


def top_free_y(theme: Theme) -> int:
    """Where a box at the top of live TV may start: under the banner when the skin puts it on top."""
    return theme.margin_y + (theme.banner_height + 16 if theme.banner_position == "top" else 0)


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


def toast_spot(canvas, theme: Theme, size: tuple[int, int], prefer: str = "top", side: str | None = None):
    """Where a toast of ``size`` covers no panel drawn this frame (the banner, a list, a dialog).

    Tried in order: the preferred edge of the title-safe area, then the other, then beside or between
    the panels; in each band, the free stretch nearest the middle (or the ``side`` edge). Returns the rect,
    narrowed to the free stretch when the toast is wider; on a screen with no free place, the preferred edge.
    """
    import pygame

    safe = safe_area(canvas, theme)
    w, h = size
    busy = [pygame.Rect(r) for r in drawlog.occupied(canvas)]
    ys = [safe.y, safe.bottom - h] if prefer == "top" else [safe.bottom - h, safe.y]
    ys += [r.bottom + 12 for r in busy] + [r.y - 12 - h for r in busy]
    for y in ys:
        if y < safe.y or y + h > safe.bottom:
            continue
        band = [r for r in busy if r.y < y + h and y < r.bottom]
        stretches, x = [], safe.x
        for r in sorted(band, key=lambda r: r.x):
            if r.x > x:
                stretches.append((x, r.x - 12))
            x = max(x, r.right + 12)
        if x < safe.right:
            stretches.append((x, safe.right))
        fitting = [(a, b) for a, b in stretches if b - a >= min(w, 320)]
        if not fitting:
            continue
        if side == "right":
            a, b = max(fitting, key=lambda s: s[1])
        elif side == "left":
            a, b = min(fitting, key=lambda s: s[0])
        else:
            a, b = min(fitting, key=lambda s: abs((s[0] + s[1]) / 2 - safe.centerx))
        width = min(w, b - a)
        if side == "right":
            left = b - width
        elif side == "left":
            left = a
        else:
            left = max(a, min(b - width, safe.centerx - width // 2))
        return pygame.Rect(left, y, width, h)
    rect = pygame.Rect(0, ys[0], min(w, safe.width), h)
    rect.centerx = safe.centerx
    return rect


def initials(name: str) -> str:
    """Up to three letters standing for a channel without a logo ("No Guide TV" → "NGT")."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:3]).upper() or "TV"
