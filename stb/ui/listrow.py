"""One row of the channel list, drawn in the skin's `list_row` widgets from words made beforehand (the Renderer).

The channel list (:mod:`stb.ui.channellist`) is the converter: it turns a channel, the guide's title on now
and the box's favourites into a :class:`RowData`; this module draws that and knows nothing of either.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.ui.fonts import Fonts
from stb.ui.layouts import font
from stb.ui.text import wrap
from stb.ui.widgets import placer, star, text


@dataclass(frozen=True)
class RowData:
    number: str
    name: str
    logo: str | None
    now: str  # the title on now, "" when the guide knows none
    favourite: bool
    current: bool  # the channel the TV shows
    focused: bool


def aligned(canvas, f, value: str, colour, box, align: str = "left", width: int | None = None):
    """``value`` on one line in ``box`` at ``align`` (cut to ``width`` when given), centred on the box's height;
    returns the drawn rect."""
    if width is not None:
        from stb.ui.text import fit

        value = fit(f, value, width)
    w = f.size(value)[0]
    x = {"left": box.x, "right": box.right - w, "centre": box.centerx - w // 2}[align]
    return text(canvas, f, value, colour, (x, box.y + (box.height - f.get_height()) // 2))


def _lines(canvas, f, value: str, colour, box, widget: Placed, room: int):
    """``value`` in ``box``: one line cut to ``room``, or up to the widget's lines wrapped; the last line's rect."""
    import pygame

    if widget.lines <= 1:
        return aligned(canvas, f, value, colour, box, widget.align, room)
    drawn, y = None, box.y
    for line in wrap(f, value, room, min(widget.lines, max(1, box.height // f.get_linesize()))):
        drawn = aligned(canvas, f, line, colour, pygame.Rect(box.x, y, box.width, f.get_height()), widget.align)
        y += f.get_linesize()
    return drawn


def draw_row(canvas, line, t: Theme, fonts: Fonts, widgets: dict[str, Placed], d: RowData, logo) -> None:
    """The row in ``line`` (its rect on the canvas): focus plate, on-now marker, number, logo, name, star, title."""
    import pygame

    at = placer(widgets, line)

    if d.focused:
        pygame.draw.rect(canvas, t.accent, line, border_radius=t.radius // 2)
    if d.current and widgets["marker"].visible:  # what the TV shows now: a bar at the row's edge
        pygame.draw.rect(canvas, t.focus_text if d.focused else t.accent, at("marker"), border_radius=2)
    colour = t.focus_text if d.focused else t.text
    if widgets["number"].visible:
        aligned(canvas, font(fonts, t, widgets["number"]), d.number, colour, at("number"), widgets["number"].align)
    if logo is not None:
        canvas.blit(logo, logo.get_rect(center=at("logo").center))
    star_widget, star_colour = widgets["favourite"], colour if d.focused else t.warning
    flowing = d.favourite and star_widget.visible and not star_widget.placed
    if widgets["name"].visible:
        box = at("name")
        name = _lines(canvas, font(fonts, t, widgets["name"]), d.name, colour, box, widgets["name"],
                      box.width - (22 if flowing else 0))  # fmt: skip
        if flowing and name is not None:
            star(canvas, (name.right + 12, name.centery), 8, star_colour)
    if d.favourite and star_widget.visible and star_widget.placed:
        spot = at("favourite")
        star(canvas, spot.center, min(spot.width, spot.height) // 2, star_colour)
    if d.now and widgets["now"].visible:
        box = at("now")
        _lines(canvas, font(fonts, t, widgets["now"]), d.now, t.focus_text if d.focused else t.text_dim, box,
               widgets["now"], box.width)  # fmt: skip
