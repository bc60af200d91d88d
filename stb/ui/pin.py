"""Typing the parental PIN: four masked digits, checked when the fourth arrives.

`PinDialog` asks over any screen (Settings, the channel list's lock key); the live screen draws its
own locked card with the same pad, since there the PIN is asked *instead of* the picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stb.parental import PinResult
from stb.skin.theme import Theme
from stb.ui import layouts
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.layouts import PIN_BOX, PIN_BOX_GAP
from stb.ui.listrow import aligned
from stb.ui.screen import Dismissable
from stb.ui.widgets import keys_hint, panel, placer, scrim

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
    """Four boxes, the typed ones filled, centred on ``centre``: the PIN itself is never drawn."""
    import pygame

    width = PIN_LENGTH * PIN_BOX + (PIN_LENGTH - 1) * PIN_BOX_GAP
    draw_pad_in(canvas, theme, pygame.Rect(centre[0] - width // 2, centre[1] - PIN_BOX // 2, width, PIN_BOX), typed)


def draw_pad_in(canvas, theme: Theme, rect, typed: int) -> None:
    """Four boxes as tall as ``rect``, spread over its width (at least touching), the typed ones filled."""
    import pygame

    size = max(8, min(rect.height, rect.width // PIN_LENGTH))
    gap = (rect.width - PIN_LENGTH * size) // (PIN_LENGTH - 1)
    for i in range(PIN_LENGTH):
        box = pygame.Rect(rect.x + i * (size + gap), rect.y, size, size)
        pygame.draw.rect(canvas, theme.surface_raised, box, border_radius=8)
        if i < typed:
            pygame.draw.circle(canvas, theme.text, box.center, max(3, size * 9 // PIN_BOX))
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
        self._laid_out: tuple[tuple, dict] | None = None

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
        """The dialog where the skin's `pin` layout puts it (centred, as wide as the title needs, by default)."""
        import pygame

        t = self.theme
        title_w = self.fonts.get(t.font_medium, bold=True).size(self.title)[0]
        if self._laid_out is None or self._laid_out[0] != (t, title_w):
            self._laid_out = ((t, title_w), layouts.pin(t, self.fonts, title_w))
        w = self._laid_out[1]
        scrim(canvas, t)
        rect = pygame.Rect(w["dialog"].rect)
        panel(canvas, rect, t, alpha=250)

        at = placer(w, rect)

        title = w["title"]
        aligned(canvas, layouts.font(self.fonts, t, title), self.title, t.text, at("title"), title.align,
                title.rect[2])  # fmt: skip
        draw_pad_in(canvas, t, at("pad"), len(self.pad.digits))
        message = w["message"]
        if message.visible:
            line, colour = (
                (self.message, t.warning) if self.message else (self.hint or keys_hint(("Back", "cancel")), t.text_dim)
            )
            aligned(canvas, layouts.font(self.fonts, t, message), line, colour, at("message"), message.align,
                    message.rect[2])  # fmt: skip
