"""Programme details: everything the guide knows about one programme, and what the viewer can do with it.

As on Android TV and Sky Q: the channel (logo, number, name), the day and time, the title, episode, rating
and categories, the description in the room there is, and buttons: "Watch" for a programme on now,
"Remind me" (or "Cancel reminder") for a later one, "Record" / "Record series" (or "Cancel recording" /
"Cancel series") when the box records, "Close". Back closes; the panel is as tall as its content.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.reminders import Reminder
from stb.skin.theme import Theme
from stb.skin.widgets import Placed, anchored
from stb.skin.widgets import apply as apply_specs
from stb.tv.catchup import playable
from stb.tv.recordings import TvRecordings
from stb.ui import layouts
from stb.ui.fonts import Fonts
from stb.ui.layouts import DETAILS_PAD
from stb.ui.programmeinfo import day_and_time, facts, rating
from stb.ui.screen import Dismissable
from stb.ui.text import fit, wrap
from stb.ui.widgets import centred_text, initials, keys_hint, panel, progress, safe_area, scrim, text

PAD = DETAILS_PAD
GAP = 12

Logo = Callable[[str | None, tuple[int, int]], Any]  # the live screen's logo cache: a surface or None


class RemindersPort(Protocol):
    """What the screen needs of the box's reminders (the Box satisfies it)."""

    def has_reminder(self, channel_id: str, start: int) -> bool: ...

    def toggle_reminder(self, reminder: Reminder) -> bool: ...


ARCHIVE_BUTTON = "Play from archive"
ARCHIVE_MARK = "\u25b6"  # ▶, as on the guide's cells


