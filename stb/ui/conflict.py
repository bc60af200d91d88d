"""A recording conflict, asked when it is made: keep the new recording by dropping one in the way, or not.

The recorder refused a timer because the box cannot read that many channels at once
(:class:`stb.tv.recordings.Conflict`). The dialog lists the recordings in the way (title, channel, the times
they record) and one more choice, not recording the new one, which has the focus when it opens: OK pressed
by habit changes nothing. Choosing a recording to drop asks the recorder to drop it and schedule the new one;
when that is not enough (several moments overlap) the recorder refuses again and this dialog comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stb.pvr.timers import Timer
from stb.skin.theme import Theme
from stb.tv.recordings import Conflict
from stb.ui import layouts
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.listrow import aligned
from stb.ui.screen import Dismissable
from stb.ui.text import wrap
from stb.ui.widgets import keys_hint, panel, placer, scrim

Resolve = Callable[[Conflict, Timer | None], object]


@dataclass(frozen=True)
class Choice:
    label: str  # what OK does
    detail: str  # channel · times · recording now
    drop: Timer | None  # None: do not record the new one


def span(timer: Timer, now: float) -> str:
    """The times the timer records (padding included: that is what overlaps), in local time; the day when not
    today."""
    first = max(timer.begin, timer.created) if timer.kind == "now" else timer.begin  # "now": from when asked
    begin, end, today = time.localtime(first), time.localtime(timer.end), time.localtime(now)
    day = "" if begin[:3] == today[:3] else time.strftime("%a %d %b ", begin)
    return f"{day}{time.strftime('%H:%M', begin)}–{time.strftime('%H:%M', end)}"


def choices(conflict: Conflict, channel_name: Callable[[str], str], now: float) -> list[Choice]:
    """The recordings in the way, by the time they begin, then not recording the new one."""
    out = []
    for t in conflict.others:
        doing = "Stop" if t.state == "recording" else "Drop"
        detail = f"{channel_name(t.channel)}  ·  {span(t, now)}"
        detail += "  ·  recording now" if t.state == "recording" else ""
        out.append(Choice(f"{doing} {t.title}", detail, t))
    out.append(Choice("Don't record the new one", "Keep the recordings above as they are", None))
    return out


def message(conflict: Conflict) -> str:
    n = conflict.max_channels
    limit = "The box records one channel at a time." if n == 1 else f"The box records at most {n} channels at once."
    return f"{limit} To record this, drop one of the recordings in its way:"


class ConflictDialog(Dismissable):
    """Ends with the dropped timer (the new one is asked for), or None (it is not recorded)."""

    context = "pin"  # a dialog: the keymap's and the skin's dialog section
    opaque = False

    def __init__(self, conflict: Conflict, theme: Theme, channel_name: Callable[[str], str],
                 resolve: Resolve, now: float | None = None) -> None:  # fmt: skip
        self.conflict, self.theme, self.resolve = conflict, theme, resolve
        at = time.time() if now is None else now  # the wall clock (the preview's is fixed)
        self.choices = choices(conflict, channel_name, at)
        self.message = message(conflict)
        new = conflict.timer
        self.wanted = Choice(new.title, f"{channel_name(new.channel)}  ·  {span(new, at)}", None)
        self.focus = len(self.choices) - 1  # not recording the new one: the safe choice
        self.first = 0  # the first choice shown (the list scrolls when it does not fit)
        self.fonts = Fonts(theme.fonts)
        self._laid_out: tuple[Theme, layouts.Widgets] | None = None

    def handle(self, action: str, now: float) -> bool:
        if action in ("up", "down"):
            self.focus = (self.focus + (1 if action == "down" else -1)) % len(self.choices)
        elif action == "ok":
            drop = self.choices[self.focus].drop
            self.resolve(self.conflict, drop)
            self.dismiss(drop)
        elif action == "back":
            self.resolve(self.conflict, None)
            self.dismiss(None)
        return action not in THROUGH_DIALOGS  # the dialog keeps the keys

    def update(self, now: float) -> None:
        pass

    def widgets(self) -> layouts.Widgets:
        t = self.theme
        if self._laid_out is None or self._laid_out[0] is not t:
            self._laid_out = (t, layouts.conflict(t, self.fonts, len(self.choices)))
        return self._laid_out[1]

    def draw(self, canvas, now: float) -> None:
        import pygame

        t, w = self.theme, self.widgets()
        scrim(canvas, t)
        rect = pygame.Rect(w["dialog"].rect)
        panel(canvas, rect, t, alpha=250)

        at = placer(w, rect)

        title = w["title"]
        aligned(canvas, layouts.font(self.fonts, t, title), "Too many recordings at once", t.text, at("title"),
                title.align, title.rect[2])  # fmt: skip
        said = w["message"]
        if said.visible:
            f, box = layouts.font(self.fonts, t, said), at("message")
            lines = wrap(f, self.message, box.width, max(1, min(said.lines, box.height // f.get_linesize())))
            for i, line in enumerate(lines):
                aligned(canvas, f, line, t.text_dim, pygame.Rect(box.x, box.y + i * f.get_linesize(), box.width,
                                                                 f.get_height()), said.align)  # fmt: skip
        wanted = w["wanted"]
        if wanted.visible:
            self._draw_row(canvas, at("wanted"), self.wanted, "outlined")
        self._draw_rows(canvas, at("rows"))
        hint = w["hint"]
        if hint.visible:
            keys = keys_hint(("▲ ▼", "choose"), ("OK", "confirm"), ("Back", "don't record"))
            aligned(canvas, layouts.font(self.fonts, t, hint), keys, t.text_dim, at("hint"), hint.align,
                    hint.rect[2])  # fmt: skip

    def _draw_rows(self, canvas, area) -> None:
        import pygame

        row_h = layouts.conflict_row_height(self.theme, self.fonts)
        fit = max(1, (area.height + layouts.CONFLICT_ROW_GAP) // (row_h + layouts.CONFLICT_ROW_GAP))
        self.first = min(max(self.first, self.focus - fit + 1), self.focus)
        for i, choice in enumerate(self.choices[self.first : self.first + fit]):
            row = pygame.Rect(area.x, area.y + i * (row_h + layouts.CONFLICT_ROW_GAP), area.width, row_h)
            self._draw_row(canvas, row, choice, "focused" if self.first + i == self.focus else "plain")

    def _draw_row(self, canvas, row, choice: Choice, style: str) -> None:
        """A choice (plain or focused), or the new recording (outlined): its title bold, the detail under it."""
        import pygame

        t = self.theme
        bold, small = self.fonts.get(t.font_small, bold=True), self.fonts.get(t.font_small)
        if style == "outlined":
            pygame.draw.rect(canvas, t.error, row, width=3, border_radius=t.radius // 2)
        else:
            pygame.draw.rect(canvas, t.accent if style == "focused" else t.surface_raised, row,
                             border_radius=t.radius // 2)  # fmt: skip
        ink, dim = (t.focus_text, t.focus_text) if style == "focused" else (t.text, t.text_dim)
        inner = row.inflate(-32, -16)
        aligned(canvas, bold, choice.label, ink, pygame.Rect(inner.x, inner.y, inner.width, bold.get_height()),
                "left", inner.width)  # fmt: skip
        aligned(canvas, small, choice.detail, dim, pygame.Rect(inner.x, inner.y + bold.get_linesize(), inner.width,
                                                               small.get_height()), "left", inner.width)  # fmt: skip
