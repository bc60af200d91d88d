"""The timeshift bar: what the buffer holds, where the picture is in it, how far behind live.

Drawn beside the banner (above a bottom banner, below a top one) while the banner shows, and on its
own while the picture is paused or winding, as PVRs do: a symbol (pause, play, ◀◀/▶▶), the speed
while winding, the buffer's first moment as a clock time, the track from the buffer's start to the
live edge with the position filled in and ticks where programmes begin, and "−12:34" behind live (or
LIVE). A skin places each part (layout ``timeshift``, :func:`stb.ui.layouts.timeshift`).
"""

from __future__ import annotations

import time

from stb.guide.times import format_local
from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.tv.timeshift import ShiftView
from stb.ui.fonts import Fonts
from stb.ui.layouts import font
from stb.ui.widgets import panel, text


def clock_text(seconds: float) -> str:
    """12:34 or 1:02:03."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def draw_shift_bar(
    canvas, t: Theme, fonts: Fonts, widgets: dict[str, Placed], view: ShiftView, starts: list[float], now: float
) -> None:
    """``widgets``: the bar's layout; ``starts``: programme starts on the buffer's clock (ticks on the track);
    ``now``: ``time.monotonic()``."""
    import pygame

    bar = pygame.Rect(widgets["bar"].rect)
    panel(canvas, bar, t, kind="timeshift")

    def place(name: str):
        return pygame.Rect(widgets[name].rect).move(bar.topleft)

    def say(name: str, value: str, colour) -> None:
        widget = widgets[name]
        if not widget.visible:
            return
        box, f = place(name), font(fonts, t, widget)
        x = {"left": box.x, "centre": box.centerx - f.size(value)[0] // 2, "right": box.right - f.size(value)[0]}
        text(canvas, f, value, colour, (x.get(widget.align, box.x), box.y), box.width)

    if widgets["symbol"].visible:
        _symbol(canvas, place("symbol"), view, t)
    if view.speed:
        say("speed", f"×{abs(view.speed)}", t.text)
    say("start", format_local(int(time.time() - (now - view.start_at))), t.text_dim)
    say("behind", "LIVE" if view.live else f"−{clock_text(view.behind_s)}", t.accent if view.live else t.text)
    track = place("track")
    span = max(1.0, view.live_at - view.start_at)
    radius = track.height // 2
    pygame.draw.rect(canvas, t.surface_raised, track, border_radius=radius)
    done = track.copy()
    done.width = max(track.height, round(track.width * min(1.0, max(0.0, (view.position - view.start_at) / span))))
    pygame.draw.rect(canvas, t.accent, done, border_radius=radius)
    for start in starts:  # where programmes begin
        if view.start_at < start < view.live_at:
            tick_x = track.x + round(track.width * (start - view.start_at) / span)
            pygame.draw.line(canvas, t.text, (tick_x, track.y - 6), (tick_x, track.bottom + 5), 2)
    pygame.draw.circle(canvas, t.text, (done.right, track.centery), track.height - 1)
    if view.error:
        small = fonts.get(t.font_small)
        text(canvas, small, view.error, t.warning, (track.x, bar.y + 2), track.width)


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
