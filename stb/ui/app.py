"""The box's main loop: pygame and libVLC on one thread, a steady frame rate, video under the OSD."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from stb.box import Box, ChannelChanged, Notice, StandbyChanged
from stb.commands import CommandQueue
from stb.config import StateStore
from stb.errors import StbError
from stb.guide.query import Guide
from stb.guide.refresh import GuideRefresher
from stb.guide.store import default_db_path
from stb.lan.auth import Auth
from stb.lan.peers import Peers
from stb.lineup.model import Channel, Lineup
from stb.player.engine import Engine, EngineOptions, PlaybackState, Player
from stb.player.zapper import Zapper
from stb.skin.resolve import SkinError, installed_skins, resolve, resolve_with_fallback
from stb.skin.theme import Theme
from stb.tv import mirror
from stb.tv.core import TvCore
from stb.tv.events import MirrorChanged, TvEvent
from stb.ui.channellist import ChannelListScreen
from stb.ui.details import DetailsScreen
from stb.ui.devices import DevicesScreen
from stb.ui.fonts import Fonts
from stb.ui.grid import GridScreen
from stb.ui.keymap import load_keymap, user_keymap_path
from stb.ui.live import LiveScreen
from stb.ui.otherscreens import OtherScreensScreen, ScreensHooks
from stb.ui.pairing import PairingScreen
from stb.ui.pin import PinDialog
from stb.ui.settings import Hooks, SettingsScreen
from stb.ui.standby import StandbyScreen
from stb.ui.tracks import TrackPicker

log = logging.getLogger(__name__)

Screen = (
    ChannelListScreen
    | GridScreen
    | DetailsScreen
    | SettingsScreen
    | PinDialog
    | TrackPicker
    | PairingScreen
    | DevicesScreen
    | OtherScreensScreen
)


CANVAS_SIZE = (1280, 720)  # the logical canvas every screen draws on
FPS = 30
DEFAULT_PRETUNE = 3  # channel up, channel down, last channel
IDLE_WORK_S = 0.006  # at most this much drawing ahead between frames: a key waits no longer


def display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


MAX_REPORTED_NOTICES = 50  # notices kept for the `--run-for` report


@dataclass
class RunReport:
    """What a run did, for `stb run --run-for` and for tests."""

    started_at: float = field(default_factory=time.monotonic)
    first_frame_s: float | None = None  # from start of the app to channel 1's first frame
    zaps: int = 0
    frames_drawn: int = 0
    channel: str | None = None
    state: str = "idle"
    skin: str | None = None  # the skin drawn with (None: the built-in look)
    notices: list[str] = field(default_factory=list)  # what the TV told the viewer, in order (the latest ones)


class Network(Protocol):
    """The box's network side as the window sees it (stb.net.server.NetworkSide, wired by stb.assembly)."""

    def page_url(self) -> str | None: ...


