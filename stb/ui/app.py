"""The box's main loop: pygame and libVLC on one thread, a steady frame rate, video under the OSD."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from stb.box import Box, ChannelChanged, Event, Notice, VolumeChanged
from stb.config import StateStore
from stb.errors import StbError
from stb.guide.query import Guide
from stb.guide.refresh import GuideRefresher
from stb.guide.store import default_db_path
from stb.lineup.model import Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState, Player
from stb.player.zapper import Zapper
from stb.ui.channellist import ChannelListScreen
from stb.ui.keymap import load_keymap
from stb.ui.live import LiveScreen
from stb.ui.theme import Theme

log = logging.getLogger(__name__)

CANVAS_SIZE = (1280, 720)  # the logical canvas every screen draws on
FPS = 30
DEFAULT_PRETUNE = 3  # channel up, channel down, last channel


def display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@dataclass
class RunReport:
    """What a run did, for `stb run --run-for` and for tests."""

    started_at: float = field(default_factory=time.monotonic)
    first_frame_s: float | None = None  # from start of the app to channel 1's first frame
    zaps: int = 0
    frames_drawn: int = 0
    channel: str | None = None
    state: str = "idle"


class App:
    """Wires the Box (core), the Player (libVLC) and the screens (pygame) together."""

    def __init__(
        self,
        lineup: Lineup,
        *,
        headless: bool,
        fullscreen: bool = False,
        store: StateStore | None = None,
        engine_options: EngineOptions | None = None,
        theme: Theme | None = None,
        guide_db: Path | None = None,
        pretune: int = DEFAULT_PRETUNE,
    ) -> None:
        self.report = RunReport()
        if headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"  # set before pygame starts: no window, same drawing
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        import pygame

        flags = pygame.FULLSCREEN if fullscreen else 0
        size = (0, 0) if fullscreen else CANVAS_SIZE
        try:
            pygame.display.init()
            pygame.font.init()
            self.window = pygame.display.set_mode(size, flags)
        except pygame.error as exc:
            raise StbError(f"cannot open the TV window ({exc}); try --headless") from None
        pygame.display.set_caption(f"stb — {lineup.name}")
        pygame.mouse.set_visible(not fullscreen)
        self.canvas = self.window if self.window.get_size() == CANVAS_SIZE else pygame.Surface(CANVAS_SIZE)
        self.clock = pygame.time.Clock()
        self.keymap = load_keymap()
        self.engine = Engine(engine_options)
        self.box = Box(lineup, store or StateStore())
        self.zapper = Zapper(self.engine, pretune, self.box.likely_next)
        self.box.subscribe(self._on_box_event)
        self.guide_db = guide_db or default_db_path()
        self.theme = theme or Theme()
        self.screen = LiveScreen(self.box, self.zapper, self.theme, Guide(self.guide_db, lineup))
        self.overlays: list[ChannelListScreen] = []  # screens over live TV, top last
        self.refresher = GuideRefresher(self.guide_db, lineup.guide_sources)
        self.running = True

    @property
    def player(self) -> Player:
        """The player on screen."""
        return self.zapper.active

    def _on_box_event(self, event: Event) -> None:
        if isinstance(event, ChannelChanged):
            self.report.zaps += 1
            self.zapper.zap(event.channel)
        elif isinstance(event, VolumeChanged):
            self.zapper.set_audio(event.volume, event.muted)

    def start(self) -> None:
        self.box.start()
        self.refresher.start()

    @property
    def top(self):
        """The screen on top: it gets keys first (and names the keymap context)."""
        return self.overlays[-1] if self.overlays else self.screen

    def act(self, action: str) -> None:
        """Perform a named action, exactly as if its key had been pressed.

        The top screen gets it first; what it does not handle goes down the stack to live TV.
        """
        now = time.monotonic()
        if action == "quit":
            self.running = False
            return
        for overlay in reversed(self.overlays):
            if overlay.handle(action, now):
                break
        else:
            if action == "list":
                self.overlays.append(ChannelListScreen(self.box, self.theme, lambda: self.screen.guide))
            else:
                self.screen.handle(action, now)
        self.overlays = [o for o in self.overlays if not o.closed]

    def step(self) -> None:
        """One frame: input, player messages, timers, drawing."""
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type == pygame.KEYDOWN:
                context = self.top.context
                action = self.keymap.action(context, event.key) or self.keymap.action(
                    context, ord(event.unicode or "\0")
                )
                if action:
                    self.act(action)
        now = time.monotonic()
        for event in self.zapper.step(now):
            self.screen.on_event(event)
        self._note_first_frame()
        self._drain_guide_refreshes()
        self.screen.update(now)
        for overlay in self.overlays:
            overlay.update(now)
        self.screen.draw(self.canvas, now)
        for overlay in self.overlays:
            overlay.draw(self.canvas, now)
        if self.canvas is not self.window:
            pygame.transform.smoothscale(self.canvas, self.window.get_size(), self.window)
        pygame.display.flip()
        self.report.frames_drawn += 1
        self.box.flush()

    def _note_first_frame(self) -> None:
        if self.report.first_frame_s is None and self.player.state is PlaybackState.PLAYING:
            self.report.first_frame_s = (self.player.first_frame_at or 0.0) - self.report.started_at

    def _drain_guide_refreshes(self) -> None:
        while not self.refresher.results.empty():
            result = self.refresher.results.get_nowait()
            if result.error:
                self.screen.on_event(Notice(f"Guide not updated: {result.error}"))
                continue
            old = self.screen.guide
            self.screen.set_guide(Guide(self.guide_db, self.box.lineup))  # re-matches channels too
            if old is not None:
                old.close()

    def run(self, run_for: float | None = None, screenshot: Path | None = None) -> RunReport:
        self.start()
        deadline = None if run_for is None else time.monotonic() + run_for
        try:
            while self.running and (deadline is None or time.monotonic() < deadline):
                self.step()
                self.clock.tick(FPS)
            if screenshot is not None:
                self.save_screenshot(screenshot)
        finally:
            self.close()
        return self.report

    def save_screenshot(self, path: Path) -> None:
        import pygame

        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.canvas, str(path))

    def close(self) -> None:
        import pygame

        self.report.channel = self.box.current.id if self.box.current else None
        self.report.state = self.player.state.value
        self.box.flush()
        self.refresher.stop()
        if self.screen.guide is not None:
            self.screen.guide.close()
        self.zapper.release()
        self.engine.release()
        pygame.quit()
