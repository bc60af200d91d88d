"""The timeshift bar: what the buffer holds, where the picture is in it, how far behind live.

Drawn beside the banner (above a bottom banner, below a top one) while the banner shows, and on its
own while the picture is paused or winding, as PVRs do: a symbol (pause, play, ◀◀/▶▶ with the speed),
the buffer's first moment as a clock time, the bar from the buffer's start to the live edge with the
position filled in and ticks where programmes begin, and "−12:34" behind live (or LIVE).
"""

from __future__ import annotations

import time

from stb.guide.times import format_local
from stb.skin.theme import Theme
from stb.tv.timeshift import ShiftView
from stb.ui.fonts import Fonts
from stb.ui.widgets import panel, text

HEIGHT = 48
GAP = 8


def clock_text(seconds: float) -> str:
    """12:34 or 1:02:03."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def bar_rect(banner, theme: Theme):
    """Beside the banner, on the side towards the middle of the screen."""
    import pygame

    y = banner.y - GAP - HEIGHT if theme.banner_position != "top" else banner.bottom + GAP
    return pygame.Rect(banner.x, y, banner.width, HEIGHT)


def draw_shift_bar(canvas, rect, t: Theme, fonts: Fonts, view: ShiftView, starts: list[float], now: float) -> None:
    """``starts``: programme starts on the buffer's clock (ticks on the bar); ``now``: ``time.monotonic()``."""
    import pygame

    panel(canvas, rect, t, kind="timeshift")
    small = fonts.get(t.font_small)
    mid = rect.centery
    symbol = pygame.Rect(rect.x + 16, mid - 10, 20, 20)
    _symbol(canvas, symbol, view, t)
    x = symbol.right + 12
    if view.speed:
        x = text(canvas, small, f"×{abs(view.speed)}", t.text, (x, mid - small.get_height() // 2)).right + 12
    began = format_local(int(time.time() - (now - view.start_at)))
    x = text(canvas, small, began, t.text_dim, (x, mid - small.get_height() // 2)).right + 16
    tail = "LIVE" if view.live else f"−{clock_text(view.behind_s)}"
    tail_w = small.size("−0:00:00")[0]
    text(
        canvas,
        small,
        tail,
        t.accent if view.live else t.text,
        (rect.right - 16 - tail_w, mid - small.get_height() // 2),
    )
    track = pygame.Rect(x, mid - 5, rect.right - 32 - tail_w - x, 10)
    span = max(1.0, view.live_at - view.start_at)
    pygame.draw.rect(canvas, t.surface_raised, track, border_radius=5)
    done = track.copy()
    done.width = max(track.height, round(track.width * min(1.0, max(0.0, (view.position - view.start_at) / span))))
    pygame.draw.rect(canvas, t.accent, done, border_radius=5)
    for start in starts:  # where programmes begin
        if view.start_at < start < view.live_at:
            tick_x = track.x + round(track.width * (start - view.start_at) / span)
            pygame.draw.line(canvas, t.text, (tick_x, track.y - 6), (tick_x, track.bottom + 5), 2)
    pygame.draw.circle(canvas, t.text, (done.right, mid), 9)
    if view.error:
        text(canvas, small, view.error, t.warning, (track.x, rect.y + 2), track.width)


def _symbol(canvas, box, view: ShiftView, t: Theme) -> None:
    """Pause bars, a play triangle, or two triangles pointing the way the picture winds."""
    import pygame

    if view.paused:
        pygame.draw.rect(canvas, t.text, (box.x + 2, box.y, 6, box.height))
        pygame.draw.rect(canvas, t.text, (box.right - 8, box.y, 6, box.height))
        return
    if not view.speed:
        pygame.draw.polygon(canvas, t.text, [box.topleft, box.bottomleft, (box.right, box.centery)])
        return
    half = box.width // 2
    for left in (box.x, box.x + half):
        if view.speed > 0:
            points = [(left, box.y), (left, box.bottom), (left + half, box.centery)]
        else:
            points = [(left + half, box.y), (left + half, box.bottom), (left, box.centery)]
        pygame.draw.polygon(canvas, t.text, points)