class Service(Protocol):
    """Something started after the box and stopped before it (the network side)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class App:
    """The window: pygame's display, the frame loop, the keymap and the screen stack over the TV core.

    The TV's behaviour (what plays, lock, standby, mirroring) is :class:`~stb.tv.core.TvCore`'s; the network
    side is attached by :mod:`stb.assembly`, which sets ``net``, ``peers`` and ``services``.
    """

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
        if headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"  # set before pygame starts: no window, same drawing
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        import pygame

        # SDL scales the logical canvas to the window or the full screen (on the GPU where there is one),
        # so every screen draws at 1280x720 and a 1080p TV gets a sharp 1.5x picture for free.
        flags = 0 if headless else pygame.SCALED | (pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE)
        try:
            pygame.display.init()
            pygame.font.init()
            self.window = pygame.display.set_mode(CANVAS_SIZE, flags)
        except pygame.error as exc:
            raise StbError(f"cannot open the TV window ({exc}); try --headless") from None
        pygame.display.set_caption(f"stb — {lineup.name}")
        pygame.mouse.set_visible(not fullscreen)
        self.canvas = self.window
        self.engine = Engine(engine_options)
        self.box = Box(lineup, store or StateStore())
        self.zapper = Zapper(self.engine, pretune, lambda channel: self.tv.likely_next(channel))
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
        self.fixed_theme = theme  # tests draw with one Theme; otherwise the skin gives one per screen
        self.skin, self._skin_notice = (None, None) if theme else resolve_with_fallback(skin or self.box.settings.skin)
        self.skin_dev = skin_dev
        self._skin_stamp = self._skin_files_stamp()
        self._skin_checked_at = 0.0
        self.keymap, self._keymap_notice = self._load_keymap()
        self.screen = LiveScreen(self.tv, self.theme_for("live"))
        self.standby_screen = StandbyScreen(self.theme_for("live"))
        self.zapper.set_pretuning(self.box.settings.pretune)
        self.overlays: list[Screen] = []  # screens over live TV, top last
        self.tv.publish_snapshot()
        self.running = True

    def page_url(self) -> str | None:
        """The web page's address on the LAN, for the QR code on the Paired devices screen."""
        return self.net.page_url() if self.net is not None else None

    def theme_for(self, screen: str) -> Theme:
        """What ``screen`` draws with: the skin's values with that screen's overrides."""
        if self.fixed_theme is not None:
            return self.fixed_theme
        return self.skin.theme(screen) if self.skin is not None else Theme()

    @property
    def theme(self) -> Theme:
        return self.theme_for("live")

    def _skin_files_stamp(self) -> tuple:
        """Modification times of the skin's files, for --skin-dev only (no stat calls otherwise)."""
        if self.skin is None or not self.skin_dev:
            return ()
        stamp = []
        for path in self.skin.files:
            try:
                stamp.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                stamp.append((str(path), None))
        return tuple(stamp)

    def _reload_skin_if_changed(self, now: float) -> None:
        """--skin-dev: every second, look at the skin's files; when one changed, read the skin again and
        hand every screen its new Theme. Playback is not touched; a broken edit keeps the old look."""
        if not self.skin_dev or self.skin is None or now - self._skin_checked_at < 1.0:
            return
        self._skin_checked_at = now
        stamp = self._skin_files_stamp()
        if stamp == self._skin_stamp:
            return
        self._skin_stamp = stamp
        if self.use_skin(self.skin.name, failure="Skin not reloaded"):
            self.screen.say(f"Skin {self.skin.name} reloaded")

    def use_skin(self, name: str, failure: str = "Skin not changed") -> bool:
        """Draw with skin ``name`` from the next frame on (Settings, --skin-dev); playback is not touched.
        A skin that cannot be read leaves the look as it was, and the TV says why."""
        try:
            self.skin = resolve(name, self.skin.overrides if self.skin else None)
        except SkinError as exc:
            log.warning("%s", exc)
            self.screen.say(f"{failure}: {exc.problems[0]}")
            return False
        self._skin_stamp = self._skin_files_stamp()
        for screen in [self.screen, *self.overlays]:
            screen.theme = self.theme_for(screen.context)
            screen.fonts = Fonts(screen.theme.fonts)
            getattr(screen, "forget_drawings", lambda: None)()
        self.standby_screen = StandbyScreen(self.theme_for("live"))
        self.keymap, notice = self._load_keymap()
        if notice:
            self.screen.say(notice)
        return True

    def _load_keymap(self):
        """The packaged keymap, then the skin chain's `keymap.json` files, then the user's; a broken one
        is skipped, and said so."""
        skin_maps = [f.directory / "keymap.json" for f in self.skin.chain] if self.skin else []
        layers, notice = [], None
        for layer in (p for p in [*skin_maps, user_keymap_path()] if p.is_file()):
            try:
                load_keymap(overrides=[layer])  # each file on its own: a broken one is left out by itself
            except StbError as exc:
                log.warning("%s; leaving it out", exc)
                notice = notice or f"A keymap was not used: {exc}"
                continue
            layers.append(layer)
        return load_keymap(overrides=layers), notice

    @property
    def player(self) -> Player:
        """The player on screen."""
        return self.zapper.active

    @property
    def commands(self) -> CommandQueue:
        """Calls from the network thread, run between two frames."""
        return self.tv.commands

    @property
    def mirroring(self) -> mirror.Mirror | None:
        return self.tv.mirroring

    def _on_tv_event(self, event: TvEvent) -> None:
        """What the window does when the TV changes: the run report, and screens that no longer fit."""
        if isinstance(event, Notice):
            kept = self.report.notices[-(MAX_REPORTED_NOTICES - 1) :]  # the latest: a box runs for months
            self.report.notices = [*kept, event.text]
        elif isinstance(event, ChannelChanged):
            self.report.zaps += 1
            for overlay in self.overlays:
                if isinstance(overlay, TrackPicker):
                    overlay.closed = True  # it lists the tracks of the channel just left
        elif isinstance(event, StandbyChanged) and event.standby:
            for overlay in self.overlays:
                overlay.closed = True
            self.overlays = []
        elif isinstance(event, MirrorChanged) and event.mirror is not None:
            for overlay in self.overlays:
                overlay.closed = True

    def start(self) -> None:
        self.box.start()
        for notice in (self._keymap_notice, self._skin_notice):
            if notice:
                self.box.notify(notice)
        self.refresher.start()
        for service in self.services:
            service.start()
        self.tv.follow_live()
        self.tv.publish_snapshot()

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
        if action == "power":
            self.box.set_standby(not self.box.standby)
            return
        if self.box.standby:
            return  # like a real box: in standby only Power wakes it, a stray key or a sat-on remote does not
        for overlay in reversed(self.overlays):
            if overlay.handle(action, now):
                break
        else:
            opener = self._openers().get(action)
            if opener is not None:
                screen = opener()
                if screen is not None:
                    self.overlays = [screen]  # a main screen replaces the others: L from the guide opens the list
            elif self.tv.mirroring is not None and (action in mirror.LEAVE_KEYS or action.startswith("digit_")):
                self.tv.leave_mirror(None if action == "back" else lambda: self.screen.handle(action, now))
            else:
                self.screen.handle(action, now)
        self.overlays = [o for o in self.overlays if not o.closed]

    def _openers(self) -> dict:
        return {
            "list": lambda: ChannelListScreen(self.box, self.theme_for("list"), lambda: self.tv.guide),
            "guide": self.open_guide,
            "audio_track": lambda: self._track_picker("audio_track"),
            "subtitles": lambda: self._track_picker("subtitles"),
            "menu": lambda: SettingsScreen(self.box, self.theme_for("settings"), Hooks(
                push=lambda screen: self.overlays.append(screen),  # the list of the moment, not of creation
                set_pretuning=self.zapper.set_pretuning,
                set_refresh_hours=lambda hours: setattr(self.refresher, "interval_s", hours * 3600.0),
                refresh_guide_now=self.refresher.refresh_now,
                use_skin=self.use_skin,
                devices=lambda: len(self.auth.devices()),
                open_devices=lambda: self.overlays.append(DevicesScreen(self.auth, self.theme_for("devices"),
                                                                        self.screen.say, self.page_url)),
                skins=lambda: [folder.name for folder in installed_skins()] or [self.box.settings.skin],
            )),
            "other_screens": self._other_screens,
        }  # fmt: skip

    # -- other screens: the boxes on the LAN, mirroring one of them ------------------------------------------
    def _other_screens(self) -> OtherScreensScreen | None:
        if self.peers is None:
            self.screen.say("Other screens: this box is not on the network (stb run --listen 0.0.0.0)")
            return None
        hooks = ScreensHooks(self.peers, lambda: self.box.lineup, lambda: self.box.settings.box_name,
                             mirror=self.tv.start_mirror, tune=self._tune_here)  # fmt: skip
        return OtherScreensScreen(self.theme_for("screens"), hooks)

    def _start_mirror(self, box, target) -> None:
        self.tv.start_mirror(box, target)

    def _tune_here(self, channel: Channel) -> None:
        """ "Tune the same channel": from our own line-up, leaving a mirror first (it may be our channel already)."""
        if self.tv.mirroring is not None:
            self.tv.leave_mirror()
        self._watch(channel)

    def _track_picker(self, kind: str) -> TrackPicker | None:
        """The picker, or a notice when there is nothing to choose from."""
        player = self.player
        if kind == "audio_track" and len(player.audio_tracks()) < 2:
            self.screen.say("Only one audio track" if player.audio_tracks() else "No audio")
            return None
        if kind == "subtitles" and not player.subtitle_tracks():
            self.screen.say("No subtitles on this channel")
            return None
        return TrackPicker(kind, player, self.theme_for("tracks"), time.monotonic())

    def open_guide(self, cached: bool = True) -> GridScreen:
        return GridScreen(self.box, self.theme_for("guide"), lambda: self.tv.guide, self.screen.draw_video,
                          self._open_details, cached=cached)  # fmt: skip

    def _open_details(self, programme, channel) -> None:
        self.overlays.append(DetailsScreen(programme, channel, self.theme_for("details"), self._watch))

    def _watch(self, channel) -> None:
        """Watch ``channel`` from a screen over live TV: tune it and go back to live TV."""
        self.box.zap(channel.id)
        for overlay in self.overlays:
            overlay.closed = True

    def step(self, pending: list | None = None) -> None:
        """One frame: input (``pending`` events first), player messages, timers, drawing."""
        import pygame

        for event in [*(pending or []), *pygame.event.get()]:
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
        self.tv.step(now)  # the players' news, the network's commands, the lock, guide refreshes
        if (self.auth.code_to_show() is not None and not self.box.standby  # the code shows once the TV is on
                and not any(isinstance(o, PairingScreen) for o in self.overlays)):  # fmt: skip
            self.overlays.append(PairingScreen(self.auth, self.theme_for("pairing")))
        self._note_first_frame()
        self.screen.update(now)
        for overlay in self.overlays:
            overlay.update(now)
        self.overlays = [o for o in self.overlays if not o.closed]  # some close by themselves (the picker)
        self._reload_skin_if_changed(now)
        self.tv.publish_snapshot()  # what the network thread sees until the next frame
        self.draw(now)
        pygame.display.flip()
        self.report.frames_drawn += 1
        self.box.flush()

    def draw(self, now: float) -> None:
        """Live TV, unless a screen covers it, then the screens from the lowest one seen, then toasts."""
        if self.box.standby:
            self.standby_screen.draw(self.canvas, now)
            return
        covering = max((i for i, o in enumerate(self.overlays) if o.opaque), default=-1)
        if covering < 0:
            self.screen.draw(self.canvas, now)
        for overlay in self.overlays[max(0, covering) :]:
            overlay.draw(self.canvas, now)
        self.screen.draw_toasts(self.canvas, now)

    def _note_first_frame(self) -> None:
        if self.report.first_frame_s is None and self.player.state is PlaybackState.PLAYING:
            self.report.first_frame_s = (self.player.first_frame_at or 0.0) - self.report.started_at

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
        self.report.skin = self.skin.name if self.skin else None
        self.box.flush()
        for service in reversed(self.services):
            service.stop()
        self.refresher.stop()
        self.tv.close()
        self.screen.logos.close()
        self.zapper.release()
        self.engine.release()
        pygame.quit()
