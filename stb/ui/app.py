"""The window: pygame's display, a steady frame loop, keys → actions, and the stack of screens over live TV.

What the TV does (what plays, the parental lock, standby, mirroring) is the TV core's (:mod:`stb.tv`); what
the screens draw with is the look's (:mod:`stb.ui.look`); which screen an action opens is the openers'
(:mod:`stb.ui.openers`). The network side is attached by :mod:`stb.assembly`. pygame and libVLC stay on
this one thread.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from stb.box import Box, ChannelChanged, Notice, StandbyChanged
from stb.commands import CommandQueue
from stb.config import StateStore
from stb.guide.query import Guide
from stb.guide.refresh import GuideRefresher
from stb.guide.store import default_db_path
from stb.lan.auth import Auth
from stb.lan.peers import Peers
from stb.lineup.model import Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState, Player
from stb.player.zapper import Zapper
from stb.skin.resolve import ResolvedSkin
from stb.skin.theme import Theme
from stb.tv import mirror
from stb.tv.core import TvCore
from stb.tv.events import MirrorChanged, TvEvent
from stb.ui import drawlog
from stb.ui.fonts import Fonts
from stb.ui.grid import GridScreen
from stb.ui.keymap import Keymap
from stb.ui.live import LiveScreen
from stb.ui.look import Look
from stb.ui.openers import Openers
from stb.ui.pairing import PairingScreen
from stb.ui.report import RunReport
from stb.ui.screen import Screen, ScreenStack
from stb.ui.standby import StandbyScreen
from stb.ui.tracks import TrackPicker
from stb.ui.window import open_window

FPS = 30
DEFAULT_PRETUNE = 3  # channel up, channel down, last channel
IDLE_WORK_S = 0.006  # at most this much drawing ahead between frames: a key waits no longer


class Network(Protocol):
    """The box's network side as the window sees it (stb.net.server.NetworkSide, attached by stb.assembly)."""

    def page_url(self) -> str | None: ...


