"""Programme details: everything the guide knows about one programme, over whatever is below.

OK watches the channel when the programme is on now; Back returns to the screen below (the grid).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.programmeinfo import facts, heading, when
from stb.ui.screen import Dismissable
from stb.ui.text import wrap
from stb.ui.widgets import dialog, progress, text

PANEL_SIZE = (1000, 560)


class DetailsScreen(Dismissable):
    context = "details"
    opaque = False

    def __init__(self, programme: Programme, channel: Channel, theme: Theme, watch: Callable[[Channel], None]) -> None:
        self.programme, self.channel, self.theme, self.watch = programme, channel, theme, watch
        self.fonts = Fonts(theme.fonts)

    def on_now(self, now: float) -> bool:
        return self.programme.start <= now < self.programme.stop

    def handle(self, action: str, now: float) -> bool:
        if action == "ok":
            if self.on_now(time.time()):
                self.watch(self.channel)
            self.dismiss()
        elif action in ("back", "info", "green"):
            self.dismiss()
        else:
            return action.startswith("digit_") or action in ("up", "down", "left", "right")  # nothing to move here
        return True

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:
        import pygame

        t, p = self.theme, self.programme
        wall = time.time()
        rect = dialog(canvas, t, PANEL_SIZE)
        x, y, width = rect.x + 40, rect.y + 32, rect.width - 80
        small, medium, large = self.fonts.get(t.font_small), self.fonts.get(t.font_medium), self.fonts.get(t.font_large)
        bold = self.fonts.get(t.font_small, bold=True)
        y = text(canvas, bold, f"{self.channel.number}  {self.channel.name}", t.accent, (x, y), width).bottom + 8
        for line in wrap(large, heading(p), width, 2):
            y = text(canvas, large, line, t.text, (x, y)).bottom
        y = text(canvas, medium, when(p, wall), t.text, (x, y + 8), width).bottom + 8
        if self.on_now(wall):
            progress(canvas, pygame.Rect(x, y, 360, t.progress_height), p.progress(wall), t)
            y += t.progress_height + 12
        line = facts(p)
        if line:
            for part in wrap(small, line, width, 2):
                y = text(canvas, small, part, t.text_dim, (x, y)).bottom
            y += 12
        footer_y = rect.bottom - 24 - small.get_linesize()
        lines = wrap(
            small, p.description or "No description.", width, max(1, (footer_y - 12 - y) // small.get_linesize())
        )
        for line in lines:
            y = text(canvas, small, line, t.text, (x, y)).bottom
        hint = "OK  watch     Back  close" if self.on_now(wall) else "Back  close"
        text(canvas, small, hint, t.text_dim, (x, footer_y), width)
