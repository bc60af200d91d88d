"""One Settings row (or a section's heading), drawn in the skin's `settings_row` widgets from words made beforehand.

The Settings screen turns an item into its label and value; this module draws them and knows nothing of settings.
By default the value takes the room it needs at the row's right end and the label the rest, as before layouts;
a skin that places the value gives each its own rectangle.
"""

from __future__ import annotations

from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.ui.fonts import Fonts
from stb.ui.layouts import font
from stb.ui.listrow import aligned
from stb.ui.widgets import text


def _at(row, widget: Placed):
    import pygame

    x, y, w, h = widget.rect
    return pygame.Rect(row.x + x, row.y + y, w, h)


def draw_section(canvas, row, t: Theme, fonts: Fonts, widgets: dict[str, Placed], heading: str) -> None:
    """A section's heading in ``row`` (the rect of a row on the canvas)."""
    widget = widgets["section"]
    if widget.visible:
        aligned(canvas, font(fonts, t, widget), heading, t.accent, _at(row, widget), widget.align, widget.rect[2])


def draw_setting(canvas, row, t: Theme, fonts: Fonts, widgets: dict[str, Placed], label: str, value: str,
                 focused: bool) -> None:  # fmt: skip
    """The focus plate, the label and the value of one setting in ``row``."""
    import pygame

    if focused:
        pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
    colour, dim = (t.focus_text, t.focus_text) if focused else (t.text, t.text_dim)
    name, shown = widgets["label"], widgets["value"]
    label_font, value_font = font(fonts, t, name), font(fonts, t, shown)
    box = _at(row, name)
    if shown.placed:  # each in its own rectangle
        aligned(canvas, label_font, label, colour, box, name.align, box.width)
        if value and shown.visible:
            aligned(canvas, value_font, value, dim, _at(row, shown), shown.align, shown.rect[2])
        return
    spot = _at(row, shown)
    value = value if shown.visible else ""
    value_room = spot.width - label_font.size(label)[0] - 24
    shown_w = min(value_font.size(value)[0], max(value_room, row.width // 3)) if value else 0
    aligned(canvas, label_font, label, colour, box, name.align, box.width - shown_w - 24)
    if value:  # at the right end, in the room it was given
        text(canvas, value_font, value, dim, (spot.right - shown_w, spot.y + (spot.height - value_font.get_height())
                                              // 2), shown_w)  # fmt: skip
