"""`stb skin check`'s layout warnings: a skin's screens drawn off-screen and judged by the sofa rules."""

from __future__ import annotations

from pathlib import Path

from stb.lineup.check import Problem
from stb.skin.resolve import ResolvedSkin
from stb.ui.layoutrules import _inside, _overlap, safe_rect


def layout_problems(resolved: ResolvedSkin) -> list[Problem]:
    """`stb skin check`'s judgement of the drawn screens: the widgets as placed, then the renders."""
    return widget_problems(resolved) + layout_warnings(resolved)


def layout_warnings(resolved: ResolvedSkin) -> list[Problem]:
    """Every preview screen drawn with the skin, judged by the sofa rules (stb.ui.layoutrules): text too small
    at 3 m, outside the title-safe area, under a toast, or cut with room to spare."""
    import os
    import tempfile
    import time

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # drawn off-screen: no window opens
    from stb.ui import preview

    warnings = []
    with tempfile.TemporaryDirectory(prefix="stb-skin-check-") as work:
        for name in preview.SCREENS:
            by_rule: dict[str, list] = {}
            for finding in preview.findings(name, Path(work) / name, resolved.theme, time.time()):
                by_rule.setdefault(finding.rule, []).append(finding)
            for found in by_rule.values():  # a few examples per rule and screen, not one line per text
                for finding in found[:3]:
                    warnings.append(Problem(f"{resolved.name}: screen {name}", str(finding), "warning"))
                if len(found) > 3:
                    warnings.append(
                        Problem(
                            f"{resolved.name}: screen {name}",
                            f"{found[0].rule}: and {len(found) - 3} more like these",
                            "warning",
                        )
                    )
    return warnings


SCREEN_OF = {
    "banner": "live",
    "list": "list",
    "list_row": "list",
    "guide": "guide",
    "details": "details",
    "settings_row": "settings",
    "pin": "pin",
    "conflict": "pin",
    "toasts": "live",
    "volume": "live",
    "timeshift": "live",
}  # whose Theme lays it out


def laid_out(theme) -> dict[str, tuple[tuple[int, int, int, int], dict]]:
    """Every layout as the screens would place it with ``theme``s: (its container on the canvas, its widgets)."""
    import pygame

    from stb.skin.theme import CANVAS
    from stb.ui import layouts
    from stb.ui.fonts import Fonts
    from stb.ui.widgets import FittedImages

    pygame.font.init()  # font metrics place the defaults
    out: dict[str, tuple[tuple[int, int, int, int], dict]] = {}
    t = theme("live")
    mx, my = t.margin_x, t.margin_y
    size = (CANVAS[0] - 2 * mx, t.banner_height)
    banner_y = my if t.banner_position == "top" else CANVAS[1] - my - t.banner_height
    brand = FittedImages().get(t.brand_logo, (160, 44))
    out["banner"] = ((mx, banner_y, *size), layouts.banner(t, Fonts(t.fonts), size, "888", brand.get_size() if brand
                                                           else None))  # fmt: skip
    t = theme("list")
    (w, h), panel = layouts.list_panel(t, Fonts(t.fonts))
    x = t.margin_x if t.list_side == "left" else CANVAS[0] - t.margin_x - w
    out["list"] = ((x, t.margin_y, w, h), panel)
    rx, ry, rw, _ = panel["rows"].rect
    number_w = Fonts(t.fonts).get(t.font_small).size("888")[0]
    out["list_row"] = ((x + rx, t.margin_y + ry, rw, t.list_row_height - layouts.LIST_ROW_GAP),
                       layouts.list_row(t, Fonts(t.fonts), rw, number_w))  # fmt: skip
    t = theme("guide")
    out["guide"] = ((0, 0, *CANVAS), layouts.guide(t, Fonts(t.fonts)))
    t = theme("details")
    out["details"] = ((0, 0, *CANVAS), layouts.details(t, Fonts(t.fonts)))  # the dialog at its tallest
    t = theme("settings")
    width = max(t.list_width, 760) - 24  # a row of the Settings sheet (stb.ui.widgets.sheet)
    x = t.margin_x + 12 if t.list_side == "left" else CANVAS[0] - t.margin_x - width - 12
    out["settings_row"] = ((x, t.margin_y + 72, width, layouts.SETTINGS_ROW - layouts.SETTINGS_GAP),
                           layouts.settings_row(t, Fonts(t.fonts), width))  # fmt: skip
    t = theme("pin")
    title_w = Fonts(t.fonts).get(t.font_medium, bold=True).size("PIN to change parental settings")[0]
    out["pin"] = ((0, 0, *CANVAS), layouts.pin(t, Fonts(t.fonts), title_w))
    out["conflict"] = ((0, 0, *CANVAS), layouts.conflict(t, Fonts(t.fonts), layouts.CONFLICT_ROWS))  # its tallest
    t = theme("live")
    out["toasts"] = ((0, 0, *CANVAS), layouts.toasts(t, Fonts(t.fonts)))
    out["volume"] = ((0, 0, *CANVAS), layouts.volume(t, Fonts(t.fonts), 0))
    out["timeshift"] = ((0, 0, *CANVAS), layouts.timeshift(t, Fonts(t.fonts), out["banner"][0]))
    return out


