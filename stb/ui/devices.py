"""Paired devices (Settings → Paired devices): who may control the box, and removing one.

OK on a device revokes its token at once: its next request is refused and it must pair again.
"""

from __future__ import annotations

import time

from stb.net.auth import Auth
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.text import fit
from stb.ui.theme import Theme
from stb.ui.widgets import panel, scrim, side_panel, text

ROW_HEIGHT = 56


class DevicesScreen:
    context = "devices"
    opaque = False

    def __init__(self, auth: Auth, theme: Theme, say) -> None:
        self.auth, self.theme, self.say = auth, theme, say
        self.fonts = Fonts(theme.fonts)
        self.closed = False
        self.focus = 0

    def handle(self, action: str, now: float) -> bool:
        devices = self.auth.devices()
        if action in ("up", "down") and devices:
            self.focus = (self.focus + (1 if action == "down" else -1)) % len(devices)
        elif action == "ok" and devices:
            device = devices[min(self.focus, len(devices) - 1)]
            if self.auth.revoke(device.id):
                self.say(f"{device.name} removed: it must pair again")
            self.focus = max(0, min(self.focus, len(devices) - 2))
        elif action == "back":
            self.closed = True
        return action not in THROUGH_DIALOGS

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        scrim(canvas, t)
        rect = side_panel(canvas, t, max(t.list_width, 760))
        panel(canvas, rect, t, alpha=250)
        title, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        text(canvas, title, "Paired devices", t.text, (rect.x + 28, rect.y + 20))
        devices = self.auth.devices()
        if not devices:
            text(canvas, small, "None yet. A phone or laptop pairs with the code this TV shows.", t.text_dim,
                 (rect.x + 28, rect.y + 80), rect.width - 56)  # fmt: skip
            return
        y = rect.y + 76
        for i, device in enumerate(devices[: (rect.height - 140) // ROW_HEIGHT]):
            row = pygame.Rect(rect.x + 12, y, rect.width - 24, ROW_HEIGHT - 6)
            focused = i == self.focus
            if focused:
                pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
            seen = time.strftime("%d %b %H:%M", time.localtime(device.last_seen)) if device.last_seen else "never"
            colour = t.focus_text if focused else t.text
            text(canvas, small, fit(small, device.name, row.width // 2), colour,
                 (row.x + 16, row.centery - small.get_height() // 2))  # fmt: skip
            label = f"last seen {seen}"
            text(canvas, small, label, t.focus_text if focused else t.text_dim,
                 (row.right - 16 - small.size(label)[0], row.centery - small.get_height() // 2))  # fmt: skip
            y += ROW_HEIGHT
        text(canvas, small, "OK: remove the focused device", t.text_dim, (rect.x + 28, rect.bottom - 44))
