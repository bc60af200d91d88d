"""Rules for a TV seen from the sofa, judged on what a screen drew (:mod:`stb.ui.drawlog`), not on pixels.

- No text smaller than :data:`MIN_TEXT_PX` on the 1280x720 canvas: Android TV's floor is about 24 px at
  1080p, which is 16 px here (the canvas is shown 1.5x on a 1080p TV).
- Everything inside the title-safe area (5% in from every edge): overscan hides the rest on some TVs.
- A toast overlaps no panel and no text of anything else.
- No text cut with "…" where its widget had room to show more (:data:`WASTED_PX` or more left beside it).
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.skin.theme import CANVAS, TITLE_SAFE
from stb.ui.drawlog import Drawn

MIN_TEXT_PX = 16
WASTED_PX = 96  # free width beside a cut text from which the cut is the layout's fault
PADDING_PX = 12  # what a text keeps from its panel's edge


@dataclass(frozen=True)
class Finding:
    rule: str  # "size", "safe", "toast", "cut"
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _inside(inner, outer) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return x >= ox and y >= oy and x + w <= ox + ow and y + h <= oy + oh


def _overlap(a, b) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def safe_rect(size: tuple[int, int] = CANVAS) -> tuple[int, int, int, int]:
    mx, my = round(size[0] * TITLE_SAFE), round(size[1] * TITLE_SAFE)
    return (mx, my, size[0] - 2 * mx, size[1] - 2 * my)


def _label(d: Drawn) -> str:
    return repr(d.shown if len(d.shown) <= 40 else d.shown[:39] + "…") if d.kind == "text" else f"a {d.kind}"


def too_small(drawn: list[Drawn]) -> list[Finding]:
    return [Finding("size", f"{_label(d)} is {d.size} px, under {MIN_TEXT_PX} px (24 px at 1080p)")
            for d in drawn if d.kind == "text" and d.size < MIN_TEXT_PX]  # fmt: skip


def outside_safe(drawn: list[Drawn], size: tuple[int, int] = CANVAS) -> list[Finding]:
    safe = safe_rect(size)
    return [Finding("safe", f"{_label(d)} at {d.rect} leaves the title-safe area {safe}")
            for d in drawn if not _inside(d.rect, safe)]  # fmt: skip


def toast_overlaps(drawn: list[Drawn]) -> list[Finding]:
    """What was drawn before a toast and lies under it is covered; texts drawn after it inside it are its label."""
    findings = []
    for at, toast in enumerate(drawn):
        if toast.kind != "toast":
            continue
        for later, other in enumerate(drawn):
            if later == at or not _overlap(toast.rect, other.rect):
                continue
            if later > at and (other.kind != "toast" and _inside(other.rect, toast.rect)):
                continue  # the toast's own label
            if later > at and other.kind == "text":
                findings.append(Finding("toast", f"{_label(other)} at {other.rect} spills out of its toast"))
                continue
            findings.append(Finding("toast", f"a toast at {toast.rect} covers {_label(other)} at {other.rect}"))
    return findings


def _container(d: Drawn, panels: list[Drawn], size: tuple[int, int]):
    """The smallest panel holding ``d``, else the title-safe area."""
    holding = [p.rect for p in panels if _inside(d.rect, p.rect)]
    return min(holding, key=lambda r: r[2] * r[3]) if holding else safe_rect(size)


def wasted_cuts(drawn: list[Drawn], size: tuple[int, int] = CANVAS) -> list[Finding]:
    """Cut texts with room to their right: up to their panel's edge, or to the next thing on their line."""
    panels = [d for d in drawn if d.kind in ("panel", "toast")]
    findings = []
    for d in drawn:
        if not d.cut:
            continue
        x, y, w, h = d.rect
        cx, _, cw, _ = _container(d, panels, size)
        limit = cx + cw - PADDING_PX
        for other in drawn:
            ox, oy, _, oh = other.rect
            same_line = oy < y + h and y < oy + oh
            if other is not d and same_line and ox >= x + w and other.kind == "text":
                limit = min(limit, ox)
            elif other.kind == "panel" and same_line and ox > x + w and _inside(other.rect, (cx, 0, cw, size[1])):
                limit = min(limit, ox)  # a panel inside the container, to the right (a progress bar's plate…)
        free = limit - (x + w)
        if free >= WASTED_PX:
            findings.append(Finding("cut", f"{d.value!r} is cut to {d.shown!r} with {free} px free beside it"))
    return findings


def judge(drawn: list[Drawn], size: tuple[int, int] = CANVAS) -> list[Finding]:
    """Every rule over one screen's record."""
    return [*too_small(drawn), *outside_safe(drawn, size), *toast_overlaps(drawn), *wasted_cuts(drawn, size)]
