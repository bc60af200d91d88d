"""The guide's details pane as Source → Converter → Renderer: words made from the guide, then drawn.

:func:`details_data` turns a channel and a programme into the strings the pane shows; :func:`draw_details`
draws them in its widget and knows nothing of the guide.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.ui.fonts import Fonts
from stb.ui.programmeinfo import facts, heading, when
from stb.ui.text import wrap
from stb.ui.widgets import text


@dataclass(frozen=True)
class DetailsData:
    label: str  # "3  Cinema One", or the channel number being typed
    title: str  # "No information" without a programme
    when: str = ""
    facts: str = ""
    description: str = ""
    known: bool = True  # a programme is focused


def details_data(channel: Channel, focus: Programme | None, digits: str | None, wall: float) -> DetailsData:
    label = f"Channel {digits}_" if digits is not None else f"{channel.number}  {channel.name}"
    if focus is None:
        return DetailsData(label, "No information", known=False)
    return DetailsData(label, heading(focus), when(focus, wall), facts(focus), focus.description or "")


def draw_details(surface, t: Theme, fonts: Fonts, widget: Placed, d: DetailsData) -> None:
    """The pane on its own piece: the label, title, time, facts and as much description as fits."""
    x, y = 0, 0
    width = surface.get_width() - 32
    small, medium, large = fonts.get(t.font_small), fonts.get(t.font_medium), fonts.get(t.font_large)
    text(surface, fonts.get(t.font_small, bold=True), d.label, t.accent, (x, y), width)
    y += small.get_linesize() + 6
    if not d.known:
        text(surface, large, d.title, t.text_dim, (x, y), width)
        return
    text(surface, large, d.title, t.text, (x, y), width)
    y += large.get_linesize() + 2
    text(surface, medium, d.when, t.text, (x, y), width)
    y += medium.get_linesize() + 4
    if d.facts:
        text(surface, small, d.facts, t.text_dim, (x, y), width)
        y += small.get_linesize() + 6
    lines_left = min(widget.lines, max(0, (surface.get_height() - y) // small.get_linesize()))
    for line in wrap(small, d.description, width, lines_left):
        text(surface, small, line, t.text, (x, y))
        y += small.get_linesize()
