"""The guide grid: channels × time over a small live picture, with the focused programme described.

Fast with 1000 channels × 14 days because a frame does almost nothing: the grid is drawn once into
pieces (one per channel row, the details pane, the time bar, the footer), each kept until what it
shows changes. The focus is drawn over its row every frame, so a row piece does not depend on it:
moving the focus redraws only the details pane, and the rows a page above and below are drawn
ahead, between frames (`idle`), so scrolling mostly blits. Cell titles are rendered once per
programme and width.
`cached=False` redraws everything every frame; `stb bench ui` measures both.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from stb.box import Box
from stb.guide.genres import genre_family
from stb.guide.query import Guide, Programme
from stb.guide.times import format_local
from stb.lineup.model import Channel
from stb.skin.theme import Theme
from stb.ui import drawlog, layouts
from stb.ui.fonts import Fonts
from stb.ui.gridmodel import SLOT_S, GridModel
from stb.ui.guidedetails import details_data, draw_details
from stb.ui.layoutrules import MIN_TEXT_PX
from stb.ui.numberentry import NumberEntry
from stb.ui.screen import Dismissable
from stb.ui.widgets import FittedImages, keys_hint, place, star, text

TEXT_CACHE_SIZE = 2000  # rendered cell titles kept; a screenful is ~50
PIECE_CACHE_SIZE = 160  # rows, heads, panes; a screen with what is drawn ahead is ~90


def day_label(t: float, now: float) -> str:
    day, today = date.fromtimestamp(t), date.fromtimestamp(now)
    names = {0: "Today", 1: "Tomorrow", -1: "Yesterday"}
    return names.get((day - today).days) or datetime.fromtimestamp(t).strftime("%a %d %b")


@lru_cache(maxsize=512)
def _family(categories: tuple[str, ...]) -> str | None:
    return genre_family(categories)  # a guide repeats a few category sets thousands of times


class GridScreen(Dismissable):
    context = "guide"
    opaque = True  # covers live TV (whose picture it shows in its own corner)

    def __init__(
        self,
        box: Box,
        theme: Theme,
        guide: Callable[[], Guide | None],
        draw_video: Callable[[object, object], None],
        open_details: Callable[[Programme, Channel], None],
        *,
        now: float | None = None,
        cached: bool = True,
        marked: Callable[[str], frozenset[int]] = lambda channel_id: frozenset(),
        record: Callable[[Programme, Channel], None] | None = None,
        archived: Callable[[Channel, float], float | None] = lambda channel, now: None,
    ) -> None:
        self.box, self.theme, self.guide = box, theme, guide
        self.marked = marked  # a channel's programme starts with a recording timer: a red dot on their cells
        self.record = record  # the record key on a programme (None: the box does not record; live TV's key then)
        self.archived = archived  # the oldest start a channel's catch-up archive holds: a ▶ on those cells
        self.draw_video, self.open_details = draw_video, open_details
        self.cached = cached
        self.fonts = Fonts(theme.fonts)
        self.entry = NumberEntry()
        rows = self._lay_out()
        self.model = GridModel(
            box.lineup.sorted_channels(), self._load, time.time() if now is None else now,
            rows=rows, span_s=theme.grid_minutes * 60, channel_id=box.current.id if box.current else None,
        )  # fmt: skip
        self.brand = FittedImages()
        self._pieces: OrderedDict[tuple, object] = OrderedDict()  # rows, details, time bar, footer
        self._texts: OrderedDict[tuple, object] = OrderedDict()  # cell titles
        self.pieces_drawn = 0  # how many pieces were drawn rather than reused (tests)
        self.rows_drawn = 0
        self._guide_seen = guide()  # a guide refresh replaces it: then everything is asked again

    def _lay_out(self) -> int:
        """Where the widgets go, from the skin, once per look (nothing is laid out per frame); how many rows fit."""
        self.widgets = w = layouts.guide(self.theme, self.fonts)
        self.preview = w["preview"].rect
        self.rows_y = w["programmes"].rect[1]
        self.grid_x, self.grid_width = w["programmes"].rect[0], w["programmes"].rect[2]
        self.row_x = w["channels"].rect[0]  # a row piece spans the channel column and the cells
        self.row_width = self.grid_x + self.grid_width - self.row_x
        return max(1, w["programmes"].rect[3] // self.theme.grid_row_height)

    def forget_drawings(self) -> None:
        """The skin changed: lay out again and draw every piece again."""
        self.model.resize(self._lay_out())
        self._pieces.clear()
        self._texts.clear()

    def _load(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]:
        guide = self.guide()
        return guide.window(channel_ids, t0, t1) if guide is not None else {}

    # -- input ---------------------------------------------------------------------------------------
    def handle(self, action: str, now: float) -> bool:
        model = self.model
        if action.startswith("digit_"):
            number = self.entry.press(int(action[6:]), now)
            if number is not None:
                self._go_number(number)
            return True
        moves = {
            "up": model.up, "down": model.down, "left": model.left, "right": model.right,
            "channel_up": lambda: model.page(-1), "channel_down": lambda: model.page(+1),
            "red": lambda: model.to_now(time.time()),
            "yellow": lambda: model.shift_days(-1), "blue": lambda: model.shift_days(+1),
        }  # fmt: skip
        if action in moves:
            moves[action]()
        elif action == "ok" and self.entry.active:
            number = self.entry.commit()
            if number is not None:
                self._go_number(number)
        elif action == "ok":
            focus = model.focus
            if focus is None or focus.start <= time.time() < focus.stop:
                self.box.zap(model.channel.id)  # on now (or no guide): watch it
                self.dismiss()
            else:
                self.open_details(focus, model.channel)
        elif action in ("info", "green") and model.focus is not None:
            self.open_details(model.focus, model.channel)
        elif action == "record" and self.record is not None and model.focus is not None:
            self.record(model.focus, model.channel)  # the focused programme, not the channel on screen
        elif action == "favourite":
            self.box.toggle_favourite(model.channel.id)
        elif action in ("back", "guide"):
            self.dismiss()
        else:
            return False  # volume, mute…: live TV below takes them
        return True

    def _go_number(self, number: int) -> None:
        if not self.model.go_channel(number):
            self.box.notify(f"No channel {number}")

    def update(self, now: float) -> None:
        number = self.entry.due(now)
        if number is not None:
            self._go_number(number)

    # -- drawing -------------------------------------------------------------------------------------
    def draw(self, canvas, now: float) -> None:
        import pygame

        wall = time.time()
        guide = self.guide()
        if not self.cached or guide is not self._guide_seen:  # the baseline, or a refreshed guide
            self._guide_seen = guide
            self._pieces.clear()
            self._texts.clear()
            self.model.forget()
        t, model, w = self.theme, self.model, self.widgets
        canvas.fill(t.background)
        focus = model.focus.id if model.focus else None
        if w["details"].visible:
            x, y, width, height = w["details"].rect
            place(canvas, self._piece(("details", model.channel.id, focus, self.entry.digits, int(wall // 60)),
                                      (width, height), self._draw_details, wall), (x, y))  # fmt: skip
        if w["header"].visible:
            x, y, width, height = w["header"].rect
            place(canvas, self._piece(("time", model.t0, int(wall // 3600)), (width, height), self._draw_time_bar,
                                      wall), (x, y))  # fmt: skip
        for index, channel in enumerate(model.visible_channels()):
            place(canvas, self._row(channel, wall), (self.row_x, self.rows_y + index * t.grid_row_height))
        self._draw_focus(canvas, wall)
        if w["legend"].visible:
            x, y, width, height = w["legend"].rect
            place(canvas, self._piece(("footer",), (width, height), self._draw_footer), (x, y))
        if w["preview"].visible:
            self.draw_video(canvas, pygame.Rect(self.preview))
            drawlog.add(canvas, drawlog.Drawn("panel", self.preview))  # the live picture is a widget too
        if w["now_line"].visible:
            self._draw_now_line(canvas, wall)

    def _row(self, channel: Channel, wall: float, t0: int | None = None):
        """A channel's row in the window from ``t0``, without the focus: the same piece whether or not
        the focus is on it."""
        t = self.theme
        t0 = self.model.t0 if t0 is None else t0
        programmes = self.model.programmes(channel.id, t0)
        key = ("row", channel.id, t0, channel.id in self.box.state.favourites,
               self.box.current is not None and channel.id == self.box.current.id,
               sum(p.stop <= wall for p in programmes), len(programmes), self.marked(channel.id))  # fmt: skip
        return self._piece(key, (self.row_width, t.grid_row_height), self._draw_row, channel, wall, t0)

    def idle(self, until: float) -> None:
        """Between frames: draw ahead the rows the next key likely shows (the window a half hour on, in
        the direction of the last move; a page below and above), so scrolling mostly blits.

        Stops at ``until`` (monotonic), so a key pressed meanwhile waits a few milliseconds at most.
        """
        if not self.cached:
            return
        wall, model = time.time(), self.model
        windows = model.next_windows()
        wanted: list[tuple[Channel, int | None]] = [(c, t0) for t0 in windows[:1] for c in model.visible_channels()]
        wanted += [(c, None) for c in model.nearby_channels()]  # a page down or up
        wanted += [(c, t0) for t0 in windows[1:] for c in model.visible_channels()]
        for channel, t0 in wanted:
            if time.monotonic() >= until:
                return
            self._row(channel, wall, t0)

    def _draw_focus(self, canvas, wall: float) -> None:
        """The focused row's head and programme, drawn over the row every frame (cheap: cached pieces)."""
        import pygame

        t, model = self.theme, self.model
        y = self.rows_y + (model.row - model.top) * t.grid_row_height
        place(canvas, self._head(model.channel, focused=True), (self.row_x, y))
        h = t.grid_row_height - t.grid_gap
        focus = model.focus
        if focus is None:
            cell = pygame.Rect(self.grid_x, y, self.grid_width, h)
            self._draw_cell(canvas, cell, None, "No information", True, past=False)
            return
        cell = self._cell_rect(focus, self.grid_x, y)
        if cell is not None:
            self._draw_cell(canvas, cell, focus, focus.title, True, past=focus.stop <= wall)

    def _head(self, channel: Channel, focused: bool):
        """The channel's number and name, kept apart from its row: a row moved in time reuses it."""
        t = self.theme
        key = ("head", channel.id, focused, channel.id in self.box.state.favourites,
               self.box.current is not None and channel.id == self.box.current.id)  # fmt: skip
        size = (self.widgets["channels"].rect[2] - t.grid_gap, t.grid_row_height - t.grid_gap)
        return self._piece(key, size, self._draw_head, channel, focused)

    def _cell_rect(self, p: Programme, grid_x: int, y: int, t0: int | None = None):
        """Where ``p`` sits in a row whose grid starts at ``grid_x``; None when too thin to draw."""
        import pygame

        model, t = self.model, self.theme
        t0 = model.t0 if t0 is None else t0
        per_s = self.grid_width / model.span_s
        x0 = grid_x + round((max(p.start, t0) - t0) * per_s)
        x1 = grid_x + round((min(p.stop, t0 + model.span_s) - t0) * per_s)
        if x1 - x0 < 4:
            return None
        return pygame.Rect(x0, y, x1 - x0 - t.grid_gap, t.grid_row_height - t.grid_gap)

    def _piece(self, key: tuple, size: tuple[int, int], draw: Callable, *args):
        """A part of the screen drawn once per ``key`` (what it shows) and blitted from then on."""
        import pygame

        piece = self._pieces.get(key)
        if piece is None:
            piece = pygame.Surface(size)
            piece.fill(self.theme.background)
            draw(piece, *args)
            self._pieces[key] = piece
            self.pieces_drawn += 1
            if len(self._pieces) > PIECE_CACHE_SIZE:
                self._pieces.popitem(last=False)
        else:
            self._pieces.move_to_end(key)
        return piece

    def _draw_details(self, surface, wall: float) -> None:
        shown = details_data(self.model.channel, self.model.focus, self.entry.digits if self.entry.active else None,
                             wall)  # fmt: skip
        draw_details(surface, self.theme, self.fonts, self.widgets["details"], shown)

    def _draw_time_bar(self, surface, wall: float) -> None:
        import pygame

        t, model, header = self.theme, self.model, self.widgets["header"]
        y, grid_x = 0, self.grid_x - header.rect[0]  # ticks line up with the cells below
        font = layouts.font(self.fonts, t, header)
        text(surface, font, day_label(model.t0, wall), t.text, (0, y + 4), self.widgets["channels"].rect[2] - 12)
        per_s = self.grid_width / model.span_s
        for tick in range(model.t0, model.t1, SLOT_S):
            x = grid_x + round((tick - model.t0) * per_s)
            pygame.draw.line(surface, t.surface_raised, (x, y + 4), (x, y + surface.get_height() - 2))
            text(surface, font, format_local(tick), t.text_dim, (x + 6, y + 4))

    def _draw_head(self, surface, channel: Channel, focused: bool) -> None:
        import pygame

        t = self.theme
        h = t.grid_row_height - t.grid_gap
        head = pygame.Rect(0, 0, surface.get_width(), h)
        pygame.draw.rect(surface, t.surface_raised if focused else t.surface, head, border_radius=6)
        if self.box.current is not None and channel.id == self.box.current.id:
            pygame.draw.rect(surface, t.accent, (head.x, head.y, 5, head.height), border_radius=2)
        bold = layouts.font(self.fonts, t, self.widgets["channels"])
        y = head.y + (h - bold.get_height()) // 2
        text(surface, bold, str(channel.number), t.text_dim, (head.x + 12, y))
        name_x = head.x + 12 + self._number_width(bold) + 10  # as wide as the line-up's longest number, no wider
        room = head.right - name_x - 8
        favourite = channel.id in self.box.state.favourites
        name = text(surface, bold, channel.name, t.text, (name_x, y), room - (22 if favourite else 0))
        if favourite:  # after the name: the name keeps the room
            star(surface, (name.right + 12, head.centery), 8, t.warning)

    def _number_width(self, font) -> int:
        widest = max((c.number for c in self.box.lineup.channels), default=0)
        return font.size("8" * len(str(widest)))[0]

    def _draw_row(self, surface, channel: Channel, wall: float, t0: int) -> None:
        """One channel's row, as a piece of its own: scrolling one row draws one row, not the grid."""
        import pygame

        t, model = self.theme, self.model
        grid_x = self.grid_x - self.row_x
        self.rows_drawn += 1
        place(surface, self._head(channel, focused=False), (0, 0))
        programmes = model.programmes(channel.id, t0)
        if not programmes:
            cell = pygame.Rect(grid_x, 0, self.grid_width, t.grid_row_height - t.grid_gap)
            self._draw_cell(surface, cell, None, "No information", False, past=False)
            return
        for p in programmes:
            cell = self._cell_rect(p, grid_x, 0, t0)
            if cell is not None:
                self._draw_cell(surface, cell, p, p.title, False, past=p.stop <= wall)

    def _draw_cell(self, surface, cell, p: Programme | None, title: str, focused: bool, past: bool) -> None:
        import pygame

        t = self.theme
        fill = t.accent if focused else (t.surface if past else t.surface_raised)
        pygame.draw.rect(surface, fill, cell, border_radius=6)
        genre = t.genre_colour(_family(p.categories)) if p is not None else None
        if genre and not focused:
            pygame.draw.rect(surface, genre, (cell.x, cell.y, 5, cell.height), border_radius=2)
        if cell.width < 24:
            return
        label = self._cell_text(p, title, cell.width - 20, focused, past)
        place(surface, label, (cell.x + 12, cell.y + (cell.height - label.get_height()) // 2))
        if p is not None and p.start in self.marked(p.channel):  # a recording timer: a red dot, top right
            radius = max(4, cell.height // 8)
            pygame.draw.circle(surface, t.error, (cell.right - radius - 6, cell.y + radius + 5), radius)
        elif p is not None and past and self._in_archive(p):  # playable from the archive: a ▶, top right
            size = max(5, cell.height // 6)
            x, y = cell.right - size - 7, cell.y + 5
            colour = t.focus_text if focused else t.text_dim
            pygame.draw.polygon(surface, colour, [(x, y), (x, y + 2 * size), (x + int(size * 1.7), y + size)])

    def _in_archive(self, p: Programme) -> bool:
        channel = self.box.lineup.by_id(p.channel)
        oldest = self.archived(channel, time.time()) if channel is not None else None
        return oldest is not None and p.start >= oldest

    def _cell_text(self, p: Programme | None, title: str, width: int, focused: bool, past: bool):
        """The cell's title (and times when they fit), rendered once per programme, width and look."""
        import pygame

        key = (p.id if p else title, width, focused, past)
        cached = self._texts.get(key)
        if cached is not None:
            self._texts.move_to_end(key)
            return cached
        t = self.theme
        colour = t.focus_text if focused else (t.text_dim if past or p is None else t.text)
        cells = self.widgets["programmes"]
        title_font = layouts.font(self.fonts, t, cells)
        times_font = layouts.font(self.fonts, t, cells, offset=-4, floor=MIN_TEXT_PX)
        span = f"{format_local(p.start)}–{format_local(p.stop)}" if p is not None else ""
        two = bool(span) and cells.lines > 1 and width >= times_font.size(span)[0] and \
            title_font.get_height() + times_font.get_height() <= t.grid_row_height - t.grid_gap  # fmt: skip
        height = title_font.get_height() + (times_font.get_height() if two else 0)
        surface = pygame.Surface((max(1, width), height), pygame.SRCALPHA)
        text(surface, title_font, title or " ", colour, (0, 0), width)
        if two:
            text(surface, times_font, span, t.focus_text if focused else t.text_dim, (0, title_font.get_height()))
        self._texts[key] = surface
        if len(self._texts) > TEXT_CACHE_SIZE:
            self._texts.popitem(last=False)
        return surface

    def _draw_footer(self, surface) -> None:
        import pygame

        t = self.theme
        font = layouts.font(self.fonts, t, self.widgets["legend"], offset=-2, floor=MIN_TEXT_PX)
        height = surface.get_height()
        x, y = 0, (height - font.get_height()) // 2
        for colour, label in zip(t.colour_keys, ("Now", "Details", "−24 h", "+24 h"), strict=True):
            pygame.draw.circle(surface, colour, (x + 8, y + font.get_height() // 2), 7)
            x = text(surface, font, label, t.text_dim, (x + 22, y)).right + 24
        logo = self.brand.get(t.brand_logo, (160, height - 4))
        room = surface.get_width() - x - 12 - (logo.get_width() + 16 if logo is not None else 0)
        legend = keys_hint(("OK", "watch or details"), ("0–9", "channel"), ("Back", "close"))
        if font.size(legend)[0] > room:
            legend = keys_hint(("OK", "watch"), ("0–9", "channel"), ("Back", "close"))
        text(surface, font, legend, t.text_dim, (x + 12, y), room)
        if logo is not None:  # the operator's, bottom right
            surface.blit(logo, (surface.get_width() - logo.get_width(), (height - logo.get_height()) // 2))

    def _draw_now_line(self, canvas, wall: float) -> None:
        import pygame

        model = self.model
        if not model.t0 <= wall < model.t1:
            return
        x = self.grid_x + round((wall - model.t0) * self.grid_width / model.span_s)
        top, height = self.widgets["now_line"].rect[1], self.widgets["now_line"].rect[3]
        bottom = min(top + height, self.rows_y + len(model.visible_channels()) * self.theme.grid_row_height)
        pygame.draw.line(canvas, self.theme.now_line, (x, top), (x, bottom), 2)
