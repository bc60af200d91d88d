"""The toasts over every screen (notices and reminders, the volume indicator, the muted mark), drawn in the
skin's `toasts` and `volume` layouts.

A toast the skin does not place goes where no panel is this frame (:func:`stb.ui.widgets.toast_spot`); one it
places is always at its spot, its size what it holds (a notice's ``width`` is the widest it gets).
"""

from __future__ import annotations

from stb.skin.theme import CANVAS, Theme
from stb.skin.widgets import Placed, anchored
from stb.ui import layouts
from stb.ui.fonts import Fonts
from stb.ui.text import wrap
from stb.ui.widgets import panel, safe_area, text, toast_spot


class Toasts:
    """Draws the toasts for one look; their layouts are worked out once per look (and per label width)."""

    def __init__(self, theme: Theme, fonts: Fonts) -> None:
        self.theme, self.fonts = theme, fonts
        self._laid_out: dict[object, dict[str, Placed]] = {}

    def _layout(self, key: object, make) -> dict[str, Placed]:
        if key not in self._laid_out:
            self._laid_out[key] = make()
        return self._laid_out[key]

    def _spot(self, layout: str, name: str, widget: Placed, size: tuple[int, int]):
        """Where the skin put a toast of ``size``: its anchor counted with the toast's own size."""
        import pygame

        spec = self.theme.layout(layout).get(name, {})
        x, y = widget.rect[:2]
        if "anchor" in spec:
            x, y = anchored(str(spec["anchor"]), int(spec.get("x", 0)), int(spec.get("y", 0)), size, CANVAS)  # type: ignore[call-overload]
        return pygame.Rect(x, y, *size)

    def volume(self, canvas, level: int, muted: bool) -> None:
        """A level bar at the right edge, clear of the banner and panels; a muted box says MUTE instead of a level."""
        import pygame

        t = self.theme
        label = "MUTE" if muted else str(level)
        label_w = self.fonts.get(t.font_small, bold=True).size(label)[0]
        w = self._layout(("volume", label_w), lambda: layouts.volume(t, self.fonts, label_w))
        toast = w["toast"]
        if not toast.visible:
            return
        if toast.placed:
            rect = self._spot("volume", "toast", toast, toast.rect[2:])
        else:
            safe = safe_area(canvas, t)
            rect = toast_spot(canvas, t, toast.rect[2:], side="right")
            rect.y = toast.rect[1] if rect.right == safe.right else rect.y
        panel(canvas, rect, t, alpha=245, kind="toast")
        x, y, tw, th = w["track"].rect
        track = pygame.Rect(rect.x + x, rect.y + y, tw, th)
        pygame.draw.rect(canvas, t.surface_raised, track, border_radius=6)
        if not muted:
            filled = track.copy()
            filled.height = round(track.height * level / 100)
            filled.bottom = track.bottom
            pygame.draw.rect(canvas, t.accent, filled, border_radius=6)
        if w["level"].visible:
            x, y, lw, lh = w["level"].rect
            _line(canvas, layouts.font(self.fonts, t, w["level"]), label, t.warning if muted else t.text,
                  pygame.Rect(rect.x + x, rect.y + y, lw, lh), w["level"].align)  # fmt: skip

    def muted(self, canvas) -> None:
        """A small speaker with a cross, top right, for as long as the sound is off."""
        import pygame

        t = self.theme
        widget = self._layout("toasts", lambda: layouts.toasts(t, self.fonts))["muted"]
        if not widget.visible:
            return
        font = layouts.font(self.fonts, t, widget)
        size = (font.size("Muted")[0] + 80, font.get_height() + 24)
        rect = self._spot("toasts", "muted", widget, size) if widget.placed else toast_spot(canvas, t, size,
                                                                                              side="right")  # fmt: skip
        panel(canvas, rect, t, alpha=245, kind="toast")
        icon = pygame.Rect(rect.x + 16, rect.centery - 10, 20, 20)
        pygame.draw.polygon(canvas, t.text, [(icon.x, icon.y + 6), (icon.x + 6, icon.y + 6), (icon.x + 13, icon.y),
                                             (icon.x + 13, icon.bottom), (icon.x + 6, icon.bottom - 6),
                                             (icon.x, icon.bottom - 6)])  # fmt: skip
        cross = pygame.Rect(icon.right + 4, icon.y + 4, 12, 12)
        pygame.draw.line(canvas, t.warning, cross.topleft, cross.bottomright, 3)
        pygame.draw.line(canvas, t.warning, cross.bottomleft, cross.topright, 3)
        text(canvas, font, "Muted", t.text, (cross.right + 12, rect.centery - font.get_height() // 2))

    def notice(self, canvas, message: str) -> None:
        """A short notice where no panel is (over the Settings title and the banner it was unreadable), or where
        the skin put it."""
        import pygame

        t = self.theme
        widget = self._layout("toasts", lambda: layouts.toasts(t, self.fonts))["notice"]
        if not widget.visible:
            return
        font = layouts.font(self.fonts, t, widget)
        safe = safe_area(canvas, t)
        most = min(widget.rect[2], safe.width)
        lines = wrap(font, message, most - 48, widget.lines)
        width = max(font.size(line)[0] for line in lines) + 48
        height = len(lines) * font.get_linesize() + 24
        if widget.placed:
            rect = self._spot("toasts", "notice", widget, (width, height))
        else:
            prefer = "bottom" if t.banner_position == "top" else "top"
            rect = toast_spot(canvas, t, (width, height), prefer=prefer)
            if rect.width < width:  # a narrower free stretch: wrap again to it, and find a place for that
                lines = wrap(font, message, rect.width - 48, widget.lines + 1)
                rect = toast_spot(canvas, t, (rect.width, len(lines) * font.get_linesize() + 24), prefer=prefer)
        panel(canvas, rect, t, alpha=245, kind="toast")
        y = rect.y + 12
        for line in lines:
            _line(canvas, font, line, t.text, pygame.Rect(rect.x + 24, y, rect.width - 48, font.get_linesize()),
                  widget.align)  # fmt: skip
            y += font.get_linesize()


def _line(canvas, font, value: str, colour, box, align: str) -> None:
    """One line at ``align`` in ``box``, from its top (a centred one as stb.ui.widgets.centred_text puts it)."""
    w = font.size(value)[0]
    x = {"left": box.x, "right": box.right - w, "centre": box.centerx - w // 2}[align]
    text(canvas, font, value, colour, (x, box.y))
