"""Paired devices (Settings → Paired devices): who may control the box, and removing one.

OK on a device asks first (Cancel focused); confirmed, its token is revoked at once: its next request
is refused and it must pair again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from stb.lan.auth import Auth
from stb.skin.theme import Theme
from stb.ui.confirm import ConfirmDialog
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.qr import qr_surface
from stb.ui.screen import Dismissable, Screen
from stb.ui.widgets import keys_hint, paragraph, sheet, text

ROW_HEIGHT = 56
QR_SIZE = 180


class DevicesScreen(Dismissable):
    context = "devices"
    opaque = False

    def __init__(self, auth: Auth, theme: Theme, say, page_url: Callable[[], str | None],
                 push: Callable[[Screen], None]) -> None:  # fmt: skip
        """``push`` opens the confirmation over this screen (the window's stack)."""
        self.auth, self.theme, self.say, self.page_url, self.push = auth, theme, say, page_url, push
        self._qr: tuple[str, pygame.Surface] | None = None  # (url, surface): made once per address
        self.fonts = Fonts(theme.fonts)
        self.focus = 0

    def handle(self, action: str, now: float) -> bool:
        devices = self.auth.devices()
        if action in ("up", "down") and devices:
            self.focus = (self.focus + (1 if action == "down" else -1)) % len(devices)
        elif action == "ok" and devices:
            device = devices[min(self.focus, len(devices) - 1)]

            def remove() -> None:
                if self.auth.revoke(device.id):
                    self.say(f"{device.name} removed: it must pair again")
                self.focus = max(0, min(self.focus, len(self.auth.devices()) - 1))

            self.push(ConfirmDialog(f"Remove “{device.name}”?",
                                    "It can no longer control this TV until it pairs again with a new code.",
                                    "Remove", self.theme, remove))  # fmt: skip
        elif action == "back":
            self.dismiss()
        return action not in THROUGH_DIALOGS

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        rect = sheet(canvas, t, self.fonts, "Paired devices")
        small = self.fonts.get(t.font_small)
        bottom = self._draw_page_qr(canvas, rect, small)
        devices = self.auth.devices()
        if not devices:
            paragraph(canvas, small, "None yet. A phone or laptop pairs with the code this TV shows.", t.text_dim,
                      (rect.x + 28, rect.y + 80), rect.width - 56, 2)  # fmt: skip
            return
        y = rect.y + 76
        for i, device in enumerate(devices[: (bottom - 60 - y) // ROW_HEIGHT]):
            row = pygame.Rect(rect.x + 12, y, rect.width - 24, ROW_HEIGHT - 6)
            focused = i == self.focus
            if focused:
                pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
            seen = time.strftime("%d %b %H:%M", time.localtime(device.last_seen)) if device.last_seen else "never"
            colour = t.focus_text if focused else t.text
            label = f"last seen {seen}"
            label_w = small.size(label)[0]
            text(canvas, small, device.name, colour, (row.x + 16, row.centery - small.get_height() // 2),
                 row.width - 32 - label_w - 24)  # fmt: skip
            text(canvas, small, label, t.focus_text if focused else t.text_dim,
                 (row.right - 16 - label_w, row.centery - small.get_height() // 2))  # fmt: skip
            y += ROW_HEIGHT
        text(canvas, small, keys_hint(("OK", "remove the focused device"), ("Back", "close")), t.text_dim,
             (rect.x + 28, bottom - 44), rect.width - 56)  # fmt: skip

    def _draw_page_qr(self, canvas, rect, small) -> int:
        """The web page's address as a QR code and in words, at the panel's foot; returns where it starts."""
        t = self.theme
        url = self.page_url()
        if url is None:
            note = "Phones: the web remote needs the box on the home network (stb run --listen 0.0.0.0)."
            top = rect.bottom - 20 - 2 * small.get_linesize()
            paragraph(canvas, small, note, t.text_dim, (rect.x + 28, top), rect.width - 56, 2)
            return top - 4
        if self._qr is None or self._qr[0] != url:
            self._qr = (url, qr_surface(url, QR_SIZE))
        qr = self._qr[1]
        top = rect.bottom - 28 - qr.get_height()
        canvas.blit(qr, (rect.x + 28, top))
        x = rect.x + 28 + qr.get_width() + 24
        text(canvas, small, "Pair a phone: scan this,", t.text, (x, top + 8))
        text(canvas, small, "or open in its browser:", t.text_dim, (x, top + 8 + small.get_height() + 4))
        text(canvas, small, url, t.accent, (x, top + 8 + 2 * (small.get_height() + 4)), rect.right - 28 - x)
        return top - 12
