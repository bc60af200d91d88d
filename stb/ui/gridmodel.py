"""What the guide grid shows and where its focus is: the grid's logic, with no pygame in it.

The grid is a window of ``rows`` channels × ``span_s`` seconds over the line-up and the guide. The
focus sits on a programme (or on a row's "no information" cell) and moves by programme, as on the
peers' boxes: left/right to the previous/next programme, up/down to the programme of the next row
that is on at the *cursor* time, so moving down a column of channels stays at the same hour. The
window follows the focus by the least whole half hours that show it (the eye keeps its place, and
the view can draw the next half hour ahead), from a day back to the end of the guide.

Programmes are asked of the guide only for the visible rows of the current window, and kept until
the window moves: a frame never queries SQLite, a key press at most once per new row.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from itertools import zip_longest

from stb.guide.query import Programme
from stb.lineup.model import Channel

SLOT_S = 1800  # the window moves in half hours, and its edges sit on them
DAY_S = 86400
PAST_S = DAY_S  # how far back the grid goes
FUTURE_S = 14 * DAY_S  # and how far ahead

Loader = Callable[[list[str], float, float], dict[str, list[Programme]]]


def floor_slot(t: float) -> int:
    return int(t) // SLOT_S * SLOT_S


class GridModel:
    def __init__(
        self,
        channels: list[Channel],
        load: Loader,
        now: float,
        *,
        rows: int,
        span_s: int,
        channel_id: str | None = None,
    ) -> None:
        if not channels:
            raise ValueError("the grid needs at least one channel")
        self.channels, self.load, self.rows, self.span_s = channels, load, max(1, rows), span_s
        self.earliest = floor_slot(now - PAST_S)
        self.latest = floor_slot(now + FUTURE_S)  # the window's start never goes past this
        self.t0 = floor_slot(now)
        self.cursor = now
        self.row = next((i for i, c in enumerate(channels) if c.id == channel_id), 0)
        self.top = 0
        self.focus: Programme | None = None
        self._windows: dict[int, dict[str, list[Programme]]] = {}  # window start → rows asked so far
        self.last_move = 0  # -1/+1 after left/right: where the window will likely go next
        self._scroll_to_row()
        self._refocus()

    # -- what is shown -----------------------------------------------------------------------------
    @property
    def t1(self) -> int:
        return self.t0 + self.span_s

    @property
    def channel(self) -> Channel:
        return self.channels[self.row]

    def visible_channels(self) -> list[Channel]:
        return self.channels[self.top : self.top + self.rows]

    def nearby_channels(self) -> list[Channel]:
        """The rows a page below and a page above the visible ones, nearest first (drawn ahead)."""
        below = self.channels[self.top + self.rows : self.top + 2 * self.rows]
        above = self.channels[max(0, self.top - self.rows) : self.top][::-1]
        return [c for pair in zip_longest(below, above) for c in pair if c is not None]

    def programmes(self, channel_id: str, t0: int | None = None) -> list[Programme]:
        """The programmes of a row in the window starting at ``t0`` (the current one by default).

        The visible rows not asked yet are loaded together with it. Rows of the windows next to the
        current one are kept too (the view draws them ahead), for the two most recent windows.
        """
        t0 = self.t0 if t0 is None else t0
        rows = self._windows.setdefault(t0, {})
        if channel_id not in rows:
            missing = [c.id for c in self.visible_channels() if c.id not in rows]
            if channel_id not in missing:
                missing.append(channel_id)
            rows.update(self.load(missing, t0, t0 + self.span_s))
        return rows.get(channel_id, [])

    def forget(self) -> None:
        """Drop every loaded row (the guide was replaced; the full-redraw baseline)."""
        self._windows.clear()

    def resize(self, rows: int) -> None:
        """A new skin shows ``rows`` rows: the focus stays where it was and in view."""
        self.rows = max(1, rows)
        self.top = max(0, min(self.top, len(self.channels) - self.rows))
        self._scroll_to_row()

    def next_windows(self) -> list[int]:
        """Where the window goes next, likeliest first: one and two half hours the way the last move
        went (a programme that starts 40 minutes past the edge takes two), then one back."""
        way = self.last_move or 1
        ahead = [self.t0 + SLOT_S * way, self.t0 + 2 * SLOT_S * way, self.t0 - SLOT_S * way]
        return [t0 for t0 in ahead if self.earliest <= t0 <= self.latest]

    # -- moving the focus ----------------------------------------------------------------------------
    def up(self) -> None:
        self._go_row(self.row - 1)

    def down(self) -> None:
        self._go_row(self.row + 1)

    def page(self, pages: int) -> None:
        """A screenful of channels up or down; the top row moves with the focus so the view pages."""
        self.top = max(0, min(self.top + pages * self.rows, max(0, len(self.channels) - self.rows)))
        self._go_row(self.row + pages * self.rows)

    def go_channel(self, number: int) -> bool:
        index = next((i for i, c in enumerate(self.channels) if c.number == number), None)
        if index is None:
            return False
        self._go_row(index)
        return True

    def right(self) -> None:
        self.last_move = +1
        focus = self.focus
        if focus is None:  # an empty row: walk its time instead
            self._go_time(max(self.cursor, self.t0) + SLOT_S)
            return
        row = self.programmes(self.channel.id)
        after = [p for p in row if p.start >= focus.stop]
        nxt = after[0] if after else self._beyond(focus.stop, forward=True)
        if nxt is None or nxt.start >= self.latest + self.span_s:
            return  # the end of the guide
        if nxt.start >= self.t1:  # the least move that shows it: its start in the last half hour
            self._set_t0(floor_slot(nxt.start) + SLOT_S - self.span_s)
        self._focus_on(nxt)

    def left(self) -> None:
        self.last_move = -1
        focus = self.focus
        if focus is None:
            self._go_time(max(self.cursor, self.t0) - SLOT_S)
            return
        row = self.programmes(self.channel.id)
        before = [p for p in row if p.stop <= focus.start]
        prev = before[-1] if before else self._beyond(focus.start, forward=False)
        if prev is None or prev.stop <= self.earliest:
            return  # a day back is as far as the grid goes
        if prev.stop <= self.t0:  # the least move that shows it: its end in the first half hour
            self._set_t0(floor_slot(prev.stop - 1))
        self._focus_on(prev)

    def shift_days(self, days: int) -> None:
        """The same hour a day later or earlier (the colour keys' ±24 h); the window keeps its place."""
        self._set_t0(self.t0 + days * DAY_S)
        self._go_time(self.cursor + days * DAY_S)

    def to_now(self, now: float) -> None:
        self._set_t0(floor_slot(now))
        self.cursor = now
        self._refocus()

    # -- internals -----------------------------------------------------------------------------------
    def _go_row(self, row: int) -> None:
        row = max(0, min(row, len(self.channels) - 1))
        if row == self.row and self.focus is not None:
            return
        self.row = row
        self._scroll_to_row()
        self._refocus()

    def _go_time(self, t: float) -> None:
        t = max(float(self.earliest), min(t, float(self.latest + self.span_s - 1)))
        if not self.t0 <= t < self.t1:
            self._set_t0(floor_slot(t))
        self.cursor = t
        self._refocus()

    def _set_t0(self, t0: int) -> None:
        t0 = max(self.earliest, min(t0, self.latest))
        if t0 != self.t0:
            self.t0 = t0
            keep = {t0 + SLOT_S * d for d in (-2, -1, 0, 1, 2)}  # the new window and its neighbours
            self._windows = {k: v for k, v in self._windows.items() if k in keep}

    def _scroll_to_row(self) -> None:
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + self.rows:
            self.top = self.row - self.rows + 1

    def _refocus(self) -> None:
        """Focus the programme of the focused row that is on at the cursor (or the nearest one)."""
        row = self.programmes(self.channel.id)
        cursor = max(self.t0, min(self.cursor, self.t1 - 1))
        starts = [p.start for p in row]
        at = bisect.bisect_right(starts, cursor) - 1
        if at >= 0 and row[at].stop > cursor:
            self.focus = row[at]
        elif at + 1 < len(row):
            self.focus = row[at + 1]
        elif row:
            self.focus = row[-1]
        else:
            self.focus = None

    def _focus_on(self, programme: Programme) -> None:
        self.focus = programme
        self.cursor = max(programme.start, self.t0)

    def _beyond(self, t: int, forward: bool) -> Programme | None:
        """The first programme after ``t`` (or last before it) on the focused row, outside the window."""
        channel_id = self.channel.id
        if forward:
            found = self.load([channel_id], t, t + DAY_S).get(channel_id, [])
            return next((p for p in found if p.start >= t), None)
        found = self.load([channel_id], t - DAY_S, t).get(channel_id, [])
        return next((p for p in reversed(found) if p.stop <= t), None)
