"""The box's main loop: pygame and libVLC on one thread, a steady frame rate, video under the OSD."""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stb import __version__
from stb.actions import ACTIONS
from stb.box import Box, ChannelChanged, Event, Notice, SettingsChanged, StandbyChanged, VolumeChanged
from stb.commands import CommandQueue
from stb.config import StateStore
from stb.errors import StbError
from stb.guide.query import Guide
from stb.guide.refresh import GuideRefresher
from stb.guide.store import default_db_path
from stb.lan.auth import Auth
from stb.lan.peers import Peers
from stb.lineup.model import Channel, Lineup
from stb.net.announce import Announcer
from stb.net.api import NetContext, NotFound
from stb.net.guide import NetGuide
from stb.net.server import NetworkSide
from stb.net.signed import StreamSigner
from stb.player.engine import Engine, EngineOptions, PlaybackState, Player
from stb.player.zapper import Zapper
from stb.relay.feed import ChannelSource
from stb.relay.relay import Relay
from stb.skin.resolve import SkinError, installed_skins, resolve, resolve_with_fallback
from stb.skin.theme import Theme
from stb.streams import describe, stream_channel
from stb.ui import mirror
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


def _channel_dict(channel: Channel) -> dict:
    return {"id": channel.id, "number": channel.number, "name": channel.name}


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
        skin: str | None = None,
        skin_dev: bool = False,
        api_port: int | None = None,
        api_host: str = "127.0.0.1",
        interfaces: list[str] | None = None,
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
        self.zapper = Zapper(self.engine, pretune, self._likely_next)
        self.mirroring: mirror.Mirror | None = None  # another box's live stream on screen instead of ours
        self.peers: Peers | None = None
        self.box.subscribe(self._on_box_event)
        self.guide_db = guide_db or default_db_path()
        self.fixed_theme = theme  # tests draw with one Theme; otherwise the skin gives one per screen
        self.skin, self._skin_notice = (None, None) if theme else resolve_with_fallback(skin or self.box.settings.skin)
        self.skin_dev = skin_dev
        self._skin_stamp = self._skin_files_stamp()
        self._skin_checked_at = 0.0
        self.keymap, self._keymap_notice = self._load_keymap()
        self.screen = LiveScreen(self.box, self.zapper, self.theme_for("live"), Guide(self.guide_db, lineup))
        self.screen.on_lock_change = self._on_lock_change
        self.screen.mirror_label = self._mirror_label
        self.standby_screen = StandbyScreen(self.theme_for("live"))
        self.zapper.set_pretuning(self.box.settings.pretune)
        self.overlays: list[Screen] = []  # screens over live TV, top last
        self.auth = Auth(directory=self.box.store.path.parent)
        self.commands = CommandQueue()
        self.net: NetworkSide | None = None
        if api_port is not None:
            if not self.box.settings.box_id:
                self.box.settings.box_id = secrets.token_hex(8)
                self.box.settings_changed()
            self._net_guide = NetGuide(self.guide_db, lineup)
            context = NetContext(
                box_info=self.api_box_info, commands=self.commands, auth=self.auth, box=self,
                guide=self._net_guide.get, open_on_lan=lambda: self.box.settings.open_on_lan,
                relay=Relay(self._relay_source, max_upstreams=self.box.settings.relay_channels),
                lineup=lambda: self.box.lineup, theme=lambda: self.theme,
                signer=StreamSigner(self.box.store.path.parent),
            )  # fmt: skip
            relay = context.relay
            self.screen.relay_summary = lambda: dataclasses.astuple(relay.summary)
            on_lan = api_host not in ("127.0.0.1", "::1", "localhost")
            announce = self._announcer(interfaces) if on_lan else None
            if on_lan:  # the box looks for the others where it announces itself
                self.peers = Peers(lambda: self.box.settings.box_id, self.commands, self.box.store.path.parent,
                                   interfaces)  # fmt: skip
            self.net = NetworkSide(context, api_host, api_port, announce, self.peers)
        self.refresher = GuideRefresher(self.guide_db, lineup.guide_sources,
                                        interval_s=self.box.settings.guide_refresh_hours * 3600.0)  # fmt: skip
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

    def _publish(self, kind: str, data: dict) -> None:
        if self.net is not None:
            self.net.ctx.hub.publish(kind, data)

    def _on_box_event(self, event: Event) -> None:
        if isinstance(event, Notice):
            kept = self.report.notices[-(MAX_REPORTED_NOTICES - 1) :]  # the latest: a box runs for months
            self.report.notices = [*kept, event.text]
        elif isinstance(event, ChannelChanged):
            self.mirroring = None  # a zap from anywhere (a phone too) brings this box's own channels back
            if self.box.is_flung(event.channel):  # a flung stream has no channel id: a "stream" event says what plays
                self._publish("stream", describe(event.channel))
            else:
                self._publish("channel", _channel_dict(event.channel))
            if self.net is not None:
                self.net.announce_channel(event.channel.name, self._public_id(event.channel))
            self.report.zaps += 1
            self.screen.check_lock()  # before the zap: a locked channel must not be heard for a frame
            self.zapper.zap(event.channel)
            self._follow_live()
            for overlay in self.overlays:
                if isinstance(overlay, TrackPicker):
                    overlay.closed = True  # it lists the tracks of the channel just left
        elif isinstance(event, VolumeChanged):
            self._apply_audio()
            self._publish("volume", {"volume": event.volume, "muted": event.muted})
        elif isinstance(event, StandbyChanged):
            self._standby_changed(event)
            self._follow_live()
        elif isinstance(event, SettingsChanged) and self.net is not None:
            s = self.box.settings
            self.net.settings_changed(s.box_name, not s.open_on_lan, s.show_channel_on_lan)

    def _standby_changed(self, event: StandbyChanged) -> None:
        """Standby stops every player (no stream held upstream, no sound) and closes the screens over live
        TV; waking tunes the channel again, unless a zap woke the box and tunes its own."""
        current = self.box.current
        if event.standby:
            self.mirroring = None  # waking tunes this box's own channel
            for overlay in self.overlays:
                overlay.closed = True
            self.overlays = []
            self.zapper.stop_all()
            if current is not None:
                self._publish("playback", {"channel": self._public_id(current), "state": PlaybackState.IDLE.value,
                                           "error": None})  # fmt: skip
        elif event.retune and current is not None:
            self.screen.check_lock()
            self.zapper.zap(current)
        self._publish("standby", {"standby": event.standby})

    def _on_lock_change(self, locked: bool) -> None:
        self._apply_audio()
        self._follow_live()

    def _follow_live(self) -> None:
        """The relay's live stream shows what the TV shows: nothing while the parental lock hides it, in standby,
        or while a flung stream plays (the relay reads line-up channels only; the sender has the URL anyway)."""
        if self.net is not None:
            current = self.box.current
            showing = current is not None and not self.screen.locked and not self.box.standby and not self.mirroring
            showing = showing and not self.box.is_flung(current)
            self.net.follow(current.id if showing else None)

    def _relay_source(self, channel_id: str) -> ChannelSource | None:
        """From the network thread: the line-up is replaced whole, never changed in place."""
        channel = self.box.lineup.by_id(channel_id)
        if channel is None:
            return None
        parental = self.box.parental  # plain reads of the settings; the UI thread changes them whole
        limit = parental.settings.age_limit
        locked = not parental.is_unlocked(time.time()) and (
            channel.locked or channel.id in parental.settings.locked_channels
            or (limit is not None and channel.age_rating is not None and channel.age_rating >= limit)
        )  # fmt: skip
        return ChannelSource(channel.id, channel.name, tuple(channel.urls), dict(channel.headers), locked)

    def _apply_audio(self, *_) -> None:
        """Volume and mute as the viewer set them, and silence while the parental lock hides a channel."""
        locked = self.screen.locked if hasattr(self, "screen") else False
        self.zapper.set_audio(self.box.state.volume, self.box.state.muted or locked)

    def start(self) -> None:
        self.box.start()
        for notice in (self._keymap_notice, self._skin_notice):
            if notice:
                self.box.notify(notice)
        self.refresher.start()
        if self.net is not None:
            self.net.initial_channel = self.box.current.name if self.box.current else None
            self.net.initial_channel_id = self.box.current.id if self.box.current else None
            try:
                self.net.start()
            except StbError as exc:  # the TV matters more than the API: keep playing, say why
                log.warning("%s", exc)
                self.box.notify(f"Not reachable from the network: {exc}")
                self.net = None
            else:
                self._follow_live()
                if self.net.announce_error:
                    self.box.notify(f"Other screens cannot find this box: {self.net.announce_error}")

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
            elif self.mirroring is not None and (action in mirror.LEAVE_KEYS or action.startswith("digit_")):
                self._leave_mirror(action, now)
            else:
                self.screen.handle(action, now)
        self.overlays = [o for o in self.overlays if not o.closed]

    def _openers(self) -> dict:
        return {
            "list": lambda: ChannelListScreen(self.box, self.theme_for("list"), lambda: self.screen.guide),
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
                             mirror=self._start_mirror, tune=self._tune_here)  # fmt: skip
        return OtherScreensScreen(self.theme_for("screens"), hooks)

    def _mirror_label(self) -> tuple[str, str] | None:
        if self.mirroring is None:
            return None
        return mirror.banner_lines(self.mirroring, lambda: self.peers.boxes if self.peers is not None else ())

    def _likely_next(self, channel: Channel) -> list[Channel]:
        """What to pre-tune: nothing while another box is mirrored (its stand-in is in no line-up)."""
        return self.box.likely_next(channel) if self.box.lineup.by_id(channel.id) is not None else []

    def _start_mirror(self, box, target) -> None:
        """Play ``box``'s live stream instead of our channel; our relay's live stream shows nothing meanwhile
        (a box mirroring a box that mirrors it would feed itself)."""
        if self.box.standby:
            return
        self.mirroring = mirror.start(box, target)
        self.zapper.zap(self.mirroring.channel)
        self.screen.check_lock()
        self._apply_audio()
        self.screen.show_banner(time.monotonic())
        self._follow_live()
        for overlay in self.overlays:
            overlay.closed = True

    def _tune_here(self, channel: Channel) -> None:
        """ "Tune the same channel": from our own line-up, leaving a mirror first (it may be our channel already)."""
        if self.mirroring is not None:
            self._leave_mirror("back", time.monotonic())
        self._watch(channel)

    def _leave_mirror(self, action: str, now: float) -> None:
        """Back to this box's own line-up: Back to its channel, a zap or a number where the viewer asked."""
        stand_in = self.mirroring.channel if self.mirroring else None
        self.mirroring = None
        if action != "back":
            self.screen.handle(action, now)
        current = self.box.current
        on_screen = self.zapper.active.channel
        if stand_in is not None and on_screen is not None and on_screen.id == stand_in.id and current is not None:
            self.screen.check_lock()
            self.zapper.zap(current)  # the action zapped nowhere (a number still being typed, no last channel)
            self._apply_audio()
        self.screen.show_banner(now)
        self._follow_live()

    def _announcer(self, interfaces: list[str] | None) -> Callable[[int], Announcer]:
        settings = self.box.settings

        def make(port: int) -> Announcer:
            return Announcer(name=settings.box_name, box_id=settings.box_id, port=port, model="stb",
                             version=__version__, pairing_required=not settings.open_on_lan, interfaces=interfaces,
                             show_channel=settings.show_channel_on_lan)  # fmt: skip

        return make

    # -- what the network API asks, run on this (the UI) thread through the command queue ---------------
    def api_box_info(self) -> dict:
        """Public: who this box is. Plain values, read from the network thread."""
        s = self.box.settings
        return {"id": s.box_id, "name": s.box_name, "model": "stb", "version": __version__, "api": "/api/v1",
                "capabilities": ["zap", "keys", "volume", "standby", "guide", "events", "pairing"],
                "pairing_required": not s.open_on_lan}  # fmt: skip

    def api_lineup(self) -> list[dict]:
        return [_channel_dict(c) | {"groups": c.groups, "radio": c.radio, "has_logo": bool(c.logo)}
                for c in self.box.lineup.sorted_channels()]  # fmt: skip

    def api_state(self) -> dict:
        s = self.box.state
        current = self.box.current
        flung = self.box.is_flung(current)
        return {"channel": _channel_dict(current) if current and not flung else None,
                "stream": describe(current) if flung else None, "playback": self.player.state.value,
                "volume": s.volume, "muted": s.muted, "locked": self.screen.locked,
                "standby": self.box.standby}  # fmt: skip

    def _public_id(self, channel: Channel) -> str | None:
        """A line-up channel's id; None for a flung stream (its id is the box's own business)."""
        return None if self.box.is_flung(channel) else channel.id

    def api_zap(self, channel_id: str | None, number: int | None, direction: str | None) -> dict:
        if channel_id is not None and self.box.lineup.by_id(channel_id) is None:
            raise NotFound(f"no channel with id {channel_id!r}")
        if number is not None and self.box.lineup.by_number(number) is None:
            raise NotFound(f"no channel number {number}")
        if channel_id is not None:
            self.box.zap(channel_id)
        elif number is not None:
            self.box.zap_number(number)
        else:
            {"up": self.box.zap_up, "down": self.box.zap_down, "last": self.box.zap_last}[direction or "up"]()
        return self.api_state()

    def api_play(self, url: str, title: str | None = None) -> dict:
        """Fling a URL: a line-up channel's URL zaps to that channel; any other stream URL plays as a temporary
        stream until the next zap (`stb.streams`; the API checked the scheme, ``stream_channel`` checks again)."""
        wanted = url.strip()
        channel = next((c for c in self.box.lineup.channels if wanted in c.urls), None)
        if channel is not None:
            self.box.zap(channel.id)
        else:
            self.box.play_stream(stream_channel(wanted, title))
        return self.api_state()

    def api_handoff(self, channel_id: str | None, taker: str | None) -> dict:
        """Another screen took the programme (`stb take`) and shows it: standby, if the viewer wants that
        (Settings → Standby when taken), unless the TV moved on to another channel meanwhile."""
        current, who = self.box.current, taker or "another screen"
        if self.box.standby:
            reason = "the TV was in standby already"
        elif channel_id is not None and (current is None or current.id != channel_id or self.box.is_flung(current)):
            reason = "the TV shows something else by now, so it stays on"
        elif not self.box.settings.standby_when_taken:
            reason = "the TV stays on (Settings: Standby when taken is off)"
            self.box.notify(f"{current.name if current else 'The programme'} is on {who} too")
        else:
            self.box.set_standby(True)
            reason = "the TV went to standby"
        return {"standby": self.box.standby, "reason": reason, "state": self.api_state()}

    def api_key(self, action: str) -> dict:
        if action not in ACTIONS or action == "quit":
            raise NotFound(f"no remote key {action!r} (see the keymap's actions)")
        self.act(action)
        return self.api_state()

    def api_standby(self, on: bool | None) -> dict:
        """Standby on, off, or (None) the other way round, as the power key does."""
        self.box.set_standby(not self.box.standby if on is None else on)
        return self.api_state()

    def api_volume(self, volume: int | None, delta: int | None, muted: bool | None) -> dict:
        if volume is not None or delta is not None:
            self.box.set_volume(volume if volume is not None else self.box.state.volume + (delta or 0))
        if muted is not None and muted != self.box.state.muted:
            self.box.toggle_mute()
        return self.api_state()

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
        return GridScreen(self.box, self.theme_for("guide"), lambda: self.screen.guide, self.screen.draw_video,
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
        for event in self.zapper.step(now):
            self.screen.on_event(event)
            ours = self.box.lineup.by_id(event.channel.id) is not None or self.box.is_flung(event.channel)
            if ours:  # a mirrored box's stand-in channel is that box's to report, not ours
                self._publish("playback", {"channel": self._public_id(event.channel), "state": event.state.value,
                                           "error": event.error})  # fmt: skip
        self.commands.run_pending()
        if (self.auth.code_to_show() is not None and not self.box.standby  # the code shows once the TV is on
                and not any(isinstance(o, PairingScreen) for o in self.overlays)):  # fmt: skip
            self.overlays.append(PairingScreen(self.auth, self.theme_for("pairing")))
        self._note_first_frame()
        self._drain_guide_refreshes()
        self.screen.update(now)
        for overlay in self.overlays:
            overlay.update(now)
        self.overlays = [o for o in self.overlays if not o.closed]  # some close by themselves (the picker)
        self._reload_skin_if_changed(now)
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

    def _drain_guide_refreshes(self) -> None:
        while not self.refresher.results.empty():
            result = self.refresher.results.get_nowait()
            if result.error:
                self.screen.on_event(Notice(f"Guide not updated: {result.error}"))
                continue
            old = self.screen.guide
            self.screen.set_guide(Guide(self.guide_db, self.box.lineup))  # re-matches channels too
            if self.net is not None:
                self._net_guide.invalidate()
                self._publish("guide", {"refreshed": True})
            if old is not None:
                old.close()

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
        if self.net is not None:
            self.net.stop()
        self.refresher.stop()
        if self.screen.guide is not None:
            self.screen.guide.close()
        self.screen.logos.close()
        self.zapper.release()
        self.engine.release()
        pygame.quit()