class Service(Protocol):
    """Something started after the box and stopped before it (the network side)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class App:
    """One box on one screen: ``start``, then ``step`` once a frame (or ``run``), then ``close``."""

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
        skin: str | None = None,
        skin_dev: bool = False,
    ) -> None:
        self.report = RunReport()
        self.canvas = self.window = open_window(f"stb — {lineup.name}", headless, fullscreen)
        self.engine = Engine(engine_options)
        self.box = Box(lineup, store or StateStore())
        self.zapper = Zapper(self.engine, pretune, lambda channel: self.tv.likely_next(channel))
        self.zapper.set_pretuning(self.box.settings.pretune)
        self.guide_db = guide_db or default_db_path()
        self.refresher = GuideRefresher(self.guide_db, lineup.guide_sources,
                                        interval_s=self.box.settings.guide_refresh_hours * 3600.0)  # fmt: skip
        self.tv = TvCore(self.box, self.zapper, Guide(self.guide_db, lineup), guide_db=self.guide_db,
                         refresher=self.refresher)  # fmt: skip
        self.tv.subscribe(self._on_tv_event)
        self.auth = Auth(directory=self.box.store.path.parent)
        self.net: Network | None = None  # the network side, when stb.assembly attached one
        self.peers: Peers | None = None  # the other boxes on the LAN, when this box looks for them
        self.services: list[Service] = []
        self.look = Look(skin or self.box.settings.skin, theme, skin_dev)
        self.screen = LiveScreen(self.tv, self.look.theme_for("live"))
        self.standby_screen = StandbyScreen(self.look.theme_for("live"))
        self.stack = ScreenStack()  # screens over live TV, top last
        self.openers = Openers(self.tv, self.look, self.stack, self.screen, self.auth, self.refresher,
                               self.use_skin, self.page_url, lambda: self.peers)  # fmt: skip
        self.tv.recordings.on_conflict = self.openers.conflict  # a conflict is asked about, not only told
        self.tv.publish_snapshot()
        self.running = True

    # -- what others read -------------------------------------------------------------------------------
    @property
    def player(self) -> Player:
        """The player on screen."""
        return self.zapper.active

    @property
    def theme(self) -> Theme:
        return self.look.theme_for("live")

    @property
    def skin(self) -> ResolvedSkin | None:
        return self.look.skin

    @property
    def keymap(self) -> Keymap:
        return self.look.keymap

    @property
    def commands(self) -> CommandQueue:
        """Calls from the network thread, run between two frames."""
        return self.tv.commands

    @property
    def mirroring(self) -> mirror.Mirror | None:
        return self.tv.mirroring

    @property
    def overlays(self) -> list[Screen]:
        """The screens over live TV, top last (a copy)."""
        return list(self.stack)

    @property
    def top(self) -> Screen | LiveScreen:
        """The screen on top: it gets keys first (and names the keymap context)."""
        return self.stack.top or self.screen

    def page_url(self) -> str | None:
        """The web page's address on the LAN, for the QR code on the Paired devices screen."""
        return self.net.page_url() if self.net is not None else None

    def open_guide(self, cached: bool = True) -> GridScreen:
        return self.openers.guide(cached)

    # -- the TV's news ----------------------------------------------------------------------------------
    def _on_tv_event(self, event: TvEvent) -> None:
        """The run report, and screens that no longer fit what the TV does."""
        if isinstance(event, Notice):
            self.report.notice(event.text)
        elif isinstance(event, ChannelChanged):
            self.report.zaps += 1
            for screen in self.stack:
                if isinstance(screen, TrackPicker):
                    screen.dismiss()  # it lists the tracks of the channel just left
        elif (isinstance(event, StandbyChanged) and event.standby) or (
            isinstance(event, MirrorChanged) and event.mirror is not None
        ):
            self.stack.clear()

    def _start_mirror(self, box, target) -> None:
        self.tv.start_mirror(box, target)

    def use_skin(self, name: str, failure: str = "Skin not changed") -> bool:
        """Draw with skin ``name`` from the next frame on (Settings, --skin-dev); playback is not touched.
        A skin that cannot be read leaves the look as it was, and the TV says why."""
        previous = self.look.skin
        notice = self.look.use(name, failure)
        if self.look.skin is previous:
            self.screen.say(notice or failure)
            return False
        for screen in [self.screen, *self.stack]:
            screen.theme = self.look.theme_for(screen.context)
            screen.fonts = Fonts(screen.theme.fonts)
            getattr(screen, "forget_drawings", lambda: None)()
        self.standby_screen = StandbyScreen(self.look.theme_for("live"))
        if notice:
            self.screen.say(notice)
        return True

    # -- running ----------------------------------------------------------------------------------------
    def start(self) -> None:
        # A service marked ``before_box`` (the TV's relay, which libVLC reads everything through) runs before the
        # first tune; the others (the network side) once the box has its channel.
        first = [service for service in self.services if getattr(service, "before_box", False)]
        for service in first:
            service.start()
        self.box.start()
        for notice in self.look.notices:
            self.box.notify(notice)
        self.refresher.start()
        for service in self.services:
            if service not in first:
                service.start()
        self.tv.follow_live()
        self.tv.publish_snapshot()

    def act(self, action: str) -> None:
        """Perform a named action, exactly as if its key had been pressed.

        The top screen gets it first; what it does not handle goes down the stack to live TV.
        """
        now = time.monotonic()
        if action == "quit":
            self.running = False
            return
        if action == "power":
            self.box.set_standby(not self.box.standby)
            return
        if self.box.standby:
            return  # like a real box: in standby only Power wakes it, a stray key or a sat-on remote does not
        if action == "ok" and self.screen.take_reminder(now):
            self.stack.clear()  # a reminder's toast: OK watches its channel, from live TV or any screen
            return
        if not any(screen.handle(action, now) for screen in reversed(list(self.stack))):
            opener = self.openers.for_action(action)
            if opener is not None:
                screen = opener()
                if screen is not None:
                    self.stack.replace(screen)  # a main screen replaces the others: L from the guide opens the list
            elif self.tv.mirroring is not None and (action in mirror.LEAVE_KEYS or action.startswith("digit_")):
                self.tv.leave_mirror(None if action == "back" else lambda: self.screen.handle(action, now))
            else:
                self.screen.handle(action, now)
        self.stack.prune()

    def step(self, pending: list | None = None) -> None:
        """One frame: input (``pending`` events first), the TV core's work, timers, drawing."""
        import pygame

        for event in [*(pending or []), *pygame.event.get()]:
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type == pygame.KEYDOWN:
                context, keymap = self.top.context, self.look.keymap
                action = keymap.action(context, event.key) or keymap.action(context, ord(event.unicode or "\0"))
                if action:
                    self.act(action)
        now = time.monotonic()
        self.tv.step(now)  # the players' news, the network's commands, the lock, guide refreshes
        if (self.auth.code_to_show() is not None and not self.box.standby  # the code shows once the TV is on
                and not any(isinstance(s, PairingScreen) for s in self.stack)):  # fmt: skip
            self.stack.push(PairingScreen(self.auth, self.look.theme_for("pairing")))
        if self.report.first_frame_s is None and self.player.state is PlaybackState.PLAYING:
            self.report.first_frame_s = (self.player.first_frame_at or 0.0) - self.report.started_at
        self.screen.update(now)
        for screen in self.stack:
            screen.update(now)
        self.stack.prune()  # some close by themselves (the picker)
        skin = self.look.skin
        if skin is not None and self.look.changed_on_disk(now) and self.use_skin(skin.name, "Skin not reloaded"):
            self.screen.say(f"Skin {skin.name} reloaded")
        self.tv.publish_snapshot()  # what the network thread sees until the next frame
        self.draw(now)
        pygame.display.flip()
        self.report.frames_drawn += 1
        self.box.flush()

    def draw(self, now: float) -> None:
        """Live TV, unless a screen covers it, then the screens from the lowest one seen, then toasts
        (placed where the panels drawn this frame are not)."""
        drawlog.new_frame()
        if self.box.standby:
            self.standby_screen.draw(self.canvas, now)
            return
        screens = list(self.stack)
        covering = max((i for i, s in enumerate(screens) if s.opaque), default=-1)
        if covering < 0:
            self.screen.draw(self.canvas, now)
        for screen in screens[max(0, covering) :]:
            screen.draw(self.canvas, now)
        self.screen.draw_toasts(self.canvas, now)

    def run(self, run_for: float | None = None, screenshot: Path | None = None) -> RunReport:
        self.start()
        deadline = None if run_for is None else time.monotonic() + run_for
        try:
            pending: list = []
            next_frame = time.monotonic()
            while self.running and (deadline is None or time.monotonic() < deadline):
                self.step(pending)
                next_frame = max(next_frame + 1 / FPS, time.monotonic())  # late: do not rush to catch up
                pending = self.wait_for_frame(next_frame)
            if screenshot is not None:
                self.save_screenshot(screenshot)
        finally:
            self.close()
        return self.report

    def wait_for_frame(self, until: float) -> list:
        """Sleep until the next frame is due, but wake at once for a key: key → picture in one step.

        A blind ``clock.tick`` would let a key wait up to a whole frame before anything looked at it.
        First the top screen may use a little of the time to draw ahead (the grid's next rows).
        """
        import pygame

        idle = getattr(self.top, "idle", None)
        if idle is not None:
            idle(min(until, time.monotonic() + IDLE_WORK_S))
        left_ms = int((until - time.monotonic()) * 1000)
        if left_ms <= 0:
            return []
        event = pygame.event.wait(left_ms)
        return [] if event.type == pygame.NOEVENT else [event]

    def save_screenshot(self, path: Path) -> None:
        import pygame

        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.canvas, str(path))

    def close(self) -> None:
        import pygame

        self.report.channel = self.box.current.id if self.box.current else None
        self.report.state = self.player.state.value
        self.report.skin = self.look.skin.name if self.look.skin else None
        self.box.flush()
        for service in reversed(self.services):
            service.stop()
        self.refresher.stop()
        self.tv.close()
        self.screen.logos.close()
        self.zapper.release()
        self.engine.release()
        pygame.quit()
