"""Typing the parental PIN: four masked digits, checked when the fourth arrives.

`PinDialog` asks over any screen (Settings, the channel list's lock key); the live screen draws its
own locked card with the same pad, since there the PIN is asked *instead of* the picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stb.parental import PinResult
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.screen import Dismissable
from stb.ui.widgets import centred_text, dialog, keys_hint

PIN_LENGTH = 4


@dataclass
class PinPad:
    digits: str = ""

    def press(self, digit: int) -> str | None:
        """Add a digit; the whole PIN once it has four (and the pad is empty again)."""
        self.digits += str(digit)
        if len(self.digits) < PIN_LENGTH:
            return None
        pin, self.digits = self.digits, ""
        return pin

    def back(self) -> bool:
        """Remove the last digit; False when there was none (Back then closes what asked)."""
        if not self.digits:
            return False
        self.digits = self.digits[:-1]
        return True


def draw_pad(canvas, fonts: Fonts, theme: Theme, centre: tuple[int, int], typed: int) -> None:
    """Four boxes, the typed ones filled: the PIN itself is never drawn."""
    import pygame

    size, gap = 44, 18
    x = centre[0] - (PIN_LENGTH * size + (PIN_LENGTH - 1) * gap) // 2
    for i in range(PIN_LENGTH):
        box = pygame.Rect(x + i * (size + gap), centre[1] - size // 2, size, size)
        pygame.draw.rect(canvas, theme.surface_raised, box, border_radius=8)
        if i < typed:
            pygame.draw.circle(canvas, theme.text, box.center, 9)
        elif i == typed:
            pygame.draw.rect(canvas, theme.accent, box, width=3, border_radius=8)


class PinDialog(Dismissable):
    """Asks for a PIN and hands it to ``submit``; closes when the answer is ok, shows why when not.

    ``submit`` returns a PinResult (checked against the lock) or None (a new PIN was only collected).
    """

    context = "pin"
    opaque = False

    def __init__(self, title: str, theme: Theme, submit: Callable[[str], PinResult | None], hint: str = "") -> None:
        self.title, self.theme, self.submit, self.hint = title, theme, submit, hint
        self.pad = PinPad()
        self.fonts = Fonts(theme.fonts)
        self.message = ""

    def handle(self, action: str, now: float) -> bool:
        if action.startswith("digit_"):
            pin = self.pad.press(int(action[6:]))
            if pin is not None:
                result = self.submit(pin)
                if result is None or result.ok:
                    self.dismiss()
                else:
                    self.message = result.message
            return True
        if action == "back":
            if not self.pad.back():
                self.dismiss()
            return True
        return action not in THROUGH_DIALOGS  # the dialog keeps the keys

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:

        t = self.theme
        medium, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        rect = dialog(canvas, t, (min(canvas.get_width() * 9 // 10, max(620, medium.size(self.title)[0] + 96)), 300))
        centred_text(canvas, medium, self.title, t.text, rect.centerx, rect.y + 32, rect.width - 64)
        draw_pad(canvas, self.fonts, t, (rect.centerx, rect.y + 140), len(self.pad.digits))
        line, colour = (
            (self.message, t.warning) if self.message else (self.hint or keys_hint(("Back", "cancel")), t.text_dim)
        )
        centred_text(canvas, small, line, colour, rect.centerx, rect.y + 210, rect.width - 64)
