"""The cards live TV shows instead of, or over, the picture: the parental lock, and trouble with what happens next.

An icon card on a dimmed backdrop with one plain sentence and what the box does next, as Android TV and Sky Q
do, so "Channel unavailable" reads over any picture and says what the viewer can do.
"""

from __future__ import annotations

import time
from typing import Any

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.pin import draw_pad
from stb.ui.text import wrap
from stb.ui.trouble import FAILED, FROZEN, STALLED
from stb.ui.widgets import centred_text, keys_hint, panel, safe_area, scrim

SOUND_ONLY = "Sound only"  # a TV channel that sends audio only, or undecodable video
ANOTHER = "P+ or P− for another channel."
CARDS = {  # trouble → (title, one plain sentence); what happens next is added when drawn
    FAILED: ("Channel unavailable", "This channel is not sending a picture right now."),
    STALLED: ("Signal interrupted", "The picture stopped. The box is reconnecting."),
    FROZEN: ("Signal interrupted", "The picture has not moved for a few seconds. The box is waiting for it."),
    "sound": (SOUND_ONLY, "This channel sends sound, but no picture this box can show."),
}


def next_step(kind: str, retry_at: float | None) -> str:
    """What happens next, in words: when the box tries again, and that another channel is one key away."""
    if kind == "sound":
        return ANOTHER
    if kind == FAILED:
        if retry_at is not None:
            seconds = max(1, round(retry_at - time.monotonic()))
            return f"Trying again in {seconds} s. {ANOTHER}"
        return f"The box keeps trying. {ANOTHER}"
    return f"It comes back by itself. {ANOTHER}"


def draw_lock_card(
    canvas: Any,
    t: Theme,
    fonts: Fonts,
    channel: Channel | None,
    current: Programme | None,
    pin: tuple[int, str] | None,
) -> None:
    """Instead of the picture: which channel is locked, what is on, and the PIN boxes once OK asked for them
    (``pin``: digits typed and what the last try said)."""
    import pygame

    large, medium, small = fonts.get(t.font_large, bold=True), fonts.get(t.font_medium), fonts.get(t.font_small)
    card = pygame.Rect(0, 0, min(760, safe_area(canvas, t).width), 330)
    shift = 60 if t.banner_position == "bottom" else -60  # away from the banner
    card.center = (canvas.get_width() // 2, canvas.get_height() // 2 - shift)
    panel(canvas, card, t, alpha=250)
    cx, width, y = card.centerx, card.width - 64, card.y + 28
    lines = [(small, "Parental lock", t.warning)]
    if channel is not None:
        lines.append((large, f"{channel.number}  {channel.name}", t.text))
    if current is not None:
        rated = f" (rated {current.rating})" if current.rating else ""
        lines.append((medium, f"{current.title}{rated}", t.text_dim))
    for font, value, colour in lines:
        y = centred_text(canvas, font, value, colour, cx, y, width).bottom + 10
    if pin is not None:
        digits, message = pin
        draw_pad(canvas, fonts, t, (cx, y + 44), digits)
        hint = message or keys_hint(("Digits", "the PIN"), ("Back", "erase"))
        colour = t.warning if message else t.text_dim
    else:
        hint = keys_hint(("OK", "enter the PIN"), ("P+/P− or a number", "another channel"))
        colour = t.text
    hint_lines = wrap(small, hint, width, 2)
    y = card.bottom - 24 - len(hint_lines) * small.get_linesize()
    for line in hint_lines:
        y = centred_text(canvas, small, line, colour, cx, y).bottom


def draw_trouble_card(canvas: Any, t: Theme, fonts: Fonts, kind: str, then: str, banner: Any) -> None:
    """Trouble as an icon card on a dimmed picture: what happened, in one plain sentence, and ``then``."""
    import pygame

    if kind != "sound":
        scrim(canvas, t)  # the frozen or last picture, dimmed: the card reads over any colour
    title, sentence = CARDS[kind]
    large, small = fonts.get(t.font_large, bold=True), fonts.get(t.font_small)
    safe = safe_area(canvas, t)
    width = min(900, safe.width)
    lines = wrap(small, sentence, width - 64, 2) + wrap(small, then, width - 64, 2)
    card = pygame.Rect(0, 0, width, 132 + large.get_height() + len(lines) * small.get_linesize())
    free = (safe.y, banner.y) if t.banner_position == "bottom" else (banner.bottom, safe.bottom)
    card.center = (safe.centerx, (free[0] + free[1]) // 2)
    panel(canvas, card, t, alpha=250)
    icon = (card.centerx, card.y + 44)
    colour = t.error if kind == FAILED else t.warning
    pygame.draw.circle(canvas, colour, icon, 26, width=4)
    pygame.draw.line(canvas, colour, (icon[0], icon[1] - 13), (icon[0], icon[1] + 4), 5)
    pygame.draw.circle(canvas, colour, (icon[0], icon[1] + 12), 3)
    y = centred_text(canvas, large, title, t.text, card.centerx, card.y + 84, width - 64).bottom + 10
    for i, line in enumerate(lines):
        colour = t.text if i < len(lines) - 1 or len(lines) == 1 else t.text_dim
        y = centred_text(canvas, small, line, colour, card.centerx, y).bottom + 2
