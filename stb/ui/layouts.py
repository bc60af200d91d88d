"""Where the widgets of the banner, the channel list and the guide grid go: the code's defaults, the skin's changes.

The defaults are today's geometry, computed from the skin's sizes and font metrics, so a skin that states
no layout looks exactly as before. A skin's `layouts` move, resize, hide or restyle single widgets on top
(:func:`stb.skin.widgets.apply`). A screen asks once per look (and per number width) and keeps the answer:
laying out costs nothing per frame.
"""

from __future__ import annotations

from dataclasses import replace

from stb.skin.theme import CANVAS, TITLE_SAFE, Theme
from stb.skin.widgets import CATALOGUE, Placed
from stb.skin.widgets import apply as apply_specs
from stb.ui.fonts import Fonts
from stb.ui.widgets import top_free_y

Widgets = dict[str, Placed]
LIST_HEADER = 96  # from the list panel's top to its first row
LIST_HINT = 36  # the line under the rows: how many more above and below, and the keys
LIST_ROW_GAP = 6  # between two rows of the list
LIST_LOGO = (56, 36)
GRID_PREVIEW = (384, 216)
GRID_TIME_BAR = 34
GRID_FOOTER = 34


def apply(layout: str, defaults: Widgets, theme: Theme, container: tuple[int, int]) -> Widgets:
    """The skin's placements over the defaults; a widget the screen needs stays shown whatever the skin says
    (`stb skin check` reports the skin; the screen keeps working, as Enigma2 falls back)."""
    out = apply_specs(defaults, theme.layout(layout), container)
    required = [name for name, info in CATALOGUE[layout].items() if info.required and name in out
                and not out[name].visible]  # fmt: skip
    return out | {name: replace(out[name], visible=True) for name in required}


def font(fonts: Fonts, theme: Theme, widget: Placed, offset: int = 0, floor: int = 0):
    """The font a text widget draws with: its role's size (plus ``offset``, at least ``floor``) in its face."""
    return fonts.get(max(floor, theme.font_size(widget.font) + offset), face=widget.face)


