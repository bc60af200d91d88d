"""The guide grid's focus and window rules, over a made-up guide (the loader is the seam)."""

from __future__ import annotations

import pytest

from stb.guide.query import Programme
from stb.lineup.model import Channel
from stb.ui.gridmodel import DAY_S, SLOT_S, GridModel, floor_slot

NOW = 1_800_000_000 + 600  # 10 minutes into a half hour
HOUR = 3600


def channel(n: int) -> Channel:
    return Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1/{n}"])


def programme(pid: int, cid: str, start: int, stop: int) -> Programme:
    return Programme(pid, cid, start, stop, f"P{pid}", None, None, (), None, None, None, None, None, None, False,
                     False, None)  # fmt: skip


class FakeGuide:
    """Programmes of fixed ``length`` from ``begin`` to ``end`` on every channel but the empty ones."""

    def __init__(self, length: int, begin: int, end: int, empty: frozenset[str] = frozenset()) -> None:
        self.length, self.begin, self.end, self.empty = length, begin, end, empty
        self.calls: list[tuple[list[str], float, float]] = []

    def __call__(self, ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]:
        self.calls.append((list(ids), t0, t1))
        result = {}
        for cid in ids:
            rows = []
            if cid not in self.empty:
                first = max(self.begin, self.begin + (int(t0) - self.begin) // self.length * self.length)
                for start in range(first, min(int(t1), self.end), self.length):
                    if start + self.length > t0:
                        rows.append(programme(start // 60 + int(cid[1:]) * 10**9, cid, start, start + self.length))
            result[cid] = rows
        return result


def grid(n_channels: int = 20, length: int = HOUR, empty: frozenset[str] = frozenset(), **kw) -> GridModel:
    guide = FakeGuide(length, floor_slot(NOW) - 3 * DAY_S, floor_slot(NOW) + 3 * DAY_S, empty)
    return GridModel([channel(n) for n in range(1, n_channels + 1)], guide, NOW, rows=5, span_s=2 * HOUR, **kw)


def test_opens_on_the_current_channel_at_what_is_on_now():
    g = grid(channel_id="c7")
    assert g.channel.number == 7 and g.focus.start <= NOW < g.focus.stop
    assert g.t0 == floor_slot(NOW) and g.channel in g.visible_channels()


def test_right_and_left_move_by_programme_and_the_window_follows():
    g = grid(length=HOUR)
    first = g.focus
    g.right()
    assert g.focus.start == first.stop and g.t0 == floor_slot(NOW)  # still visible: the window stays
    g.right()
    g.right()
    assert g.focus.start == first.stop + 2 * HOUR and g.t0 <= g.focus.start < g.t1  # window moved to show it
    for _ in range(3):
        g.left()
    assert g.focus == first and first.stop > g.t0 and first.start < g.t1  # back, and visible again


def test_down_keeps_the_hour_and_stops_at_the_last_channel():
    g = grid(n_channels=8)
    g.right()
    hour = g.focus.start
    for _ in range(20):
        g.down()
    assert g.channel.number == 8 and g.focus.start == hour
    assert g.top == 8 - 5  # the last channel is the bottom row, not alone at the top
    for _ in range(20):
        g.up()
    assert g.channel.number == 1 and g.top == 0


def test_page_moves_a_screenful_and_clamps_at_both_ends():
    g = grid(n_channels=12)
    g.page(+1)
    assert g.channel.number == 6 and g.top == 5
    g.page(+1)
    assert g.channel.number == 11 and g.top == 7
    g.page(+1)
    assert g.channel.number == 12 and g.top == 7
    g.page(-1)
    g.page(-1)
    g.page(-1)
    assert g.channel.number == 1 and g.top == 0


def test_a_day_forward_and_back_keeps_the_hour_and_stops_a_day_back():
    g = grid()
    at = g.focus.start
    g.shift_days(+1)
    assert g.focus.start == at + DAY_S and g.t0 == floor_slot(NOW) + DAY_S
    g.shift_days(-1)
    g.shift_days(-1)
    assert g.focus.start == at - DAY_S
    g.shift_days(-1)  # two days back is past the grid's reach: it stays a day back
    assert g.t0 >= floor_slot(NOW - DAY_S) and g.focus.stop > g.earliest


def test_left_stops_at_the_earliest_and_right_at_the_end_of_the_guide():
    g = grid(length=HOUR)
    for _ in range(60):
        g.left()
    assert g.focus.start == g.earliest and g.t0 <= g.focus.start + SLOT_S < g.focus.stop  # first, and seen
    t0 = g.t0
    g.left()
    assert g.focus.start == g.earliest and g.t0 == t0  # nothing further back
    for _ in range(24 * 5):
        g.right()
    last = g.focus
    g.right()
    assert g.focus == last  # the fake guide ends three days ahead: nothing more to the right
    assert last.stop == floor_slot(NOW) + 3 * DAY_S


def test_moving_right_across_midnight_moves_the_window_into_the_next_day():
    g = grid(length=HOUR)
    midnight = (NOW // DAY_S + 1) * DAY_S
    while g.focus.start < midnight:
        g.right()
    assert g.focus.start == midnight and g.t0 <= midnight < g.t1


def test_empty_rows_walk_time_and_the_focus_comes_back_to_programmes():
    g = grid(empty=frozenset({"c2"}))
    g.down()
    assert g.channel.number == 2 and g.focus is None
    g.right()
    g.right()
    g.down()
    assert g.focus is not None and g.focus.start <= g.cursor < g.focus.stop


def test_rows_are_loaded_once_per_window_and_together():
    guide = FakeGuide(HOUR, floor_slot(NOW) - DAY_S, floor_slot(NOW) + DAY_S)
    g = GridModel([channel(n) for n in range(1, 30)], guide, NOW, rows=6, span_s=2 * HOUR)
    for c in g.visible_channels():
        g.programmes(c.id)
    assert len(guide.calls) == 1 and len(guide.calls[0][0]) == 6  # the visible rows in one ask
    g.down()
    assert g.channel.number == 2 and len(guide.calls) == 1  # row 2 was already loaded


def test_go_channel_by_number():
    g = grid()
    assert g.go_channel(17) and g.channel.number == 17 and g.channel in g.visible_channels()
    assert not g.go_channel(555) and g.channel.number == 17


def test_to_now_returns_from_anywhere():
    g = grid()
    g.shift_days(+1)
    g.right()
    g.to_now(NOW)
    assert g.t0 == floor_slot(NOW) and g.focus.start <= NOW < g.focus.stop


@pytest.mark.parametrize("rows", [1, 3])
def test_tiny_grids_still_follow_the_focus(rows):
    guide = FakeGuide(SLOT_S, floor_slot(NOW) - DAY_S, floor_slot(NOW) + DAY_S)
    g = GridModel([channel(n) for n in range(1, 6)], guide, NOW, rows=rows, span_s=HOUR)
    for _ in range(4):
        g.down()
        assert g.top <= g.row < g.top + rows