class DetailsScreen(Dismissable):
    """Ends with "watch" when the viewer chose Watch, None when closed."""

    context = "details"
    opaque = False

    def __init__(
        self,
        programme: Programme,
        channel: Channel,
        theme: Theme,
        watch: Callable[[Channel], None],
        reminders: RemindersPort | None = None,
        logo: Logo | None = None,
        recordings: TvRecordings | None = None,
        archive: Callable[[Programme, Channel], bool] | None = None,
    ) -> None:
        self.programme, self.channel, self.theme, self.watch = programme, channel, theme, watch
        self.reminders, self.logo, self.recordings = reminders, logo, recordings
        self.archive = archive  # plays a past programme from the channel's catch-up archive
        self.fonts = Fonts(theme.fonts)
        self.focus = 0
        self._laid_out: tuple[Theme, dict] | None = None

    def on_now(self, now: float) -> bool:
        return self.programme.start <= now < self.programme.stop

    def reminded(self) -> bool:
        return self.reminders is not None and self.reminders.has_reminder(self.channel.id, self.programme.start)

    def buttons(self, now: float) -> list[str]:
        """The actions this programme offers now, the likely one first (it has the focus when the screen opens)."""
        if self.on_now(now):
            return ["Watch", *self._record_buttons(), "Close"]
        if self.programme.start > now:
            remind = ["Cancel reminder" if self.reminded() else "Remind me"] if self.reminders is not None else []
            return [*remind, *self._record_buttons(), "Close"]
        return [ARCHIVE_BUTTON, "Close"] if self.in_archive(now) else ["Close"]

    def in_archive(self, now: float) -> bool:
        """A past programme the channel's catch-up archive still holds (and the TV can play from it)."""
        return self.archive is not None and self.programme.stop <= now and playable(self.channel, self.programme, now)

    def _record_buttons(self) -> list[str]:
        """Record (or Cancel recording) and Record series (or Cancel series), when the box records."""
        rec, p = self.recordings, self.programme
        if rec is None or not rec.available:
            return []
        one = "Cancel recording" if rec.timer_for(self.channel.id, p.start) else "Record"
        return [one, "Cancel series" if rec.rule_for(self.channel.id, p.title) else "Record series"]

    def handle(self, action: str, now: float) -> bool:
        buttons = self.buttons(time.time())
        self.focus = min(self.focus, len(buttons) - 1)
        if action in ("left", "right"):
            self.focus = (self.focus + (1 if action == "right" else -1)) % len(buttons)
        elif action == "ok":
            self._press(buttons[self.focus])
        elif action in ("back", "info", "green"):
            self.dismiss()
        else:
            return action.startswith("digit_") or action in ("up", "down")  # nothing to move there
        return True

    def _press(self, button: str) -> None:
        p = self.programme
        if button == "Watch":
            self.watch(self.channel)
            self.dismiss("watch")
        elif button == ARCHIVE_BUTTON and self.archive is not None:
            if self.archive(p, self.channel):
                self.dismiss("watch")
        elif button in ("Remind me", "Cancel reminder") and self.reminders is not None:
            self.reminders.toggle_reminder(Reminder(self.channel.id, p.start, p.stop, p.title))
        elif button in ("Record", "Cancel recording", "Record series", "Cancel series") and self.recordings:
            self._record(button)
        else:
            self.dismiss()

    def _record(self, button: str) -> None:
        rec, p, channel = self.recordings, self.programme, self.channel
        assert rec is not None
        timer, rule = rec.timer_for(channel.id, p.start), rec.rule_for(channel.id, p.title)
        if button == "Record":
            rec.record_programme(p, channel)
        elif button == "Record series":
            rec.record_series(p, channel)
        elif button == "Cancel recording" and timer is not None:
            rec.cancel(timer)
        elif button == "Cancel series" and rule is not None:
            rec.cancel_series(rule)

    def update(self, now: float) -> None:
        pass

    # -- drawing ---------------------------------------------------------------------------------------
    def draw(self, canvas, now: float) -> None:
        import pygame

        t, p, wall = self.theme, self.programme, time.time()
        if self._laid_out is None or self._laid_out[0] is not t:
            self._laid_out = (t, layouts.details(t, self.fonts))  # once per look
        w, specs = self._laid_out[1], t.layout("details")
        small, medium, large = self.fonts.get(t.font_small), self.fonts.get(t.font_medium), self.fonts.get(t.font_large)
        bold = self.fonts.get(t.font_small, bold=True)
        safe = safe_area(canvas, t)
        width = min(w["dialog"].rect[2], safe.width)
        inner = width - 2 * PAD
        logo, button = w["logo"], w["buttons"].rect[2:]

        def flows(name: str) -> bool:
            return w[name].visible and not w[name].placed

        def placed(name: str) -> bool:
            return w[name].visible and w[name].placed

        def shown(name: str, lines: list[str]) -> list[str]:
            return lines if flows(name) else []

        head_h = logo.rect[3] if flows("logo") else medium.get_linesize() + bold.get_linesize() + 14
        head_h = head_h if flows("logo") or flows("channel") or flows("time") else -20  # no head: no gap under it

        # What flows, top to bottom; the description gets the lines the safe area leaves.
        rated = w["rating"].visible
        fact = facts(p, with_rating=not rated)
        titles = shown("title", wrap(large, p.title, inner, w["title"].lines))
        sub = shown("subtitle", wrap(medium, p.sub_title, inner, w["subtitle"].lines) if p.sub_title else [])
        rating_line = shown("rating", [rating(p)] if rating(p) else [])
        fact_lines = shown("facts", wrap(small, fact, inner, w["facts"].lines) if fact else [])
        bar = flows("progress") and self.on_now(wall)
        note = self._note(wall) if w["note"].visible else ""
        hint_h = small.get_linesize() if flows("hint") else 0
        buttons_h = 24 + button[1] + 20 if not placed("buttons") else 0
        # The flow starts under the head, and under what the skin placed from the dialog's top.
        from_top = [name for name in w if name != "dialog" and placed(name)
                    and str(specs.get(name, {}).get("anchor", "top")).startswith("top")]  # fmt: skip
        start = max([PAD + head_h + 20, *(w[name].rect[1] + w[name].rect[3] + 20 for name in from_top)])
        # ... and ends over the buttons and hint, and over what the skin placed from the dialog's bottom.
        count = len(self.buttons(wall))
        button = (min(button[0], (inner - (count - 1) * GAP) // count), button[1])  # four buttons fit the width
        sizes = {name: w[name].rect[2:] for name in w} | {"buttons": (count * button[0] + (count - 1) * GAP, button[1])}
        from_bottom = [int(specs[name].get("y", 0)) + sizes[name][1] + 16 for name in w  # type: ignore[call-overload]
                       if placed(name) and str(specs.get(name, {}).get("anchor", "")).startswith("bottom")]  # fmt: skip
        end = max([buttons_h + hint_h + 28, *from_bottom])
        fixed = (
            start + len(titles) * large.get_linesize() + len(sub) * medium.get_linesize()
            + (w["progress"].rect[3] + 16 if bar else 0) + len(rating_line) * small.get_linesize()
            + 12 + len(fact_lines) * small.get_linesize()
            + (small.get_linesize() + 8 if note and flows("note") else 0) + 16 + end
        )  # fmt: skip
        dialog = specs.get("dialog", {})
        limit = min(safe.height, w["dialog"].rect[3]) if "height" in dialog else safe.height
        room = min(w["description"].lines, max(2, (limit - fixed) // small.get_linesize()))
        description = shown("description", wrap(small, p.description or "No description.", inner, room))
        height = min(safe.height, fixed + len(description) * small.get_linesize())
        if "height" in dialog:
            height = min(safe.height, w["dialog"].rect[3])
        else:  # what the skin places in it is inside it too
            bottoms = [y + h + PAD for name, part in w.items() if name != "dialog" and placed(name)
                       for _, y, _, h in [part.rect] if "anchor" not in specs.get(name, {})]  # fmt: skip
            height = min(safe.height, max([height, *bottoms]))

        scrim(canvas, t)
        rect = pygame.Rect(0, 0, width, height)
        rect.center = canvas.get_rect().center
        if dialog.keys() & {"anchor", "x", "y"}:  # the skin places it
            sized = dialog | {"width": width, "height": height}
            moved = apply_specs(
                {"dialog": Placed((rect.x, rect.y, rect.width, rect.height))}, {"dialog": sized}, canvas.get_size()
            )
            rect.topleft = moved["dialog"].rect[:2]
        panel(canvas, rect, t, alpha=250)

        def spot(name: str, size: tuple[int, int] | None = None):
            """Where a placed part goes on the canvas; an anchored one counts from the dialog as drawn."""
            x, y, pw, ph = w[name].rect
            pw, ph = size or (pw, ph)
            spec = specs.get(name, {})
            if "anchor" in spec:
                x, y = anchored(str(spec["anchor"]), int(spec.get("x", 0)), int(spec.get("y", 0)), (pw, ph),  # type: ignore[call-overload]
                                rect.size)  # fmt: skip
            return pygame.Rect(rect.x + x, rect.y + y, pw, ph)

        x, y = rect.x + PAD, rect.y + PAD
        head = pygame.Rect(x, y, logo.rect[2], head_h)
        tx = x
        if flows("logo"):
            self._draw_logo(canvas, head)
            tx = head.right + 24
        elif placed("logo"):
            self._draw_logo(canvas, spot("logo"))
        label = f"{self.channel.number}  {self.channel.name}"
        channel_font, time_font = layouts.font(self.fonts, t, w["channel"]), layouts.font(self.fonts, t, w["time"])
        below = head.y + 8
        if flows("channel"):
            below = text(canvas, channel_font, label, t.accent, (tx, head.y + 8), rect.right - PAD - tx).bottom + 6
        if flows("time"):
            text(canvas, time_font, day_and_time(p, wall), t.text, (tx, below), rect.right - PAD - tx)
        y = rect.y + start
        for line in titles:
            y = text(canvas, large, line, t.text, (x, y)).bottom
        for line in sub:
            y = text(canvas, medium, line, t.text_dim, (x, y)).bottom
        if bar:
            size = (min(w["progress"].rect[2], inner), w["progress"].rect[3])
            progress(canvas, pygame.Rect((x, y + 10), size), p.progress(wall), t)
            y += size[1] + 16
        for line in rating_line:
            y = text(canvas, layouts.font(self.fonts, t, w["rating"]), line, t.text, (x, y), inner).bottom
        y += 12
        for line in fact_lines:
            y = text(canvas, small, line, t.text_dim, (x, y)).bottom
        if note and flows("note"):
            y = text(canvas, bold, note, t.accent, (x, y + 8), inner).bottom
        y += 16
        for line in description:
            y = text(canvas, small, line, t.text, (x, y)).bottom
        if placed("buttons"):
            row = spot("buttons", sizes["buttons"])
            self._draw_buttons(canvas, row.x, row.y, wall, button)
        else:
            self._draw_buttons(canvas, x, rect.bottom - 28 - hint_h - 20 - button[1], wall, button)
        hint = keys_hint(("◀ ▶", "choose"), ("OK", "select"), ("Back", "close"))
        if hint_h:
            text(canvas, small, hint, t.text_dim, (x, rect.bottom - 28 - small.get_linesize()), inner)
        self._draw_placed(canvas, w, spot, wall, hint, label)

    def _draw_placed(self, canvas, w: dict[str, Placed], spot, wall: float, hint: str, label: str) -> None:
        """The parts the skin gave a place of their own, each in its rectangle (wrapped to it, at most its lines)."""
        t, p, fonts = self.theme, self.programme, self.fonts
        small, medium, large = fonts.get(t.font_small), fonts.get(t.font_medium), fonts.get(t.font_large)
        bold = fonts.get(t.font_small, bold=True)
        blocks = {
            "channel": (layouts.font(fonts, t, w["channel"]), label, t.accent),
            "time": (layouts.font(fonts, t, w["time"]), day_and_time(p, wall), t.text),
            "title": (large, p.title, t.text),
            "subtitle": (medium, p.sub_title or "", t.text_dim),
            "rating": (layouts.font(fonts, t, w["rating"]), rating(p), t.text),
            "facts": (small, facts(p, with_rating=not w["rating"].visible), t.text_dim),
            "note": (bold, self._note(wall), t.accent),
            "description": (small, p.description or "No description.", t.text),
            "hint": (small, hint, t.text_dim),
        }
        for name, (font, value, colour) in blocks.items():
            part = w[name]
            if not (part.visible and part.placed and value):
                continue
            box = spot(name)
            lines = min(part.lines, box.height // font.get_linesize()) if box.height else part.lines
            y = box.y
            for line in wrap(font, value, box.width, lines) if lines > 1 else [value]:
                shown_w = font.size(fit(font, line, box.width))[0]
                lx = {"left": box.x, "right": box.right - shown_w, "centre": box.centerx - shown_w // 2}[part.align]
                y = text(canvas, font, line, colour, (lx, y), box.width).bottom
        if w["progress"].visible and w["progress"].placed and self.on_now(wall):
            progress(canvas, spot("progress"), p.progress(wall), t)
        if w["image"].visible and p.icon and self.logo is not None:
            box = spot("image")
            image = self.logo(p.icon, box.size)
            if image is not None:
                canvas.blit(image, image.get_rect(center=box.center))

    def _note(self, wall: float) -> str:
        """One line on what is set or what is left: "Reminder set …", "35 min left"."""
        p = self.programme
        timer = self.recordings.timer_for(self.channel.id, p.start) if self.recordings is not None else None
        if self.on_now(wall):
            left = f"{max(1, round((p.stop - wall) / 60))} min left"
            return f"{left}  ·  Recording" if timer is not None and timer.state == "recording" else left
        if timer is not None:
            return "Will be recorded"
        if self.in_archive(wall):
            return f"{ARCHIVE_MARK} In the archive: plays from the start"
        if p.start > wall and self.reminded():
            return "Reminder set: the TV will tell you when it starts"
        return ""

    def _draw_buttons(self, canvas, x: int, y: int, wall: float, size: tuple[int, int]) -> None:
        import pygame

        t, font = self.theme, self.fonts.get(self.theme.font_small, bold=True)
        for i, label in enumerate(self.buttons(wall)):
            button = pygame.Rect(x + i * (size[0] + GAP), y, *size)
            focused = i == min(self.focus, len(self.buttons(wall)) - 1)
            pygame.draw.rect(canvas, t.accent if focused else t.surface_raised, button, border_radius=t.radius // 2)
            centred_text(canvas, font, label, t.focus_text if focused else t.text, button.centerx,
                         button.centery - font.get_height() // 2, button.width - 24)  # fmt: skip

    def _draw_logo(self, canvas, slot) -> None:
        """The channel's logo in ``slot``; without one (or until it arrives), a plate with its initials."""
        import pygame

        t = self.theme
        image = self.logo(self.channel.logo, slot.size) if self.logo is not None else None
        if image is not None:
            canvas.blit(image, image.get_rect(center=slot.center))
            return
        pygame.draw.rect(canvas, t.surface_raised, slot, border_radius=max(4, t.radius // 2))
        font = self.fonts.get(max(t.font_medium, slot.height // 3), bold=True)
        centred_text(canvas, font, initials(self.channel.name), t.text_dim, slot.centerx,
                     slot.centery - font.get_height() // 2, slot.width - 16)  # fmt: skip