def banner(theme: Theme, fonts: Fonts, size: tuple[int, int], number: str, brand: tuple[int, int] | None) -> Widgets:
    """The banner's widgets in its panel of ``size``; ``number`` is the channel's (a long one widens its place),
    ``brand`` the fitted brand logo's size (None: the skin has none)."""
    t, (w, h) = theme, size
    number_font = fonts.get(t.font_number, bold=True)
    medium, large, small = fonts.get(t.font_medium), fonts.get(t.font_large), fonts.get(t.font_small)
    number_w = max(number_font.size("888")[0] if len(number) <= 3 else number_font.size(number)[0], 48)
    logo_x = 24 + number_w + 20
    name_x = logo_x + t.logo_size[0] + 24
    clock_w, clock_h = medium.size("00:00")[0], medium.get_height()
    clock_x = w - 24 - clock_w
    right_edge = clock_x - 24 - (brand[0] + 24 if brand else 0)
    line_y = 16 + large.get_height() + 8
    star = large.get_height()
    defaults = {
        "number": Placed((24, h // 2 - number_font.get_height() // 2, number_w, number_font.get_height()),
                         font="number", face="bold"),
        "logo": Placed((logo_x, h // 2 - t.logo_size[1] // 2, *t.logo_size)),
        "name": Placed((name_x, 16, right_edge - name_x, large.get_height()), font="large"),
        "favourite": Placed((right_edge - star, 16, star, large.get_height())),
        "clock": Placed((clock_x, 18, clock_w, clock_h), font="medium", align="right"),
        "brand": Placed((clock_x - 24 - brand[0], 18 + clock_h // 2 - brand[1] // 2, *brand) if brand
                        else (clock_x - 24, 18, 0, 0), visible=brand is not None),
        "state": Placed((w - 24 - w // 3, line_y + small.get_height() + 8, w // 3, small.get_height()), align="right"),
        "now_next": Placed((name_x, line_y, w - 24 - name_x, small.get_height())),
        "progress": Placed((name_x, line_y + small.get_height() + 8, t.progress_width, t.progress_height)),
    }  # fmt: skip
    return apply("banner", defaults, t, size)


def list_panel(theme: Theme, fonts: Fonts) -> tuple[tuple[int, int], Widgets]:
    """The channel list's panel size and its widgets (the title, the typed digits, the rows' area, the hint)."""
    t = theme
    w, h = t.list_width, CANVAS[1] - 2 * t.margin_y
    title_h, small_h = fonts.get(t.font_medium, bold=True).get_height(), fonts.get(t.font_small).get_height()
    rows = max(1, (h - LIST_HEADER - LIST_HINT) // t.list_row_height)  # whole rows above the hint
    defaults = {
        "title": Placed((24, 20, w - 140, title_h), font="medium", face="bold"),
        "entry": Placed((w - 116, 20, 92, title_h), font="medium", face="bold", align="right"),
        "rows": Placed((12, LIST_HEADER, w - 24, rows * t.list_row_height)),
        "hint": Placed((24, h - 16 - small_h, w - 48, small_h)),
    }
    return (w, h), apply("list", defaults, t, (w, h))


def list_row(theme: Theme, fonts: Fonts, width: int, number_w: int) -> Widgets:
    """One row's widgets in a row ``width`` wide and list.row_height high (less the gap to the next)."""
    t = theme
    h = t.list_row_height - LIST_ROW_GAP
    small_h = fonts.get(t.font_small).get_height()
    mid = h // 2 - small_h // 2
    logo_x = 16 + number_w + 12
    name_x = logo_x + LIST_LOGO[0] + 12
    name_w = (width - name_x) * 9 // 20
    defaults = {
        "marker": Placed((4, 8, 5, h - 16)),
        "number": Placed((16, mid, number_w, small_h)),
        "logo": Placed((logo_x, h // 2 - LIST_LOGO[1] // 2, *LIST_LOGO)),
        "name": Placed((name_x, mid, name_w, small_h)),
        "favourite": Placed((name_x + name_w - 22, mid, 22, small_h)),
        "now": Placed((name_x + name_w + 12, mid, width - 12 - name_x - name_w - 12, small_h)),
    }
    return apply("list_row", defaults, t, (width, h))


def guide(theme: Theme, fonts: Fonts) -> Widgets:
    """The guide grid's widgets on the canvas: details and preview on top, the time bar, the rows, the legend."""
    t = theme
    mx, my = t.margin_x, t.margin_y  # inside the title-safe area, whatever the skin's margin
    full = CANVAS[0] - 2 * mx
    preview_x = CANVAS[0] - mx - GRID_PREVIEW[0]
    bar_y = my + GRID_PREVIEW[1] + 8
    bar_h = max(GRID_TIME_BAR, fonts.get(t.font_small, face="condensed_bold").get_height() + 8)  # big text fits
    rows_y = bar_y + bar_h + 4
    footer_y = CANVAS[1] - round(CANVAS[1] * TITLE_SAFE) - GRID_FOOTER  # the legend sits on the title-safe line
    rows_h = footer_y - 4 - rows_y
    grid_x = mx + t.grid_channel_width
    defaults = {
        "details": Placed((mx, my, preview_x - mx, bar_y - 8 - my), lines=12),
        "preview": Placed((preview_x, my, *GRID_PREVIEW)),
        "header": Placed((mx, bar_y, full, bar_h), face="condensed_bold"),
        "channels": Placed((mx, rows_y, t.grid_channel_width, rows_h), face="condensed_bold"),
        "programmes": Placed((grid_x, rows_y, CANVAS[0] - mx - grid_x, rows_h), face="condensed", lines=2),
        "now_line": Placed((grid_x, bar_y + 4, CANVAS[0] - mx - grid_x, rows_y + rows_h - bar_y - 4)),
        "legend": Placed((mx, footer_y, full, GRID_FOOTER)),
    }
    return apply("guide", defaults, t, CANVAS)


def absolute(widgets: Widgets, origin: tuple[int, int]) -> dict[str, tuple[int, int, int, int]]:
    """The visible widgets' rectangles on the canvas, for a container whose top-left is ``origin``."""
    ox, oy = origin
    return {name: (x + ox, y + oy, w, h) for name, p in widgets.items() if p.visible for x, y, w, h in [p.rect]}


DETAILS_WIDTH, DETAILS_PAD = 1040, 40
DETAILS_LOGO, DETAILS_BUTTON, DETAILS_PROGRESS = (160, 90), (260, 56), 360
AS_MANY_AS_FIT = 99


def details(theme: Theme, fonts: Fonts) -> Widgets:
    """The details dialog and its parts. The dialog is centred and as tall as its content (so placed when drawn;
    here at its tallest, which the checks judge); a part the skin places is drawn in its rectangle in the dialog,
    the others flow top to bottom in the code's order at the sizes given here."""
    t = theme
    width = min(DETAILS_WIDTH, CANVAS[0] - 2 * t.margin_x)
    height = CANVAS[1] - 2 * t.margin_y  # the most it can be
    frame = apply("details", {"dialog": Placed(((CANVAS[0] - width) // 2, (CANVAS[1] - height) // 2, width, height))},
                  t, CANVAS)  # fmt: skip
    width = min(frame["dialog"].rect[2], CANVAS[0] - 2 * t.margin_x)
    inner, pad = width - 2 * DETAILS_PAD, DETAILS_PAD
    small, medium, large = (fonts.get(t.font_small).get_linesize(), fonts.get(t.font_medium).get_linesize(),
                            fonts.get(t.font_large).get_linesize())  # fmt: skip
    beside = pad + DETAILS_LOGO[0] + 24
    head = pad + DETAILS_LOGO[1] + 20
    defaults = {
        **frame,
        "logo": Placed((pad, pad, *DETAILS_LOGO)),
        "channel": Placed((beside, pad + 8, width - pad - beside, small), face="bold"),
        "time": Placed((beside, pad + 8 + small + 6, width - pad - beside, medium), font="medium"),
        "image": Placed((width - pad - DETAILS_LOGO[0], pad, *DETAILS_LOGO), visible=False),
        "title": Placed((pad, head, inner, 2 * large), lines=2),
        "subtitle": Placed((pad, head + 2 * large, inner, medium)),
        "progress": Placed((pad, head + 2 * large + medium + 10, DETAILS_PROGRESS, t.progress_height)),
        "rating": Placed((pad, head + 2 * large + medium + 40, inner, small), visible=False),
        "facts": Placed((pad, head + 2 * large + medium + 40, inner, 2 * small), lines=2),
        "note": Placed((pad, head + 2 * large + medium + 40 + 2 * small, inner, small), face="bold"),
        "description": Placed((pad, head + 2 * large + medium + 64 + 3 * small, inner, 4 * small),
                              lines=AS_MANY_AS_FIT),
        "buttons": Placed((pad, height - 48 - small - DETAILS_BUTTON[1], *DETAILS_BUTTON)),
        "hint": Placed((pad, height - 28 - small, inner, small)),
    }  # fmt: skip
    specs = t.layout("details")
    for name, line in (("title", large), ("subtitle", medium), ("facts", small), ("description", small)):
        spec = specs.get(name, {})
        if "lines" in spec:  # as tall as the lines the skin gives it (unless it gives a height too)
            x, y, w, _ = defaults[name].rect
            defaults[name] = replace(defaults[name], rect=(x, y, w, int(spec["lines"]) * line))  # type: ignore[call-overload]
    return apply("details", defaults, t, (width, height)) | frame  # the dialog is placed on the canvas, above


SETTINGS_ROW = 44  # a setting's row, and a section heading's, from one top to the next
SETTINGS_GAP = 6  # between two rows


def settings_row(theme: Theme, fonts: Fonts, width: int) -> Widgets:
    """One Settings row's widgets in a row ``width`` wide: the label on the left, the value taking the room it needs
    at the right end (it flows until the skin places it), and a section heading's line."""
    t, h = theme, SETTINGS_ROW - SETTINGS_GAP
    small_h, heading_h = fonts.get(t.font_small).get_height(), fonts.get(t.font_small, bold=True).get_height()
    mid = h // 2 - small_h // 2
    defaults = {
        "section": Placed((16, SETTINGS_ROW - 10 - heading_h, width - 32, heading_h), face="bold"),
        "label": Placed((16, mid, width - 32, small_h)),
        "value": Placed((16, mid, width - 32, small_h), align="right"),
    }
    return apply("settings_row", defaults, t, (width, h))


PIN_DIALOG = (620, 300)  # the least width (a longer title widens it) and the height
PIN_BOX, PIN_BOX_GAP = 44, 18


def pin(theme: Theme, fonts: Fonts, title_w: int) -> Widgets:
    """The PIN dialog on the canvas (centred, as wide as a title ``title_w`` wide needs) and its parts in it."""
    t = theme
    w = min(CANVAS[0] * 9 // 10, max(PIN_DIALOG[0], title_w + 96))
    h = PIN_DIALOG[1]
    frame = apply("pin", {"dialog": Placed((CANVAS[0] // 2 - w // 2, CANVAS[1] // 2 - h // 2, w, h))}, t, CANVAS)
    w, h = frame["dialog"].rect[2:]
    pad_w = 4 * PIN_BOX + 3 * PIN_BOX_GAP
    defaults = {
        "title": Placed((32, 32, w - 64, fonts.get(t.font_medium, bold=True).get_height()), font="medium",
                        face="bold", align="centre"),
        "pad": Placed((w // 2 - pad_w // 2, 140 - PIN_BOX // 2, pad_w, PIN_BOX)),
        "message": Placed((32, 210, w - 64, fonts.get(t.font_small).get_height()), align="centre"),
    }  # fmt: skip
    return apply("pin", defaults, t, (w, h)) | frame


CONFLICT_WIDTH = 920
CONFLICT_ROWS = 5  # the most choices shown at once (the list scrolls past them)
CONFLICT_ROW_GAP = 6


def conflict_row_height(theme: Theme, fonts: Fonts) -> int:
    """One choice of the conflict dialog: what it does, and under it the channel and times."""
    return fonts.get(theme.font_small, bold=True).get_linesize() + fonts.get(theme.font_small).get_linesize() + 16


def conflict(theme: Theme, fonts: Fonts, rows: int) -> Widgets:
    """The timer conflict dialog on the canvas (centred, as tall as ``rows`` choices need, fewer when they do not
    fit the title-safe area) and its parts in it: the title, what is asked, the new recording, the choices, the
    keys."""
    t = theme
    _, _, sw, sh = _safe(t)
    title_h = fonts.get(t.font_medium, bold=True).get_height()
    small = fonts.get(t.font_small).get_linesize()
    row_h = conflict_row_height(t, fonts) + CONFLICT_ROW_GAP
    w = min(CONFLICT_WIDTH, sw)
    message_y = 28 + title_h + 12
    wanted_y = message_y + 2 * small + 12
    rows_y = wanted_y + row_h + 12
    shown = max(1, min(rows, CONFLICT_ROWS))
    while shown > 1 and rows_y + shown * row_h + 12 + small + 24 > sh:
        shown -= 1
    h = rows_y + shown * row_h + 12 + small + 24
    frame = apply("conflict", {"dialog": Placed(((CANVAS[0] - w) // 2, (CANVAS[1] - h) // 2, w, h))}, t, CANVAS)
    w, h = frame["dialog"].rect[2:]
    defaults = {
        "title": Placed((32, 28, w - 64, title_h), font="medium", face="bold", align="centre"),
        "message": Placed((32, message_y, w - 64, 2 * small), lines=2),
        "wanted": Placed((24, wanted_y, w - 48, row_h - CONFLICT_ROW_GAP)),
        "rows": Placed((24, rows_y, w - 48, shown * row_h - CONFLICT_ROW_GAP)),
        "hint": Placed((32, h - 24 - small, w - 64, small)),
    }
    return apply("conflict", defaults, t, (w, h)) | frame


def _safe(theme: Theme) -> tuple[int, int, int, int]:
    """The title-safe rect of the canvas, or the skin's margin where that is wider (as widgets.safe_area)."""
    mx, my = max(theme.margin, round(CANVAS[0] * TITLE_SAFE)), max(theme.margin, round(CANVAS[1] * TITLE_SAFE))
    return mx, my, CANVAS[0] - 2 * mx, CANVAS[1] - 2 * my


def toasts(theme: Theme, fonts: Fonts) -> Widgets:
    """The notice toast (its widest, two lines) and the muted mark; both go where no panel is until the skin
    places them (then their rectangle's corner is where they go, their size what they hold)."""
    t = theme
    sx, sy, sw, _ = _safe(t)
    medium, bold = fonts.get(t.font_medium), fonts.get(t.font_small, bold=True)
    muted = (bold.size("Muted")[0] + 80, bold.get_height() + 24)
    defaults = {
        "notice": Placed((sx, sy, sw, 2 * medium.get_linesize() + 24), font="medium", align="centre", lines=2),
        "muted": Placed((sx + sw - muted[0], sy, *muted), face="bold"),
    }
    return apply("toasts", defaults, t, CANVAS)


VOLUME = (72, 320)  # the indicator's least width and its most height


def volume(theme: Theme, fonts: Fonts, label_w: int) -> Widgets:
    """The volume indicator (at the right edge, midway between the banner and the top's boxes; as wide as a level
    label ``label_w`` wide needs) and its track and level in it."""
    t = theme
    sx, sy, sw, sh = _safe(t)
    font = fonts.get(t.font_small, bold=True)
    free_top = top_free_y(t)
    free_bottom = sy + sh - (t.banner_height + 16 if t.banner_position == "bottom" else 0)
    w, h = max(VOLUME[0], label_w + 24), min(VOLUME[1], free_bottom - free_top)
    top = (free_top + free_bottom) // 2 - h // 2
    frame = apply("volume", {"toast": Placed((sx + sw - w, top, w, h))}, t, CANVAS)
    w, h = frame["toast"].rect[2:]
    track_h = h - 40 - font.get_height() - 16
    defaults = {
        "track": Placed((w // 2 - 6, 20, 12, track_h)),
        "level": Placed((0, 20 + track_h + 16, w, font.get_height()), face="bold", align="centre"),
    }
    return apply("volume", defaults, t, (w, h)) | frame


SHIFT_BAR_H = 48
SHIFT_GAP = 8


def timeshift(theme: Theme, fonts: Fonts, banner_rect: tuple[int, int, int, int]) -> Widgets:
    """The timeshift bar (beside the banner ``banner_rect``, on the side towards the middle) and its parts in it:
    the symbol, the speed, the buffer's first moment, the track, how far behind live."""
    t = theme
    bx, by, bw, bh = banner_rect
    y = by - SHIFT_GAP - SHIFT_BAR_H if t.banner_position != "top" else by + bh + SHIFT_GAP
    frame = apply("timeshift", {"bar": Placed((bx, y, bw, SHIFT_BAR_H))}, t, CANVAS)
    w, h = frame["bar"].rect[2:]
    small = fonts.get(t.font_small)
    line = small.get_height()
    speed_w, start_w, behind_w = small.size("×32")[0], small.size("00:00")[0], small.size("−0:00:00")[0]
    text_y = h // 2 - line // 2
    track_x = 16 + 20 + 12 + speed_w + 12 + start_w + 16
    defaults = {
        "symbol": Placed((16, h // 2 - 10, 20, 20)),
        "speed": Placed((16 + 20 + 12, text_y, speed_w, line), font="small"),
        "start": Placed((16 + 20 + 12 + speed_w + 12, text_y, start_w, line), font="small"),
        "track": Placed((track_x, h // 2 - 5, w - 32 - behind_w - track_x, 10)),
        "behind": Placed((w - 16 - behind_w, text_y, behind_w, line), font="small", align="right"),
    }
    return apply("timeshift", defaults, t, (w, h)) | frame
