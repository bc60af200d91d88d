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
from stb.ui.numberentry import NumberEntry
from stb.ui.screen import Dismissable
from stb.ui.text import fit
from stb.ui.widgets import side_panel, star

ALL, FAVOURITES, RECENT = "All channels", "Favourites", "Recent"
ROW_HEIGHT = 52
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

    def __init__(self, box: Box, theme: Theme, guide: Callable[[], Guide | None]) -> None:
        """``guide`` returns the guide in use now (a refresh replaces it while the list is open)."""
        self.box, self.theme, self.guide = box, theme, guide
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
        return max(1, (720 - 2 * self.theme.margin - 96) // ROW_HEIGHT)

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
        panel = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.rect(panel, (*t.surface, t.surface_alpha), panel.get_rect(), border_radius=t.radius)
        canvas.blit(panel, rect.topleft)
        medium, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        header = medium.render(f"‹  {self.group}  ›", True, t.text)
        canvas.blit(header, (rect.x + 24, rect.y + 20))
        if self.entry.active:
            typed = medium.render(self.entry.digits + "_", True, t.accent)
            canvas.blit(typed, (rect.right - typed.get_width() - 24, rect.y + 20))
        rows_top = rect.y + 96
        if not self.channels:
            empty = small.render("No channels here yet (F marks a favourite)", True, t.text_dim)
            canvas.blit(empty, (rect.x + 24, rows_top))
            return
        size = self.page_size
        self.top = min(max(self.top, self.focus - size + 1), self.focus)  # keep the focus visible
        for row, channel in enumerate(self.channels[self.top : self.top + size]):
            y = rows_top + row * ROW_HEIGHT
            line = pygame.Rect(rect.x + 12, y, rect.width - 24, ROW_HEIGHT - 6)
            focused = self.top + row == self.focus
            if focused:
                pygame.draw.rect(canvas, t.accent, line, border_radius=t.radius // 2)
            colour = t.focus_text if focused else t.text
            number = small.render(str(channel.number), True, colour)
            canvas.blit(number, (line.x + 12, line.centery - number.get_height() // 2))
            if channel.id in self.box.state.favourites:
                star(canvas, (line.x + 60, line.centery), 8, colour if focused else t.warning)
            name = small.render(fit(small, channel.name, 220), True, colour)
            canvas.blit(name, (line.x + 76, line.centery - name.get_height() // 2))
            title = self._now_title(channel.id)
            if title:
                dim = t.focus_text if focused else t.text_dim
                text = small.render(fit(small, title, line.right - line.x - 320), True, dim)
                canvas.blit(text, (line.x + 310, line.centery - text.get_height() // 2))
