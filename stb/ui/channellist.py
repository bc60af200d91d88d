"""The channel list: an overlay over live TV, by group, with what is on now beside each channel.

Up/Down move the focus, Page Up/Down move a screenful, Left/Right change the group (all channels,
favourites, then the line-up's groups), digits jump to a channel number, OK tunes and closes,
Favourite marks the focused channel, Back closes. It reads the Box and the guide; it never tunes
by itself except through the Box.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stb.box import Box
from stb.guide.query import Guide
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.logos import Logos
from stb.ui.numberentry import NumberEntry
from stb.ui.screen import Dismissable
from stb.ui.widgets import keys_hint, panel, side_panel, star, text

ALL, FAVOURITES, RECENT = "All channels", "Favourites", "Recent"
ROW_HEIGHT = 52
HINT_HEIGHT = 36  # the line under the rows: how many more above and below, and the keys
LOGO_SIZE = (56, 36)
NOW_TTL_S = 30.0


def groups_of(box: Box) -> list[str]:
    """All channels, favourites and recent (when there are any), then the line-up's groups in order."""
    seen: list[str] = []
    for channel in box.lineup.sorted_channels():
        seen += [g for g in channel.groups if g not in seen]
    recent = [RECENT] if len(box.state.recent) > 1 else []  # the channel on now alone is no list
    return [ALL, *([FAVOURITES] if box.state.favourites else []), *recent, *seen]


def channels_in(box: Box, group: str) -> list[Channel]:
    ordered = box.lineup.sorted_channels()
    if group == ALL:
        return ordered
    if group == FAVOURITES:
        return [c for c in ordered if c.id in box.state.favourites]
    if group == RECENT:  # newest first, not by number
        return [c for c in (box.lineup.by_id(i) for i in box.state.recent) if c is not None]
    return [c for c in ordered if group in c.groups]


