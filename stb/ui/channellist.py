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
from stb.ui import layouts
from stb.ui.fonts import Fonts
from stb.ui.listrow import RowData, aligned, draw_row
from stb.ui.logos import Logos
from stb.ui.numberentry import NumberEntry
from stb.ui.screen import Dismissable
from stb.ui.widgets import keys_hint, panel, placer, side_panel, text

ALL, FAVOURITES, RECENT = "All channels", "Favourites", "Recent"
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
        self._laid_out: tuple[tuple, tuple] | None = None

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
    def _layout(self):
        """The panel's and one row's widgets for this look and number width: laid out once, then kept."""
        t = self.theme
        digits = len(str(max((c.number for c in self.channels), default=0)))
        if self._laid_out is None or self._laid_out[0] != (t, digits):
            size, panel_widgets = layouts.list_panel(t, self.fonts)
            number_w = self.fonts.get(t.font_small).size("8" * digits)[0]
            row = layouts.list_row(t, self.fonts, panel_widgets["rows"].rect[2], number_w)
            self._laid_out = ((t, digits), (size, panel_widgets, row))
        return self._laid_out[1]

    @property
    def page_size(self) -> int:
        return max(1, self._layout()[1]["rows"].rect[3] // self.theme.list_row_height)

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

    def row_data(self, index: int) -> RowData:
        """The converter: one channel of the list as the words and marks its row shows."""
        channel = self.channels[index]
        current = self.box.current.id if self.box.current else None
        return RowData(str(channel.number), channel.name, channel.logo, self._now_title(channel.id) or "",
                       channel.id in self.box.state.favourites, channel.id == current, index == self.focus)  # fmt: skip

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        size, w, row_widgets = self._layout()
        rect = side_panel(canvas, t, size[0])
        panel(canvas, rect, t)

        at = placer(w, rect)

        small = self.fonts.get(t.font_small)
        if w["title"].visible:
            text(canvas, layouts.font(self.fonts, t, w["title"]), f"‹  {self.group}  ›", t.text, at("title").topleft,
                 at("title").width)  # fmt: skip
        if self.entry.active and w["entry"].visible:
            aligned(canvas, layouts.font(self.fonts, t, w["entry"]), self.entry.digits + "_", t.accent, at("entry"),
                    w["entry"].align)  # fmt: skip
        rows = at("rows")
        if not self.channels:
            text(canvas, small, "No channels here yet (F marks a favourite)", t.text_dim, (rows.x + 12, rows.y),
                 rows.width - 24)  # fmt: skip
            return
        size_rows = self.page_size
        self.top = min(max(self.top, self.focus - size_rows + 1), self.focus)  # keep the focus visible
        for row in range(min(size_rows, len(self.channels) - self.top)):
            line = pygame.Rect(rows.x, rows.y + row * t.list_row_height, rows.width,
                               t.list_row_height - layouts.LIST_ROW_GAP)  # fmt: skip
            data = self.row_data(self.top + row)
            logo = self.logos.get(data.logo, row_widgets["logo"].rect[2:]) if row_widgets["logo"].visible else None
            draw_row(canvas, line, t, self.fonts, row_widgets, data, logo)
        if not w["hint"].visible:
            return
        above, below = self.top, max(0, len(self.channels) - self.top - size_rows)
        more = "  ".join(part for part in (f"▲ {above} more" if above else "", f"▼ {below} more" if below else "")
                         if part)  # fmt: skip
        hint = keys_hint(("◀ ▶", "group"), ("OK", "watch"))
        box, f = at("hint"), layouts.font(self.fonts, t, w["hint"])
        text(canvas, f, hint, t.text_dim, box.topleft, box.width - f.size(more)[0] - 24)
        if more:
            text(canvas, f, more, t.text_dim, (box.right - f.size(more)[0], box.y))
