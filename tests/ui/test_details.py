"""Programme details on their own: the buttons a programme offers, what they do, and a long description's room."""

from __future__ import annotations

import time

import pygame

from stb.box import Box
from stb.config import StateStore
from stb.guide.query import Programme
from stb.lineup.model import Channel, Lineup
from stb.skin.theme import Theme
from stb.ui import drawlog
from stb.ui.details import DetailsScreen

CINEMA = Channel(number=3, id="cinema", name="Cinema One", urls=["http://127.0.0.1/3"])
WORDS = "A heist across three countries, told backwards by the getaway driver who never meant to drive. " * 8


def programme(start_in_s: int, length_s: int = 5400, description: str | None = "A film.") -> Programme:
    start = int(time.time()) + start_in_s
    return Programme(1, "cinema", start, start + length_s, "The Last Express", "Part 2", description, ("Movie",),
                     None, "S1 E2", None, None, "16", None, False, False, None)  # fmt: skip


def screen(p: Programme, tmp_path, watched: list | None = None) -> tuple[DetailsScreen, Box]:
    box = Box(Lineup(name="t", channels=[CINEMA]), StateStore(tmp_path))
    return DetailsScreen(p, CINEMA, Theme(), (watched if watched is not None else []).append, reminders=box), box


def test_a_programme_on_now_offers_watch_first_and_ok_watches_it_and_closes(tmp_path):
    watched: list = []
    details, _ = screen(programme(-600), tmp_path, watched)
    assert details.buttons(time.time()) == ["Watch", "Close"]
    results: list = []
    details.bind(results.append)
    details.handle("ok", 0)
    assert watched == [CINEMA] and details.closed and results == ["watch"]


def test_remind_me_on_a_later_programme_is_saved_at_once_and_toggles_back(tmp_path):
    p = programme(3600)
    details, box = screen(p, tmp_path)
    assert details.buttons(time.time()) == ["Remind me", "Close"]
    details.handle("ok", 0)
    assert not details.closed and details.buttons(time.time()) == ["Cancel reminder", "Close"]
    saved = StateStore(tmp_path).load().reminders  # on disk already, before any flush: a power cut keeps it
    assert [(r.channel_id, r.start, r.stop, r.title) for r in saved] == [("cinema", p.start, p.stop, p.title)]
    details.handle("ok", 0)  # Cancel reminder
    assert not box.has_reminder("cinema", p.start) and StateStore(tmp_path).load().reminders == []


def test_arrows_move_between_the_buttons_and_close_or_back_closes(tmp_path):
    details, box = screen(programme(3600), tmp_path)
    details.handle("right", 0)
    details.handle("ok", 0)  # Close
    assert details.closed and not box.has_reminder("cinema", details.programme.start)
    details, _ = screen(programme(3600), tmp_path)
    assert details.handle("back", 0) and details.closed


def test_a_programme_that_is_over_offers_only_close(tmp_path):
    details, _ = screen(programme(-7200, 3600), tmp_path)
    assert details.buttons(time.time()) == ["Close"]


def test_a_long_description_uses_the_room_and_nothing_is_cut_or_off_the_panel(tmp_path):
    """The old screen wrapped the description into what a fixed panel left; now the panel grows with it."""
    canvas = pygame.Surface((1280, 720))
    details, _ = screen(programme(3600, description=WORDS), tmp_path)
    with drawlog.recording() as log:
        details.draw(canvas, 0)
        drawn = log.on(canvas)
    panel = next(pygame.Rect(d.rect) for d in drawn if d.kind == "panel")
    texts = [d for d in drawn if d.kind == "text"]
    described = [d for d in texts if d.value.split()[0] in WORDS.split()]
    assert len(described) >= 6, [d.value for d in described]
    assert all(panel.contains(pygame.Rect(d.rect)) for d in texts)
    shown = {d.value for d in texts}
    assert {"3  Cinema One", "The Last Express", "Part 2", "Remind me", "Close"} <= shown
    assert any(v.startswith("Today") or v.startswith("Tomorrow") for v in shown)  # the day is always said
    assert any("S1 E2" in v and "Rated 16" in v and "Movie" in v for v in shown)
    assert panel.height > 600  # the long description takes the room the safe area gives