def widget_problems(resolved: ResolvedSkin) -> list[Problem]:
    """The skin's layouts judged widget by widget: off the canvas, outside title-safe, overlapping, text too small
    at 1080p, a required widget hidden. Each with the file and JSON path that places it."""
    from stb.skin.theme import CANVAS
    from stb.skin.widgets import CATALOGUE, FLOWING, FRAMES, MAY_OVERLAP
    from stb.ui.layoutrules import MIN_TEXT_PX

    problems: list[Problem] = []
    canvas, safe = (0, 0, *CANVAS), safe_rect()

    def report(layout: str, widget: str, key: str | None, message: str, severity: str = "error") -> None:
        where = f"$.layouts.{layout}.widgets.{widget}" + (f".{key}" if key else "")
        problems.append(Problem(f"{_file(resolved, layout, widget)}: {where}", message, severity))  # type: ignore[arg-type]

    for layout, ((cx, cy, cw, ch), widgets) in laid_out(resolved.theme).items():
        theme = resolved.theme(SCREEN_OF[layout])
        frame = FRAMES.get(layout)
        fx, fy, fw, fh = widgets[frame].rect if frame else (0, 0, 0, 0)  # a dialog's parts are measured in it
        shown = {}
        for name, p in widgets.items():
            x, y, w, h = p.rect
            inner = frame is not None and name != frame
            if p.visible:
                shown[name] = (x + fx, y + fy, w, h) if inner else (x + cx, y + cy, w, h)
        flowing = FLOWING.get(layout, set())
        for name, info in CATALOGUE[layout].items():
            p = widgets[name]
            if info.required and theme.layout(layout).get(name, {}).get("visible") is False:
                report(layout, name, "visible", f"{layout} needs {name!r}: it cannot be hidden (it is shown anyway)")
            if not p.visible or (name in flowing and not p.placed) or not info.moves:
                continue  # a part that flows has no place of its own to judge
            rect = shown[name]
            if not _inside(rect, canvas):
                report(layout, name, None, f"{rect} leaves the {CANVAS[0]}×{CANVAS[1]} canvas")
            elif not _inside(rect, safe):
                report(layout, name, None, f"{rect} leaves the title-safe area {safe}", "warning")
            box = (0, 0, fw, fh) if frame and name != frame else (0, 0, cw, ch)
            if not _inside(p.rect, box):
                report(layout, name, None, f"{p.rect} leaves its container ({box[2]}×{box[3]})", "warning")
            if info.text and theme.font_size(p.font) < MIN_TEXT_PX:
                report(layout, name, "font", f"{p.font} text is {theme.font_size(p.font)} px, under {MIN_TEXT_PX} px "
                       f"(24 px at 1080p)", "warning")  # fmt: skip
        if (
            layout == "guide"
            and widgets["channels"].rect[0] + widgets["channels"].rect[2] > widgets["programmes"].rect[0]
        ):
            report(layout, "channels", None, "the channel column must end left of the programmes (a row is drawn "
                   "from the column's left edge to the programmes' right edge)")  # fmt: skip
        names = [n for n in shown if (n not in flowing or widgets[n].placed) and CATALOGUE[layout][n].moves]
        names = [n for n in names if n != frame]  # the dialog holds its parts
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if frozenset({a, b}) not in MAY_OVERLAP.get(layout, set()) and _overlap(shown[a], shown[b]):
                    report(layout, b, None, f"{b!r} at {shown[b]} overlaps {a!r} at {shown[a]}")
    return problems


def _file(resolved: ResolvedSkin, layout: str, widget: str) -> Path:
    """The skin file that places ``widget`` (the nearest in the chain), else the skin's own."""
    from stb.skin.resolve import MANIFEST

    for folder in reversed(resolved.chain):
        layouts = folder.values.get("layouts", {})
        spec = layouts.get(layout, {})
        if widget in (spec.get("widgets") or {}):
            return folder.directory / MANIFEST
        include = spec.get("include")
        for owner in reversed(resolved.chain):
            if include and widget in owner.values.get("templates", {}).get(include, {}):
                return owner.directory / MANIFEST
    return resolved.chain[-1].directory / MANIFEST if resolved.chain else Path(resolved.name)
