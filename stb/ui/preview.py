"""Every TV screen rendered with demo data, for `stb skin preview` and the per-skin reference tests.

The data is real (a Box over a small line-up, a guide imported into SQLite from XMLTV written here,
around ``now``); the player is a stand-in that reports a state and has no pictures, so a render
depends only on the skin and the clock. Nothing touches the user's state: it all lives in ``work``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stb.box import Box
from stb.config import StateStore
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup
from stb.player.engine import PlaybackState, StreamStats
from stb.player.ports import Frame, FrameSource, PlayerPort
from stb.player.zapper import PlaybackChanged
from stb.skin.theme import Theme
from stb.tv.core import TvCore
from stb.tv.events import ReminderDue
from stb.tv.ports import ZapperPort
from stb.ui import drawlog
from stb.ui.channellist import ChannelListScreen
from stb.ui.details import DetailsScreen
from stb.ui.drawlog import Drawn
from stb.ui.grid import GridScreen
from stb.ui.layoutrules import Finding, judge
from stb.ui.live import LiveScreen
from stb.ui.pin import PinDialog
from stb.ui.settings import Hooks, SettingsScreen
from stb.ui.tracks import TrackPicker

ThemeFor = Callable[[str], Theme]


class NoFrames:
    """A frame source that never has a picture."""

    frames = 0

    def front(self) -> AbstractContextManager[Frame | None]:
        return nullcontext(None)


@dataclass
class StillPlayer:
    """The player seam (a :class:`PlayerPort`): a state, figures and tracks, no pictures (every frame the same)."""

    state: PlaybackState = PlaybackState.PLAYING
    error: str | None = None
    aspect: float | None = 16 / 9
    frames: FrameSource = field(default_factory=NoFrames)
    audio_track: int = 1
    subtitle_track: int = -1
    channel: Channel | None = None  # what a real player plays; the screen asks whether it is a radio channel
    audio_only: bool = False
    paused: bool = False
    first_frame_at: float | None = None
    retry_at: float | None = None

    def stats(self) -> StreamStats:
        return StreamStats(1280, 720, "h264", "mp4a", 4200, 12345, 2)

    def audio_tracks(self) -> list[tuple[int, str]]:
        return [(1, "English"), (2, "Deutsch"), (3, "English (audio description)")]

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return [(5, "English")]

    def select_audio_track(self, track: int) -> None:
        self.audio_track = track

    def select_subtitle_track(self, track: int) -> None:
        self.subtitle_track = track


@dataclass
class StillZapper:
    """The zapper the TV core drives (a :class:`ZapperPort`): the still player on screen, two channels
    pre-tuned, nothing to tune."""

    active: StillPlayer = field(default_factory=StillPlayer)
    pretuned: dict[str, PlaybackState] = field(
        default_factory=lambda: {"b": PlaybackState.PLAYING, "c": PlaybackState.PLAYING}
    )

    def zap(self, channel: Channel) -> bool:
        return False

    def step(self, now: float) -> list[PlaybackChanged]:
        return []

    def set_audio(self, volume: int, muted: bool) -> None:
        pass

    def stop_all(self) -> None:
        pass

    def set_pretuning(self, on: bool) -> None:
        pass


def _conforms(player: StillPlayer, zapper: StillZapper) -> tuple[PlayerPort, ZapperPort]:
    """Never called: mypy (``make lint``) checks here that the stand-ins still fit the ports."""
    return player, zapper


CHANNELS = [  # names in the scripts the fonts must cover, and one too long for any box
    (1, "news", "News 24", ["News"]),
    (2, "sport", "Sports Arena", ["Sport"]),
    (3, "cinema", "Cinema One with a Name Far Too Long for Its Box", ["Movies"]),
    (4, "perviy", "Первый канал", ["International"]),
    (5, "ert", "ΕΡΤ1", ["International"]),
    (6, "empty", "No Guide TV", []),
]
Show = tuple[int, int, str, str, str | None]  # minutes from the hour, length, title, category, rating
SHOWS: dict[str, list[Show]] = {  # channel → its shows
    "news": [(-60, 60, "Evening News", "News", None), (0, 30, "Weather and Traffic", "News", None),
             (30, 60, "World Report: a Long Look at Everything That Happened Today", "News", None),
             (90, 60, "Late News", "News", None)],
    "sport": [(-30, 120, "Football: Cup Final", "Sport", None), (90, 60, "Highlights", "Sport", None)],
    "cinema": [(-45, 105, "Harbour Lights", "Movie", "12"), (60, 120, "The Last Express", "Movie", "16")],
    "perviy": [(-20, 50, "Время", "News", None), (30, 90, "Кино: Ирония судьбы", "Movie", None)],
    "ert": [(0, 60, "Ειδήσεις", "News", None), (60, 90, "Ντοκιμαντέρ", "Documentary", None)],
}  # fmt: skip


def write_xmltv(path: Path, now: float) -> None:
    hour = int(now) // 3600 * 3600

    def stamp(minutes: int) -> str:
        return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(hour + minutes * 60))

    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>']
    for _, cid, name, _ in CHANNELS:
        parts.append(f'<channel id="{cid}.demo"><display-name>{name}</display-name></channel>')
    for cid, shows in SHOWS.items():
        for start, length, title, category, rating in shows:
            rated = f'<rating system="FSK"><value>{rating}</value></rating>' if rating else ""
            parts.append(
                f'<programme start="{stamp(start)}" stop="{stamp(start + length)}" channel="{cid}.demo">'
                f"<title>{title}</title><desc>A description of {title}, long enough to wrap over more than one "
                f"line in the details pane, with accents (é, ü, ñ) to show the font covers them.</desc>"
                f"<category>{category}</category>{rated}</programme>"
            )
    parts.append("</tv>")
    path.write_text("\n".join(parts), encoding="utf-8")


@dataclass
class Scene:
    box: Box
    guide: Guide
    now: float
    theme_for: ThemeFor
    canvas: object

    def live(self, zapper: StillZapper | None = None) -> LiveScreen:
        screen = LiveScreen(TvCore(self.box, zapper or StillZapper(), self.guide), self.theme_for("live"))
        screen.notice = None
        return screen

    def grid(self) -> GridScreen:
        def preview(canvas, rect) -> None:
            canvas.fill((40, 90, 140), rect)  # stands for the live picture

        return GridScreen(self.box, self.theme_for("guide"), lambda: self.guide, preview, lambda p, c: None,
                          now=self.now)  # fmt: skip

    def settings(self) -> SettingsScreen:
        hooks = Hooks(push=lambda s: None, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
                      refresh_guide_now=lambda: None, skins=lambda: ["default"])  # fmt: skip
        return SettingsScreen(self.box, self.theme_for("settings"), hooks)


@contextmanager
def demo_scene(work: Path, theme_for: ThemeFor, now: float) -> Iterator[Scene]:
    """A Box, a guide around ``now`` and a canvas, all kept in ``work``."""
    import pygame

    pygame.display.init()
    pygame.font.init()
    xml = work / "guide.xml"
    write_xmltv(xml, now)
    import_sources(work / "g.db", [str(xml)], now=now)
    lineup = Lineup(name="preview", channels=[
        Channel(number=n, id=cid, name=name, groups=groups, urls=[f"http://127.0.0.1:9/{cid}.ts"],
                guide_id=f"{cid}.demo")
        for n, cid, name, groups in CHANNELS
    ])  # fmt: skip
    box = Box(lineup, StateStore(work))
    box.state.favourites = ["news", "perviy"]
    box.start()
    guide = Guide(work / "g.db", lineup)
    try:
        yield Scene(box, guide, now, theme_for, pygame.Surface((1280, 720)))
    finally:
        guide.close()


# -- the screens, one function each: set the scene up, draw on scene.canvas ---------------------------------
def live_banner(s: Scene) -> None:
    screen = s.live()
    screen.show_banner(time.monotonic())
    screen.draw(s.canvas, time.monotonic())


def live_info_volume_number(s: Scene) -> None:
    screen, now = s.live(), time.monotonic()
    screen.handle("info", now)
    screen.handle("info", now)  # again while the banner shows: stream details
    screen.relay_summary = lambda: (1, 2)  # two phones watching through the relay
    screen.volume, screen.volume_until = (35, False), now + 5
    screen.handle("digit_0", now)  # a leading zero waits for more digits (a lone "4" would tune at once)
    screen.draw(s.canvas, now)
    screen.draw_toasts(s.canvas, now)


def live_unavailable(s: Scene) -> None:
    s.box.zap_number(6)
    screen = s.live(StillZapper(StillPlayer(PlaybackState.FAILED, error="connection refused")))
    screen.notice, screen.notice_until = "No channel 55", time.monotonic() + 5
    screen.draw(s.canvas, time.monotonic())
    screen.draw_toasts(s.canvas, time.monotonic())


def live_locked(s: Scene) -> None:
    s.box.parental.settings.pin_hash = "scrypt$" + "0" * 32 + "$" + "0" * 64  # a PIN nobody knows
    s.box.parental.toggle_channel_lock("cinema")
    s.box.zap_number(3)
    screen = s.live()
    screen.tv.check_lock()
    screen.pin.press(1)
    screen.pin_message = "Wrong PIN, 2 tries left"
    screen.draw(s.canvas, time.monotonic())


def track_picker(s: Scene) -> None:
    zapper = StillZapper()
    screen = s.live(zapper)
    picker = TrackPicker("audio_track", zapper.active, s.theme_for("tracks"), time.monotonic())
    screen.draw(s.canvas, time.monotonic())
    picker.draw(s.canvas, time.monotonic())


def channel_list(s: Scene) -> None:
    screen = s.live()
    listing = ChannelListScreen(s.box, s.theme_for("list"), lambda: s.guide)
    listing.handle("down", 0)
    listing.handle("down", 0)
    screen.draw(s.canvas, time.monotonic())
    listing.draw(s.canvas, time.monotonic())


def guide_grid(s: Scene):
    """The grid focused on a later programme (channel 3's next film); returned for the details screen."""
    grid = s.grid()
    for action in ("down", "down", "right"):
        grid.handle(action, 0)
    grid.draw(s.canvas, time.monotonic())
    return grid


def guide_grid_empty(s: Scene) -> None:
    grid = s.grid()
    for action in ("digit_6", "ok", "yellow"):  # a day back: every row is empty there
        grid.handle(action, 0)
    grid.draw(s.canvas, time.monotonic())


def details(s: Scene) -> None:
    grid = guide_grid(s)
    theme = s.theme_for("details")
    focus = grid.model.focus
    assert focus is not None  # the preview's guide has channel 3's next film
    DetailsScreen(focus, grid.model.channel, theme, lambda c: None, reminders=s.box).draw(s.canvas, time.monotonic())


def details_now(s: Scene) -> None:
    """A programme on now (channel 2's final): Watch, the progress, the minutes left."""
    grid = s.grid()
    grid.handle("down", 0)
    theme, focus = s.theme_for("details"), grid.model.focus
    assert focus is not None  # the preview's guide has channel 2's final on now
    screen = DetailsScreen(focus, grid.model.channel, theme, lambda c: None, reminders=s.box)
    grid.draw(s.canvas, time.monotonic())
    screen.draw(s.canvas, time.monotonic())


def live_reminder(s: Scene) -> None:
    """A reminder's programme has started: the toast offers it, OK watches."""
    screen, now = s.live(), time.monotonic()
    cinema = s.box.lineup.by_number(3)
    assert cinema is not None
    screen.on_event(ReminderDue("The Last Express", cinema))
    screen.draw(s.canvas, now)
    screen.draw_toasts(s.canvas, now)


def settings(s: Scene) -> None:
    """Settings with a notice on screen: the toast must find a place beside the panel, not over it."""
    screen, panel = s.live(), s.settings()
    for _ in range(3):
        panel.handle("down", 0)
    screen.notice, screen.notice_until = "Refreshing the guide…", time.monotonic() + 5
    screen.draw(s.canvas, time.monotonic())
    panel.draw(s.canvas, time.monotonic())
    screen.draw_toasts(s.canvas, time.monotonic())


def settings_open_lan(s: Scene) -> None:
    """OK on "Open on this LAN": a dialog asks first, Cancel focused."""
    _settings_asking(s, "Open on this LAN", "ok")


def settings_network_tuner(s: Scene) -> None:
    """Right on "Offer this box as a network tuner": the same kind of dialog, the row focused under it."""
    _settings_asking(s, "Offer this box as a network tuner", "right")


def _settings_asking(s: Scene, label: str, key: str) -> None:
    pushed: list = []
    screen = s.live()
    panel = SettingsScreen(s.box, s.theme_for("settings"), Hooks(
        push=pushed.append, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
        refresh_guide_now=lambda: None, skins=lambda: ["default"]))  # fmt: skip
    panel.focus = next(i for i, item in enumerate(panel.items) if item.label == label)
    panel.handle(key, 0)
    for layer in (screen, panel, *pushed):
        layer.draw(s.canvas, time.monotonic())


def pin_dialog(s: Scene) -> None:
    screen, panel = s.live(), s.settings()
    dialog = PinDialog("PIN to change parental settings", s.theme_for("pin"), lambda pin: None)
    dialog.handle("digit_1", 0)
    dialog.handle("digit_2", 0)
    for layer in (screen, panel, dialog):
        layer.draw(s.canvas, time.monotonic())


def _demo_auth(s: Scene):
    from stb.lan.auth import Auth, Device

    auth = Auth(directory=s.box.store.path.parent)
    auth.paired.devices = [Device("a1", "Anna's phone", "0" * 64, s.now - 86400, s.now - 600),
                           Device("b2", "Living room laptop", "1" * 64, s.now - 7 * 86400, 0.0)]  # fmt: skip
    return auth


def pairing(s: Scene) -> None:
    from stb.ui.pairing import PairingScreen

    auth = _demo_auth(s)
    auth.begin("Web page says: call 555-0100", "192.168.1.23", now=s.now)  # a name is a claim: shown quoted
    auth.begin("Anna's phone", "192.168.1.40", now=s.now)  # waiting its turn
    auth.pending.code = "482913"  # a fixed code: the render must not change from run to run
    auth.fingerprint = "7F3A 91C0 2B6E D405 88A1 0C37"  # the box key a real box shows beside the code (a fixed one)
    screen = s.live()
    screen.draw(s.canvas, time.monotonic())
    PairingScreen(auth, s.theme_for("pairing")).draw(s.canvas, time.monotonic())


def devices(s: Scene) -> None:
    """Paired devices, with a notice on screen (it goes beside the panel)."""
    from stb.ui.devices import DevicesScreen

    screen = s.live()
    screen.notice, screen.notice_until = "Kitchen tablet removed: it must pair again", time.monotonic() + 5
    screen.draw(s.canvas, time.monotonic())
    DevicesScreen(_demo_auth(s), s.theme_for("devices"), screen.say, lambda: "http://192.168.1.20:8600/",
                  lambda dialog: None).draw(s.canvas, time.monotonic())  # fmt: skip
    screen.draw_toasts(s.canvas, time.monotonic())


def devices_remove(s: Scene) -> None:
    """OK on a paired device: a dialog asks before removing it, Cancel focused."""
    from stb.ui.devices import DevicesScreen

    pushed: list = []
    screen = s.live()
    devices = DevicesScreen(_demo_auth(s), s.theme_for("devices"), screen.say, lambda: None, pushed.append)
    devices.handle("ok", 0)
    for layer in (screen, devices, *pushed):
        layer.draw(s.canvas, time.monotonic())


def standby(s: Scene) -> None:
    from stb.ui.standby import StandbyScreen

    StandbyScreen(s.theme_for("live")).draw(s.canvas, time.monotonic())


def _two_boxes():
    """Other screens as a box would list them: one showing a channel this line-up has, one hiding it."""
    from stb.lan.discovery import FoundBox

    common = {"port": 8600, "model": "stb", "version": "0.1", "api_path": "/api/v1", "host": "stb.local."}
    return (
        FoundBox(name="Den", box_id="d1", addresses=["10.0.0.5"], pairing_required=True, channel="Sports Arena",
                 channel_id="sport", **common),
        FoundBox(name="Kids Room", box_id="k2", addresses=["10.0.0.7"], pairing_required=True, channel=None,
                 **common),
    )  # fmt: skip


@dataclass
class StillPeers:
    """The peers seam: a fixed list of boxes, and calls that never answer."""

    boxes: tuple = field(default_factory=_two_boxes)
    error: str | None = None

    def token_for(self, box_id: str) -> str | None:
        return None

    def begin_pairing(self, box, device_name, done) -> None:
        done(_outcome(True, "p1"))

    def complete_pairing(self, box, pairing_id, code, done) -> None:
        pass

    def open_live(self, box, done) -> None:
        pass


def _outcome(ok: bool, value=None):
    from stb.lan.peers import Outcome

    return Outcome(ok, value)


def _other_screens(s: Scene):
    from stb.ui.otherscreens import OtherScreensScreen, ScreensHooks

    hooks = ScreensHooks(StillPeers(), lambda: s.box.lineup, lambda: "Living Room", lambda box, target: None,
                         lambda channel: None)  # fmt: skip
    return OtherScreensScreen(s.theme_for("screens"), hooks)


def other_screens(s: Scene) -> None:
    screen, panel = s.live(), _other_screens(s)
    screen.draw(s.canvas, time.monotonic())
    panel.draw(s.canvas, time.monotonic())


def other_screens_code(s: Scene) -> None:
    """Den chosen, Watch here: not paired yet, so its code is being typed (two digits so far)."""
    screen, panel = s.live(), _other_screens(s)
    for action in ("ok", "ok", "digit_4", "digit_8"):
        panel.handle(action, 0)
    screen.draw(s.canvas, time.monotonic())
    panel.draw(s.canvas, time.monotonic())


def live_mirroring(s: Scene) -> None:
    from stb.lan.peers import LiveTarget
    from stb.tv import mirror

    den = _two_boxes()[0]
    state = mirror.start(den, LiveTarget("http://10.0.0.5:8600/stream/live", den.channel))
    screen = s.live()
    screen.mirror_label = lambda: mirror.banner_lines(state, _two_boxes)  # type: ignore[method-assign]  # no 2nd box
    screen.show_banner(time.monotonic())
    screen.draw(s.canvas, time.monotonic())


SCREENS: dict[str, Callable[[Scene], object]] = {
    f.__name__: f
    for f in (live_banner, live_info_volume_number, live_unavailable, live_locked, track_picker, channel_list,
              guide_grid, guide_grid_empty, details, details_now, live_reminder, settings, settings_open_lan,
              settings_network_tuner, pin_dialog, pairing, devices, devices_remove, standby, other_screens,
              other_screens_code, live_mirroring)
}  # fmt: skip


def render(name: str, work: Path, theme_for: ThemeFor, now: float):
    """One screen as a 1280×720 surface (a fresh scene each, so screens never leak into each other)."""
    return render_recorded(name, work, theme_for, now)[0]


def render_recorded(name: str, work: Path, theme_for: ThemeFor, now: float) -> tuple[object, list[Drawn]]:
    """One screen as a surface, and what it drew there (texts with their sizes, panels, toasts)."""
    work.mkdir(parents=True, exist_ok=True)
    with drawlog.recording() as log, demo_scene(work, theme_for, now) as scene:
        SCREENS[name](scene)
        return scene.canvas, log.on(scene.canvas)


def findings(name: str, work: Path, theme_for: ThemeFor, now: float) -> list[Finding]:
    """What the sofa rules (stb.ui.layoutrules) find on one screen."""
    return judge(render_recorded(name, work, theme_for, now)[1])


def contact_sheet(images: dict[str, Any], theme: Theme, columns: int = 4):
    """Every screen as a thumbnail with its name, on one surface."""
    import pygame

    from stb.ui.fonts import Fonts

    thumb, label_h, gap = (320, 180), 28, 16
    rows = (len(images) + columns - 1) // columns
    sheet = pygame.Surface((columns * (thumb[0] + gap) + gap, rows * (thumb[1] + label_h + gap) + gap))
    sheet.fill(theme.surface_raised)
    font = Fonts(theme.fonts).get(16)
    for i, (name, image) in enumerate(images.items()):
        x = gap + (i % columns) * (thumb[0] + gap)
        y = gap + (i // columns) * (thumb[1] + label_h + gap)
        sheet.blit(pygame.transform.smoothscale(image, thumb), (x, y))
        sheet.blit(font.render(name.replace("_", " "), True, theme.text), (x, y + thumb[1] + 4))
    return sheet
