"""The sofa rules judge a record of what was drawn; each rule finds what it is for, and only that."""

from __future__ import annotations

import pygame
import pytest

from stb.skin.theme import Theme
from stb.ui import drawlog
from stb.ui.drawlog import Drawn
from stb.ui.fonts import Fonts
from stb.ui.layoutrules import judge, outside_safe, toast_overlaps, too_small, wasted_cuts
from stb.ui.widgets import panel, text, toast_spot


def words(rect, value, shown=None, size=20, room=None):
    return Drawn("text", rect, size, value, value if shown is None else shown, room, rect[2])


def test_each_rule_finds_its_fault():
    assert too_small([words((100, 100, 50, 20), "09:00", size=15)])
    assert not too_small([words((100, 100, 50, 20), "09:00", size=16)])
    assert outside_safe([Drawn("panel", (48, 532, 1184, 140))])  # the old banner: 3.75% from the sides
    assert not outside_safe([Drawn("panel", (64, 532, 1152, 140))])
    toast, title = Drawn("toast", (500, 40, 300, 60)), words((520, 60, 200, 30), "Settings")
    assert toast_overlaps([title, toast]) and not toast_overlaps([toast, words((520, 50, 100, 20), "inside")])
    banner = Drawn("panel", (64, 532, 1152, 140))
    cut = words((300, 560, 380, 24), "World Report: a Long Look at Everything", "World Report: a Long…", room=380)
    assert wasted_cuts([banner, cut])  # cut at 680 with ~520 px of banner free beside it
    assert not wasted_cuts([banner, cut, words((700, 560, 500, 24), "Next 08:30  Late News")])
    assert judge([]) == []


@pytest.fixture
def canvas():
    pygame.display.init()
    pygame.font.init()
    return pygame.Surface((1280, 720))


def test_widgets_report_what_they_draw_and_toasts_go_where_no_panel_is(canvas):
    theme = Theme()
    font = Fonts().get(20)
    with drawlog.recording() as log:
        sheet = pygame.Rect(64, 36, 760, 648)
        panel(canvas, sheet, theme)
        text(canvas, font, "A title far too long for the little room it is given here", theme.text, (90, 60), 200)
        spot = toast_spot(canvas, theme, (300, 60))
        drawn = log.on(canvas)
    assert [d.kind for d in drawn] == ["panel", "text"]
    assert drawn[1].size == 20 and drawn[1].cut and drawn[1].room == 200
    assert not spot.colliderect(sheet) and spot.x >= sheet.right  # beside the sheet, in the title-safe area
    assert drawlog.occupied(canvas) == []  # outside the recording, nothing of it is left behind
