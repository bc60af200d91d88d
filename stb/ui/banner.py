"""The live banner as Source → Converter → Renderer: the TV's state made into words, then drawn in the skin's widgets.

:func:`banner_data` turns the channel, the guide's now/next and the player's state into the strings and
fractions the banner shows; :func:`draw_banner` draws them where the skin's `banner` layout puts each
widget (:mod:`stb.ui.layouts`) and knows nothing of the TV core, the guide or the player.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.guide.query import Programme
from stb.guide.times import format_local
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.ui.fonts import Fonts
from stb.ui.layouts import font
from stb.ui.text import fit
from stb.ui.widgets import centred_text, initials, placer, progress, star, text


@dataclass(frozen=True)
class BannerData:
    number: str  # "▶" for a stream flung from a laptop
    name: str
    initials: str  # on the logo's plate while there is no logo
    logo: str | None  # the logo's URL
    favourite: bool
    clock: str
    state: str  # "Tuning…", or ""
    now: str = ""  # "08:00–08:30  Weather and Traffic"
    next: str = ""  # "Next 08:30  World Report"
    groups: str = ""  # said instead when the guide knows nothing
    progress: float | None = None
    recording: bool = False  # the channel on screen is being recorded: a red REC mark


def banner_data(channel: Channel, flung: bool, favourite: bool, now_next: tuple[Programme | None, Programme | None],
                state: str, wall: float) -> BannerData:  # fmt: skip
    current, upcoming = now_next
    return BannerData(
        number="▶" if flung else str(channel.number), name=channel.name, initials=initials(channel.name),
        logo=channel.logo, favourite=favourite, clock=format_local(int(wall)), state=state,
        now=f"{format_local(current.start)}–{format_local(current.stop)}  {current.title}" if current else "",
        next=f"Next {format_local(upcoming.start)}  {upcoming.title}" if upcoming else "",
        groups=" · ".join(channel.groups), progress=current.progress(wall) if current else None,
    )  # fmt: skip


def _aligned(canvas, f, value: str, colour, rect, widget: Placed):
    """One line of ``value`` in ``rect`` at the widget's alignment, cut to its width, centred on the rect's height
    (a skin that gives a widget a smaller font keeps it on its line); returns the drawn rect."""
    shown = fit(f, value, rect.width)
    x = {"left": rect.x, "right": rect.right - f.size(shown)[0], "centre": rect.centerx - f.size(shown)[0] // 2}
    return text(canvas, f, shown, colour, (x[widget.align], rect.y + (rect.height - f.get_height()) // 2))


def draw_banner(canvas, rect, t: Theme, fonts: Fonts, widgets: dict[str, Placed], d: BannerData, logo, brand) -> None:
    """Every visible widget of the banner in the panel ``rect``; ``logo`` and ``brand`` are fitted images or None.

    The logo's place is kept whether or not the logo has arrived (or exists): the text never jumps."""

    at = placer(widgets, rect)

    def shown(name: str) -> bool:
        return widgets[name].visible

    if shown("number"):
        _aligned(canvas, font(fonts, t, widgets["number"]), d.number, t.accent, at("number"), widgets["number"])
    if shown("logo"):
        _draw_logo(canvas, at("logo"), t, fonts, d, logo)
    if shown("clock"):
        _aligned(canvas, font(fonts, t, widgets["clock"]), d.clock, t.text, at("clock"), widgets["clock"])
    if shown("brand") and brand is not None:  # the operator's logo, left of the clock
        canvas.blit(brand, brand.get_rect(center=at("brand").center))
    if d.state and shown("state"):
        _aligned(canvas, font(fonts, t, widgets["state"]), d.state, t.text_dim, at("state"), widgets["state"])
    if d.recording and shown("state"):
        _draw_rec(canvas, at("state"), fonts.get(t.font_size(widgets["state"].font), bold=True), t, d.state)
    star_widget = widgets["favourite"]
    if shown("name"):
        large, box = font(fonts, t, widgets["name"]), at("name")
        flowing = d.favourite and shown("favourite") and not star_widget.placed
        star_room = large.get_height() if flowing else 0
        name = text(canvas, large, d.name, t.text, box.topleft, box.width - star_room)
        if flowing:  # after the name: the name keeps the room
            star(canvas, (name.right + star_room // 2 + 4, name.centery), large.get_height() // 3, t.warning)
    if d.favourite and shown("favourite") and star_widget.placed:
        spot = at("favourite")
        star(canvas, spot.center, min(spot.width, spot.height) // 2, t.warning)
    if shown("now_next"):
        now_w = _draw_now_next(canvas, at("now_next"), font(fonts, t, widgets["now_next"]), t, d)
        if shown("progress") and d.progress is not None:
            bar = at("progress")
            bar.width = min(bar.width, now_w)
            progress(canvas, bar, d.progress, t)
    elif shown("progress") and d.progress is not None:
        progress(canvas, at("progress"), d.progress, t)


def _draw_now_next(canvas, box, small, t: Theme, d: BannerData) -> int:
    """Now on the left, next on the right (at most two fifths); the groups without a guide. Now's width."""
    if not d.now and not d.next:
        text(canvas, small, d.groups, t.text_dim, box.topleft, box.width)
        return box.width
    next_w = min(small.size(d.next)[0], box.width * 2 // 5) if d.next else 0
    now_w = box.width - (next_w + 32 if d.next else 0)
    if d.now:
        text(canvas, small, d.now, t.text, box.topleft, now_w)
    if d.next:
        text(canvas, small, d.next, t.text_dim, (box.right - next_w, box.y), next_w)
    return now_w


def _draw_logo(canvas, slot, t: Theme, fonts: Fonts, d: BannerData, logo) -> None:
    """The channel's logo fitted in ``slot``; until it arrives, or when there is none, a plate with initials."""
    import pygame

    if logo is not None:
        canvas.blit(logo, logo.get_rect(center=slot.center))
        return
    plate = slot.inflate(-8, -16)
    pygame.draw.rect(canvas, t.surface_raised, plate, border_radius=max(4, t.radius // 2))
    f = fonts.get(max(t.font_small, plate.height // 3), bold=True)
    centred_text(canvas, f, d.initials, t.text_dim, plate.centerx, plate.centery - f.get_height() // 2,
                 plate.width - 12)  # fmt: skip


def _draw_rec(canvas, box, f, t: Theme, state: str) -> None:
    """A red dot and "REC" at the right of the state's place (left of the state's words when there are some)."""
    import pygame

    right = box.right - (f.size(state)[0] + 16 if state else 0)
    label = text(canvas, f, "REC", t.error, (right - f.size("REC")[0], box.y + (box.height - f.get_height()) // 2))
    radius = max(4, f.get_height() // 4)
    pygame.draw.circle(canvas, t.error, (label.x - radius - 8, label.centery), radius)
