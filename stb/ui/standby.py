"""What the TV shows while the box is in standby: a black screen and a dim clock.

Black on purpose, not a skin colour: a TV showing black is as close to off as the box can make it
(an OLED panel lights no pixel). The clock is drawn dimmed from the skin's ``text_dim`` and moves to
another spot every minute, so hours of standby burn nothing into a panel.
"""

from __future__ import annotations

import random
import time

from stb.guide.times import format_local
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.widgets import text

BLACK = (0, 0, 0)
DIM = 0.55  # share of text_dim's brightness the clock keeps
DRIFT = 0.3  # how far from the centre the clock wanders, as a share of the screen


class StandbyScreen:
    """Drawn instead of everything else while ``box.standby`` is on; it takes no keys (the app filters them)."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.fonts = Fonts(theme.fonts)

    def draw(self, canvas, now: float) -> None:
        canvas.fill(BLACK)
        t = self.theme
        wall = time.time()
        r, g, b = t.text_dim
        colour = (round(r * DIM), round(g * DIM), round(b * DIM))
        font = self.fonts.get(t.font_number)
        label = format_local(int(wall))
        size = font.size(label)
        width, height = canvas.get_size()
        spot = random.Random(int(wall // 60))  # the same spot for a minute, another one the next
        dx = round(spot.uniform(-DRIFT, DRIFT) * (width - size[0]))
        dy = round(spot.uniform(-DRIFT, DRIFT) * (height - size[1]))
        text(canvas, font, label, colour, (width // 2 + dx - size[0] // 2, height // 2 + dy - size[1] // 2))
