"""Asking before a step that is hard to undo (opening the box to the whole LAN, removing a paired phone).

Two buttons, the safe one focused: OK on a dialog that just appeared keeps things as they were, so a
viewer pressing OK while moving down a list never does the dangerous thing by accident.
"""

from __future__ import annotations

from collections.abc import Callable

from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.screen import Dismissable
from stb.ui.widgets import centred_text, dialog, keys_hint, paragraph, text

SIZE = (760, 340)


class ConfirmDialog(Dismissable):
    """Ends with True when the viewer chose ``action`` (and ``then`` ran), False otherwise."""

    context = "pin"  # a dialog: the keymap's and the skin's dialog section
    opaque = False

    def __init__(self, title: str, body: str, action: str, theme: Theme, then: Callable[[], None]) -> None:
        self.title, self.body, self.action, self.theme, self.then = title, body, action, theme, then
        self.fonts = Fonts(theme.fonts)
        self.choice = 0  # 0: Cancel (the safe one), 1: the action

    def handle(self, action: str, now: float) -> bool:
        if action in ("left", "right", "up", "down"):
            self.choice = 1 - self.choice
        elif action == "ok":
            if self.choice == 1:
                self.then()
            self.dismiss(self.choice == 1)
        elif action == "back":
            self.dismiss(False)
        return action not in THROUGH_DIALOGS

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        rect = dialog(canvas, t, SIZE)
        title, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        centred_text(canvas, title, self.title, t.text, rect.centerx, rect.y + 28, rect.width - 64)
        paragraph(canvas, small, self.body, t.text_dim, (rect.x + 40, rect.y + 40 + title.get_linesize()),
                  rect.width - 80, 3)  # fmt: skip
        width, gap = 240, 24
        y = rect.bottom - 44 - small.get_height() - 56
        for i, label in enumerate(("Cancel", self.action)):
            button = pygame.Rect(rect.centerx - width - gap // 2 + i * (width + gap), y, width, 56)
            focused = i == self.choice
            pygame.draw.rect(canvas, t.accent if focused else t.surface_raised, button, border_radius=t.radius // 2)
            centred_text(canvas, small, label, t.focus_text if focused else t.text, button.centerx,
                         button.centery - small.get_height() // 2, button.width - 24)  # fmt: skip
        hint = keys_hint(("◀ ▶", "choose"), ("OK", "confirm"), ("Back", "cancel"))
        text(canvas, small, hint, t.text_dim, (rect.x + 40, rect.bottom - 24 - small.get_height()), rect.width - 80)
