"""Mirror mode on a running box: another box's stream on screen, and the keys that bring this box's own back.

The other box stands in as a head-end channel URL (what ``Peers.open_live`` hands over); finding and
pairing with a real one is tests/net/test_other_screens.py.
"""

from __future__ import annotations

import pygame
import pytest

from stb.bench.zap import channel_on_screen
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.lan.discovery import FoundBox
from stb.lan.peers import LiveTarget
from stb.player.engine import EngineOptions, PlaybackState
from stb.ui.app import App
from tests.ui.keys import press, step_until

pytestmark = pytest.mark.slow


@pytest.fixture
def app(headend, tmp_path):
    host, port = headend
    application = App(demo_lineup(host, port), headless=True, store=StateStore(tmp_path), pretune=1,
                      engine_options=EngineOptions(connect_timeout_s=3.0), guide_db=tmp_path / "guide.db")  # fmt: skip
    application.start()
    yield application
    application.close()


def den(url: str) -> tuple[FoundBox, LiveTarget]:
    box = FoundBox(name="Den", box_id="d1", addresses=["127.0.0.1"], port=8600, model="stb", version="1",
                   api_path="/api/v1", pairing_required=True, channel="Channel 5", host="h.local.")  # fmt: skip
    return box, LiveTarget(url, "Channel 5")


def test_mirroring_shows_the_other_box_and_channel_up_returns_to_the_line_up(app):
    step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen")
    app._start_mirror(*den(app.box.lineup.by_number(5).urls[0]))
    step_until(app, lambda: channel_on_screen(app.player) == 5, "the mirrored box's picture")
    assert app.screen.mirror_label() == ("Mirroring Den", "Showing: Channel 5")
    step_until(app, lambda: app.zapper.pretuned == {}, "the spare player stopped (a stand-in has no neighbours)")
    press(app, pygame.K_PAGEUP)  # channel up: this box's next channel, not the mirror's
    assert app.mirroring is None and app.box.current.number == 2
    step_until(app, lambda: channel_on_screen(app.player) == 2, "channel 2 after leaving the mirror")


def test_a_number_half_typed_leaves_the_mirror_at_once_and_a_dead_mirror_shows_the_failure(app):
    step_until(app, lambda: channel_on_screen(app.player) == 1, "channel 1 on screen")
    app._start_mirror(*den(app.box.lineup.by_number(97).urls[0]))  # the other box went away: its stream 404s
    step_until(app, lambda: app.player.state is PlaybackState.FAILED, "the player's failure notice")
    assert app.mirroring is not None  # still mirroring: the viewer sees why, and leaves with a key
    press(app, pygame.K_1)  # 10 and 11 exist: the entry waits for more
    assert app.mirroring is None and app.screen.entry.active
    press(app, pygame.K_1)
    step_until(app, lambda: channel_on_screen(app.player) == 11, "channel 11 typed")
