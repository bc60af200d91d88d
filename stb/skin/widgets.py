"""Named widgets of the screens a skin lays out, and how a skin's placement of one becomes a rectangle.

Each layout (the banner, the channel list and its row, the guide grid) is a set of named widgets. The
code gives every widget a default rectangle computed from the skin's sizes (so the built-in skins look
as they always did); a skin's `layouts.<layout>.widgets.<name>` states only what differs: where (an
anchor and offsets), how big, visible or not, its font role and face, its alignment, its maximum lines.
This module knows nothing of drawing: the catalogue is what `stb skin check` and docs/skinning.md read.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Rect = tuple[int, int, int, int]  # x, y, width, height
Anchor = Literal["top_left", "top", "top_right", "left", "centre", "right", "bottom_left", "bottom", "bottom_right"]
FontRole = Literal["number", "large", "medium", "small"]
Face = Literal["regular", "bold", "condensed", "condensed_bold"]
Align = Literal["left", "centre", "right"]
Offset = Annotated[int, Field(ge=-1280, le=1280)]
Extent = Annotated[int, Field(ge=0, le=1280)]


TEXT = ("font", "face")
ALIGNED = ("font", "face", "align")
GEOMETRY = ("anchor", "x", "y", "width", "height", "visible")


@dataclass(frozen=True)
class WidgetInfo:
    description: str
    container: str  # what its rectangle is measured in
    required: bool = False  # the screen cannot work without it: hiding it is an error
    styles: tuple[str, ...] = TEXT  # which of font, face, align, lines it follows
    geometry: tuple[str, ...] = GEOMETRY  # which place keys it follows (a part that flows: fewer)

    @property
    def moves(self) -> bool:
        return "x" in self.geometry

    @property
    def text(self) -> bool:
        return "font" in self.styles


CANVAS = "the 1280×720 canvas"
BANNER = "the banner panel"
LIST = "the channel list's panel"
ROW = "one row of the channel list"
DIALOG = "the details dialog"
SETTING = "one row of Settings"
PIN = "the PIN dialog"
CONFLICT = "the recording conflict dialog"
TOAST = "the volume indicator"
SHIFT = "the timeshift bar"
CATALOGUE: dict[str, dict[str, WidgetInfo]] = {
    "banner": {
        "number": WidgetInfo("The channel number (▶ for a flung stream).", BANNER, styles=ALIGNED),
        "logo": WidgetInfo("The channel's logo, or a plate with its initials.", BANNER, styles=()),
        "name": WidgetInfo("The channel's name.", BANNER, required=True),
        "favourite": WidgetInfo("A star for a favourite; by default right after the name.", BANNER, styles=()),
        "clock": WidgetInfo("The time of day.", BANNER, styles=ALIGNED),
        "brand": WidgetInfo(
            "The skin's brand logo (images.brand_logo); by default left of the clock.", BANNER, styles=()
        ),
        "state": WidgetInfo(
            'What the player is doing ("Tuning…"); by default under "Next", on the progress bar\'s line.',
            BANNER,
            styles=ALIGNED,
        ),
        "now_next": WidgetInfo(
            "What is on now (times, title) and what is next; the channel's groups without a guide.", BANNER
        ),
        "progress": WidgetInfo("How far the programme on now is.", BANNER, styles=()),
    },
    "list": {
        "title": WidgetInfo("The group shown (‹ All channels ›).", LIST, required=True),
        "entry": WidgetInfo("The digits typed to jump to a channel.", LIST, styles=ALIGNED),
        "rows": WidgetInfo(
            "Where the rows go; as many rows as fit at list.row_height each.", LIST, required=True, styles=()
        ),
        "hint": WidgetInfo("The keys' hint and how many more rows are above and below.", LIST),
    },
    "list_row": {
        "marker": WidgetInfo("The bar that marks the channel on now.", ROW, styles=()),
        "number": WidgetInfo("The channel number.", ROW, styles=ALIGNED),
        "logo": WidgetInfo("The channel's logo (its place is kept without one).", ROW, styles=()),
        "name": WidgetInfo("The channel's name.", ROW, required=True, styles=(*ALIGNED, "lines")),
        "favourite": WidgetInfo("A star for a favourite; by default right after the name.", ROW, styles=()),
        "now": WidgetInfo("The title on now.", ROW, styles=(*ALIGNED, "lines")),
    },
    "guide": {
        "details": WidgetInfo(
            "The focused programme: channel, title, time, facts, and at most `lines` of description.",
            CANVAS,
            styles=("lines",),
        ),
        "preview": WidgetInfo("The live picture.", CANVAS, styles=()),
        "header": WidgetInfo("The day and the half hours above the grid.", CANVAS),
        "channels": WidgetInfo(
            "The channel column: number, name, favourite; its top is the rows' top.", CANVAS, required=True
        ),
        "programmes": WidgetInfo(
            "The programme cells; as many rows as fit at grid.row_height each; `lines` 1 leaves the times out.",
            CANVAS,
            required=True,
            styles=(*TEXT, "lines"),
        ),
        "now_line": WidgetInfo("The line at the time now, across the header and the rows.", CANVAS, styles=()),
        "legend": WidgetInfo("The colour keys, key hints and the brand logo.", CANVAS),
    },
    "details": {
        "dialog": WidgetInfo(
            "The dialog: where it goes and how wide; as tall as what it holds, or `height`.",
            CANVAS,
            styles=(),
            geometry=("anchor", "x", "y", "width", "height"),
        ),
        "logo": WidgetInfo(
            "The channel's logo (or its initials); the channel and time flow beside it.", DIALOG, styles=()
        ),
        "channel": WidgetInfo("The channel's number and name.", DIALOG),
        "time": WidgetInfo("The day and time it is on.", DIALOG),
        "image": WidgetInfo(
            "The programme's own picture (the guide's icon); hidden unless the skin shows it.", DIALOG, styles=()
        ),
        "title": WidgetInfo("The programme's title.", DIALOG, required=True, styles=("lines",)),
        "subtitle": WidgetInfo("The episode's title.", DIALOG, styles=("lines",)),
        "progress": WidgetInfo("How far a programme on now is.", DIALOG, styles=()),
        "rating": WidgetInfo(
            "The age rating on its own (Rated 16); hidden unless the skin shows it, and then the facts leave it out.",
            DIALOG,
            styles=ALIGNED,
        ),
        "facts": WidgetInfo("Episode, rating, categories.", DIALOG, styles=("lines",)),
        "note": WidgetInfo("Minutes left, or that a reminder is set.", DIALOG, styles=()),
        "description": WidgetInfo(
            "The description, in the lines the screen leaves (at most `lines`).", DIALOG, styles=("lines",)
        ),
        "buttons": WidgetInfo(
            "Watch, Remind me, Close: `width` and `height` are each button's; a place puts the row.",
            DIALOG,
            required=True,
            styles=(),
        ),
        "hint": WidgetInfo("The keys' hint under the buttons.", DIALOG, styles=()),
    },
    "settings_row": {
        "section": WidgetInfo(
            "A section's heading, in a row of its own above its first setting.", SETTING, styles=ALIGNED
        ),
        "label": WidgetInfo("The setting's name.", SETTING, required=True, styles=ALIGNED),
        "value": WidgetInfo(
            "Its value (‹ On ›); by default at the row's right end, leaving the label the rest.",
            SETTING,
            styles=ALIGNED,
        ),
    },
    "pin": {
        "dialog": WidgetInfo(
            "The PIN dialog: where it goes and its size (by default as wide as its title needs).",
            CANVAS,
            styles=(),
            geometry=("anchor", "x", "y", "width", "height"),
        ),
        "title": WidgetInfo("What the PIN is for.", PIN, required=True, styles=ALIGNED),
        "pad": WidgetInfo(
            "The four boxes, as tall as the widget and spread over its width.", PIN, required=True, styles=()
        ),
        "message": WidgetInfo("The hint, or why the PIN was refused.", PIN, styles=ALIGNED),
    },
    "conflict": {
        "dialog": WidgetInfo(
            "The recording conflict dialog: where it goes and its size (by default as tall as its choices need).",
            CANVAS,
            styles=(),
            geometry=("anchor", "x", "y", "width", "height"),
        ),
        "title": WidgetInfo("Too many recordings at once.", CONFLICT, required=True, styles=ALIGNED),
        "message": WidgetInfo(
            "What the household is asked, and how many channels the box records at once.",
            CONFLICT,
            styles=(*ALIGNED, "lines"),
        ),
        "wanted": WidgetInfo("The new recording (title, channel, times), outlined.", CONFLICT, styles=()),
        "rows": WidgetInfo(
            "The choices: drop one of the recordings in the way (title, channel, times), or not record the new one; "
            "as many as fit, the list scrolls.",
            CONFLICT,
            required=True,
            styles=(),
        ),
        "hint": WidgetInfo("The keys' hint.", CONFLICT, styles=ALIGNED),
    },
    "toasts": {
        "notice": WidgetInfo(
            "Short notices and reminders: by default where no panel is; `width` is the widest it "
            "gets; placed by the skin, always there.",
            CANVAS,
            styles=(*ALIGNED, "lines"),
            geometry=("anchor", "x", "y", "width", "visible"),
        ),
        "muted": WidgetInfo(
            "The muted mark once the volume bar hides; by default at the right edge where no panel is.",
            CANVAS,
            geometry=("anchor", "x", "y", "visible"),
        ),
    },
    "volume": {
        "toast": WidgetInfo(
            "The volume indicator: by default at the right edge, clear of the banner and panels; "
            "a wider level label widens it.",
            CANVAS,
            styles=(),
        ),
        "track": WidgetInfo("The level's bar, filled from the bottom.", TOAST, required=True, styles=()),
        "level": WidgetInfo("The level, or MUTE.", TOAST, styles=ALIGNED),
    },
    "timeshift": {
        "bar": WidgetInfo(
            "The timeshift bar: by default beside the banner, on the side towards the middle of the screen.",
            CANVAS,
            styles=(),
        ),
        "symbol": WidgetInfo("Pause bars, a play triangle, or the wind direction.", SHIFT, styles=()),
        "speed": WidgetInfo("×2…×32 while winding.", SHIFT, styles=ALIGNED),
        "start": WidgetInfo("The clock time of the buffer's first moment.", SHIFT, styles=ALIGNED),
        "track": WidgetInfo(
            "The buffer from its first moment to live: the position filled in, ticks where programmes begin.",
            SHIFT,
            required=True,
            styles=(),
        ),
        "behind": WidgetInfo("How far behind live (−12:34), or LIVE.", SHIFT, styles=ALIGNED),
    },
}
MAY_OVERLAP = {  # pairs drawn over each other on purpose
    "banner": {
        frozenset({"name", "favourite"}),  # the star's room at the end of the name
    },
    "list": {frozenset({"rows", "entry"})},
    "list_row": {frozenset({"name", "favourite"})},
    "guide": {frozenset({"now_line", "header"}), frozenset({"now_line", "programmes"})},
    "details": set(),
    "settings_row": {frozenset({"label", "section"}), frozenset({"value", "section"})},  # never in one row
}
FRAMES = {
    "details": "dialog",
    "pin": "dialog",
    "conflict": "dialog",
    "volume": "toast",
    "timeshift": "bar",
}  # whose other widgets are measured in this one
# placed after another widget's text, in the flow of a dialog, or where no panel is, unless the skin gives a place
FLOWING = {
    "banner": {"favourite"},
    "list_row": {"favourite"},
    "details": set(CATALOGUE["details"]) - {"dialog"},
    "settings_row": {"value"},
    "toasts": {"notice", "muted"},
    "volume": {"toast"},
}


class WidgetSpec(BaseModel):
    """One widget as a skin places it; every key is optional (the default, or the parent skin's, stays)."""

    model_config = ConfigDict(extra="forbid")
    anchor: Anchor | None = Field(None, description="The point of the container x and y count from.")
    x: Offset | None = Field(
        None,
        description="Pixels in from the anchor's side (from the centre: to the right); "
        "without an anchor, from the container's left, and left out: unchanged.",
    )
    y: Offset | None = Field(
        None,
        description="Pixels in from the anchor's side (from the centre: down); without "
        "an anchor, from the container's top, and left out: unchanged.",
    )
    width: Extent | None = None
    height: Extent | None = None
    visible: bool | None = None
    font: FontRole | None = Field(None, description="Which of the text sizes (widgets.text) it uses.")
    face: Face | None = None
    align: Align | None = None
    lines: Annotated[int, Field(ge=1, le=12)] | None = Field(None, description="At most this many lines.")


class LayoutSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include: str | None = Field(None, description="A template (`templates.<name>`) whose widgets come first.")
    widgets: dict[str, WidgetSpec] | None = None


@dataclass(frozen=True)
class Placed:
    """A widget ready to draw: its rectangle in its container and how its text looks."""

    rect: Rect
    visible: bool = True
    font: str = "small"
    face: str = "regular"
    align: str = "left"
    lines: int = 1
    placed: bool = False  # the skin gave it a position (a flowing widget then stops flowing)


def anchored(anchor: str, x: int, y: int, size: tuple[int, int], container: tuple[int, int]) -> tuple[int, int]:
    """Top-left of a widget of ``size`` whose ``anchor`` point sits (x, y) in from the container's same point."""
    (w, h), (cw, ch) = size, container
    horizontal = "left" if anchor.endswith("left") else "right" if anchor.endswith("right") else "centre"
    vertical = "top" if anchor.startswith("top") else "bottom" if anchor.startswith("bottom") else "centre"
    left = {"left": x, "right": cw - x - w, "centre": (cw - w) // 2 + x}[horizontal]
    top = {"top": y, "bottom": ch - y - h, "centre": (ch - h) // 2 + y}[vertical]
    return left, top


def apply(
    defaults: dict[str, Placed], specs: dict[str, dict[str, Any]], container: tuple[int, int]
) -> dict[str, Placed]:
    """The code's defaults with the skin's changes on top (unknown names were refused when the skin was read)."""
    out = dict(defaults)
    for name, spec in specs.items():
        if name not in out:
            continue
        widget = out[name]
        x, y, w, h = widget.rect
        w, h = spec.get("width", w), spec.get("height", h)
        moved = any(k in spec for k in ("anchor", "x", "y"))
        if "anchor" in spec:  # from that point of the container; an offset left out is 0
            x, y = anchored(spec["anchor"], spec.get("x", 0), spec.get("y", 0), (w, h), container)
        else:  # from the top left; an offset left out stays where it was
            x, y = spec.get("x", x), spec.get("y", y)
        style = {k: spec[k] for k in ("visible", "font", "face", "align", "lines") if k in spec}
        out[name] = replace(widget, rect=(x, y, w, h), placed=widget.placed or moved, **style)
    return out


def expand(layouts: dict[str, Any], templates: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each layout's widget specs with its template's underneath (a template is a row design to reuse)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, layout in layouts.items():
        widgets: dict[str, dict[str, Any]] = {}
        include = layout.get("include")
        for source in (templates.get(include, {}) if include else {}, layout.get("widgets", {})):
            for widget, spec in source.items():
                widgets[widget] = {**widgets.get(widget, {}), **spec}
        out[name] = widgets
    return out


def name_problems(layouts: dict[str, Any], templates: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(JSON path, message) for every layout, widget or template name the box does not know, with the nearest
    known name. ``templates`` None: one skin's file alone (a template may come from a parent: not judged yet)."""
    problems = []

    def suggest(name: str, known) -> str:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
        return f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"

    check_includes, templates = templates is not None, templates or {}
    for layout, spec in layouts.items():
        if layout not in CATALOGUE:
            problems.append((f"$.layouts.{layout}", f"no layout named {layout!r}{suggest(layout, CATALOGUE)}"))
            continue
        include = spec.get("include") if check_includes else None
        if include and include not in templates:
            problems.append(
                (f"$.layouts.{layout}.include", f"no template named {include!r}{suggest(include, templates)}")
            )
        widgets = dict(spec.get("widgets") or {})
        if include in templates:
            widgets |= {w: s for w, s in templates[include].items() if w not in widgets}
        for widget in widgets:
            if widget not in CATALOGUE[layout]:
                where = f"$.layouts.{layout}.widgets.{widget}"
                if widget not in (spec.get("widgets") or {}):
                    where = f"$.templates.{include}.{widget}"
                problems.append((where, f"{layout} has no widget {widget!r}{suggest(widget, CATALOGUE[layout])}"))
    return problems


def ignored_keys(layouts: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON path, message) for keys a widget does not follow (a `lines` on the clock): warnings, not errors."""
    found = []
    for layout, spec in layouts.items():
        for widget, keys in (spec.get("widgets") or {}).items():
            info = CATALOGUE.get(layout, {}).get(widget)
            if info is None:
                continue  # an unknown name: name_problems says so
            for key in keys:
                if key not in info.geometry and key not in info.styles:
                    follows = ", ".join((*info.geometry, *info.styles))
                    found.append((f"$.layouts.{layout}.widgets.{widget}.{key}", f"{widget} does not follow {key!r} "
                                  f"(it follows {follows})"))  # fmt: skip
    return found


def reference_markdown() -> str:
    """The widget reference of docs/skinning.md, from the catalogue (so it cannot drift)."""
    lines = ["### Layouts (`layouts.<layout>.widgets.<widget>`)", ""]
    keys = WidgetSpec.model_json_schema()["properties"]
    lines += ["Every widget takes these keys, all optional:", "", "| key | values | meaning |", "|---|---|---|"]
    for key, prop in keys.items():
        option = next(o for o in prop.get("anyOf", [prop]) if o.get("type") != "null")
        values = " / ".join(option["enum"]) if "enum" in option else option.get("type", "")
        if "minimum" in option:
            values = f"integer {option['minimum']}–{option['maximum']}"
        lines.append(f"| `{key}` | {values} | {prop.get('description', '')} |")
    for layout, widgets in CATALOGUE.items():
        container = next(iter(widgets.values())).container
        where = f"rectangles in {container}"
        if layout in FRAMES:
            inner = next(i.container for n, i in widgets.items() if n != FRAMES[layout])
            where = f"the `{FRAMES[layout]}` on the 1280×720 canvas, the others in {inner}"
        lines += ["", f"#### `{layout}` ({where})", "",
                  "| widget | required | follows | meaning |", "|---|---|---|---|"]  # fmt: skip
        for name, info in widgets.items():
            keys = ["place, size, visible" if info.geometry == GEOMETRY else ", ".join(info.geometry)]
            follows = ", ".join(k for k in (*keys, *info.styles) if k)
            lines.append(f"| `{name}` | {'yes' if info.required else ''} | {follows} | {info.description} |")
    return "\n".join(lines) + "\n"