class ChannelListScreen(Dismissable):
    context = "list"
    opaque = False

    def __init__(self, box: Box, theme: Theme, guide: Callable[[], Guide | None], logos: Logos | None = None) -> None:
        """``guide`` returns the guide in use now (a refresh replaces it while the list is open); ``logos`` are
        the live screen's (fetched once for the banner and the list)."""
        self.box, self.theme, self.guide = box, theme, guide
        self.logos = logos or Logos()
        self.fonts = Fonts(theme.fonts)
        self.entry = NumberEntry()
        self.group = ALL
        self.channels = channels_in(box, ALL)
        current = box.current.id if box.current else None
        self.focus = next((i for i, c in enumerate(self.channels) if c.id == current), 0)
        self.top = 0
        self._now_titles: dict[str, tuple[float, str | None]] = {}

    @property
    def focused(self) -> Channel | None:
        return self.channels[self.focus] if self.channels else None

    # -- input ---------------------------------------------------------------------------------------
    def handle(self, action: str, now: float) -> bool:
        if action.startswith("digit_"):
            number = self.entry.press(int(action[6:]), now)
            if number is not None:
                self._jump(number)
            return True
        moves = {"up": -1, "down": 1, "channel_up": -self.page_size, "channel_down": self.page_size}
        if action in moves and self.channels:
            self.focus = max(0, min(len(self.channels) - 1, self.focus + moves[action]))
        elif action in ("left", "right"):
            self._switch_group(-1 if action == "left" else 1)
        elif action == "ok":
            if self.entry.active:
                number = self.entry.commit()
                if number is not None:
                    self._jump(number)
            elif self.focused is not None:
                self.box.zap(self.focused.id)
                self.dismiss()
        elif action == "favourite" and self.focused is not None:
            self.box.toggle_favourite(self.focused.id)
            if self.group == FAVOURITES:
                self._show_group(FAVOURITES)
        elif action in ("back", "list"):
            self.dismiss()
        else:
            return False  # volume, mute, info…: the live screen below handles them
        return True

    def update(self, now: float) -> None:
        number = self.entry.due(now)
        if number is not None:
            self._jump(number)

    def _jump(self, number: int) -> None:
        index = next((i for i, c in enumerate(self.channels) if c.number == number), None)
        if index is None and self.group != ALL:  # not in this group: look in all channels
            self._show_group(ALL)
            index = next((i for i, c in enumerate(self.channels) if c.number == number), None)
        if index is not None:
            self.focus = index

    def _switch_group(self, step: int) -> None:
        groups = groups_of(self.box)
        at = groups.index(self.group) if self.group in groups else 0
        self._show_group(groups[(at + step) % len(groups)])

    def _show_group(self, group: str) -> None:
        focused = self.focused.id if self.focused else None
        self.group, self.channels = group, channels_in(self.box, group)
        self.focus = next((i for i, c in enumerate(self.channels) if c.id == focused), 0)
        self.top = 0

    # -- drawing -------------------------------------------------------------------------------------
    @property
    def page_size(self) -> int:
        return max(1, (720 - 2 * self.theme.margin_y - 96 - HINT_HEIGHT) // ROW_HEIGHT)

    def _now_title(self, channel_id: str) -> str | None:
        """What is on, asked of the guide for the visible rows only, at most every NOW_TTL_S."""
        cached = self._now_titles.get(channel_id)
        now = time.monotonic()
        if cached is None or now - cached[0] > NOW_TTL_S:
            title, guide = None, self.guide()
            if guide is not None:
                current, _ = guide.now_next(channel_ids=[channel_id]).get(channel_id, (None, None))
                title = current.title if current else None
            self._now_titles[channel_id] = cached = (now, title)
        return cached[1]

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        rect = side_panel(canvas, t, t.list_width)
        panel(canvas, rect, t)
        medium, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        text(canvas, medium, f"‹  {self.group}  ›", t.text, (rect.x + 24, rect.y + 20), rect.width - 140)
        if self.entry.active:
            typed = self.entry.digits + "_"
            text(canvas, medium, typed, t.accent, (rect.right - medium.size(typed)[0] - 24, rect.y + 20))
        rows_top = rect.y + 96
        if not self.channels:
            text(canvas, small, "No channels here yet (F marks a favourite)", t.text_dim, (rect.x + 24, rows_top),
                 rect.width - 48)  # fmt: skip
            return
        size = self.page_size
        self.top = min(max(self.top, self.focus - size + 1), self.focus)  # keep the focus visible
        current = self.box.current.id if self.box.current else None
        number_w = small.size("8" * len(str(max(c.number for c in self.channels))))[0]
        for row, channel in enumerate(self.channels[self.top : self.top + size]):
            y = rows_top + row * ROW_HEIGHT
            line = pygame.Rect(rect.x + 12, y, rect.width - 24, ROW_HEIGHT - 6)
            focused = self.top + row == self.focus
            if focused:
                pygame.draw.rect(canvas, t.accent, line, border_radius=t.radius // 2)
            if channel.id == current:  # what the TV shows now: a bar at the row's edge
                pygame.draw.rect(canvas, t.focus_text if focused else t.accent, (line.x + 4, line.y + 8, 5,
                                 line.height - 16), border_radius=2)  # fmt: skip
            colour = t.focus_text if focused else t.text
            mid = line.centery - small.get_height() // 2
            text(canvas, small, str(channel.number), colour, (line.x + 16, mid))
            x = line.x + 16 + number_w + 12
            logo = self.logos.get(channel.logo, LOGO_SIZE)
            if logo is not None:
                canvas.blit(logo, logo.get_rect(center=(x + LOGO_SIZE[0] // 2, line.centery)))
            x += LOGO_SIZE[0] + 12  # the logo's place is kept: names line up with or without one
            name_w = (line.right - x) * 9 // 20
            favourite = channel.id in self.box.state.favourites
            name = text(canvas, small, channel.name, colour, (x, mid), name_w - (22 if favourite else 0))
            if favourite:
                star(canvas, (name.right + 12, line.centery), 8, colour if focused else t.warning)
            title = self._now_title(channel.id)
            if title:
                dim = t.focus_text if focused else t.text_dim
                text(canvas, small, title, dim, (x + name_w + 12, mid), line.right - 12 - x - name_w - 12)
        above, below = self.top, max(0, len(self.channels) - self.top - size)
        more = "  ".join(part for part in (f"▲ {above} more" if above else "", f"▼ {below} more" if below else "")
                         if part)  # fmt: skip
        hint = keys_hint(("◀ ▶", "group"), ("OK", "watch"))
        hint_y = rect.bottom - 16 - small.get_height()
        text(canvas, small, hint, t.text_dim, (rect.x + 24, hint_y), rect.width - 48 - small.size(more)[0] - 24)
        if more:
            text(canvas, small, more, t.text_dim, (rect.right - 24 - small.size(more)[0], hint_y))
