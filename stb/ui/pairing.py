"""The pairing code on the TV: shown while a device asks to pair, gone when it paired or expired.

Back refuses the device (the household did not ask for it); the next device waiting then shows. The
code is the only proof that the person pairing can see this TV, so it is shown here (and, on a box
without a screen, on its console and to `stb pairing list` on the box itself) and nowhere else. The
name is the device's claim, so it is drawn as a quoted name with where it came from, never as a
sentence of the box's own ("Web page says: call 555-0100").
"""

from __future__ import annotations

import time

from stb.lan.auth import Auth, PendingPairing
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.screen import Dismissable
from stb.ui.widgets import centred_text, dialog, keys_hint


class PairingScreen(Dismissable):
    context = "pairing"
    opaque = False

    def __init__(self, auth: Auth, theme: Theme) -> None:
        self.auth, self.theme = auth, theme
        self.fonts = Fonts(theme.fonts)
        pending = auth.code_to_show()
        self.pairing_id = pending.id if pending else None

    def handle(self, action: str, now: float) -> bool:
        if action == "back":
            self.auth.cancel()
            self.dismiss()
        return action not in THROUGH_DIALOGS

    def update(self, now: float) -> None:
        pending = self.auth.code_to_show()
        if pending is None or pending.id != self.pairing_id:
            self.dismiss()

    def draw(self, canvas, now: float) -> None:

        pending = self.auth.code_to_show()
        if pending is None:
            return
        t = self.theme
        rect = dialog(canvas, t, (760, 420))
        small, medium = self.fonts.get(t.font_small), self.fonts.get(t.font_medium, bold=True)
        huge = self.fonts.get(t.font_number, bold=True)
        said = words(pending, len(self.auth.queue) - 1)
        lines = [  # the name on a line of its own, quoted: a claim, never a sentence of the box's
            (small, said[0], t.text_dim, 24),
            (medium, said[1], t.text, 54),
            (small, said[2], t.text_dim, 100),
            (small, "Type this code on that device:", t.text_dim, 140),
            (huge, f"{pending.code[:3]} {pending.code[3:]}", t.accent, 174),
        ]
        if self.auth.fingerprint:  # the device shows the same: it pins this box, not one that claims its id
            lines.append((small, f"Box key {self.auth.fingerprint}", t.text_dim, 300))
        left = max(0, int(pending.expires_at - time.time()))
        expiry = f"Expires in {left // 60}:{left % 60:02d}  ·  {keys_hint(('Back', 'refuse'))}"
        lines.append((small, expiry, t.text_dim, 340 if self.auth.fingerprint else 300))
        for font, value, colour, dy in lines:
            centred_text(canvas, font, value, colour, rect.centerx, rect.y + dy, rect.width - 64)


def words(pending: PendingPairing, waiting: int) -> tuple[str, str, str]:
    """Who asks, as the TV says it: "Device named", the quoted name, "wants to pair, from ADDRESS"."""
    origin = f"wants to pair, from {pending.address}" + (f"  ·  {waiting} more waiting" if waiting > 0 else "")
    return "Device named", f"“{pending.client_name}”", origin
