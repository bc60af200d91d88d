"""Every TV screen rendered with demo data, for `stb skin preview` and the per-skin reference tests.

Each screen is one function that sets the demo scene up (:mod:`stb.ui.previewscene`: a real Box and guide,
still stand-ins for the player) and draws on its canvas, so a render depends only on the skin and the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stb.player.engine import PlaybackState
from stb.skin.theme import Theme
from stb.tv.events import ReminderDue
from stb.tv.timeshift import Timeshift
from stb.ui import drawlog
from stb.ui.channellist import ChannelListScreen
from stb.ui.details import DetailsScreen
from stb.ui.drawlog import Drawn
from stb.ui.layoutrules import Finding, judge
from stb.ui.pin import PinDialog
from stb.ui.previewscene import (
    Scene,
    StillFeeds,
    StillPeers,
    StillPlayer,
    StillZapper,
    ThemeFor,
    demo_auth,
    demo_scene,
    two_boxes,
)
from stb.ui.settings import Hooks, SettingsScreen
from stb.ui.tracks import TrackPicker


# -- the screens, one function each: set the scene up, draw on scene.canvas ---------------------------------
def live_banner(s: Scene) -> None:
    screen = s.live()
    screen.show_banner(time.monotonic())
    screen.draw(s.canvas, time.monotonic())


def live_timeshift(s: Scene) -> None:
    """Paused 12 minutes behind live in a 40-minute buffer, the banner up: the timeshift bar beside it."""
    zapper, now = StillZapper(), time.monotonic()
    screen = s.live(zapper)
    shift = Timeshift(StillFeeds(now - 40 * 60 - 20, now), lambda: zapper.active)
    shift.watch(s.box.current)
    shift.seek(now - 12 * 60, now)
    shift.toggle_pause()
    screen.tv.timeshift = shift
    screen.show_banner(now)
    screen.draw(s.canvas, now)


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


def guide_archive(s: Scene) -> None:
    """The grid moved back: News 24 has catch-up, so its programme that ended carries the archive's ▶."""
    grid = s.grid()
    for action in ("left", "down"):
        grid.handle(action, 0)
    grid.draw(s.canvas, time.monotonic())


def details_archive(s: Scene) -> None:
    """A programme that ended, from a channel with catch-up: "Play from archive"."""
    grid = s.grid()
    grid.handle("left", 0)
    grid.draw(s.canvas, time.monotonic())
    focus = grid.model.focus
    assert focus is not None and focus.stop <= s.now  # the preview's News 24 has the Evening News before the hour
    DetailsScreen(focus, grid.model.channel, s.theme_for("details"), lambda c: None, reminders=s.box,
                  archive=lambda p, c: True).draw(s.canvas, time.monotonic())  # fmt: skip


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


def pairing(s: Scene) -> None:
    from stb.ui.pairing import PairingScreen

    auth = demo_auth(s)
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
    DevicesScreen(demo_auth(s), s.theme_for("devices"), screen.say, lambda: "http://192.168.1.20:8600/",
                  lambda dialog: None).draw(s.canvas, time.monotonic())  # fmt: skip
    screen.draw_toasts(s.canvas, time.monotonic())


def devices_remove(s: Scene) -> None:
    """OK on a paired device: a dialog asks before removing it, Cancel focused."""
    from stb.ui.devices import DevicesScreen

    pushed: list = []
    screen = s.live()
    devices = DevicesScreen(demo_auth(s), s.theme_for("devices"), screen.say, lambda: None, pushed.append)
    devices.handle("ok", 0)
    for layer in (screen, devices, *pushed):
        layer.draw(s.canvas, time.monotonic())


def recordings(s: Scene) -> None:
    """The Recordings screen: a series of two (one watched halfway), a film being recorded, free space."""
    from stb.pvr.library import Meta, Part
    from stb.pvr.service import PvrView
    from stb.ui.recordings import RecordingsScreen

    day = s.now - 86400

    def meta(i: int, title: str, sub: str | None, channel: str, start: float, minutes: int, **extra: Any) -> Meta:
        parts = [Part("part-1.ts", start, None if extra.get("state") == "recording" else start + minutes * 60)]
        return Meta(f"{i:016x}", channel.lower().replace(" ", "-"), channel, title, start, start + minutes * 60,
                    title.lower(), sub, parts=parts, **extra)  # fmt: skip

    week = day - 7 * 86400
    metas = (meta(1, "Cinema Classics", None, "Cinema One", s.now - 1200, 20, state="recording"),
             meta(2, "The Flat Upstairs", "The New Neighbour", "Drama Plus", day, 30, state="done"),
             meta(3, "The Flat Upstairs", "Keys", "Drama Plus", week, 30, state="done", position=840.0))  # fmt: skip
    screen = s.live()
    screen.tv.recordings.view = PvrView(timers=(), rules=(), recordings=metas, free_bytes=48_300_000_000,
                                        series=(("cinema classics", ("0000000000000001",)),
                                                ("the flat upstairs", ("0000000000000002", "0000000000000003"))),
                                        problems=())  # fmt: skip
    screen.draw(s.canvas, time.monotonic())
    RecordingsScreen(screen.tv.recordings, s.theme_for("list"), lambda dialog: None).draw(s.canvas, time.monotonic())


def recording_conflict(s: Scene) -> None:
    """Record on a third channel while the box (two channels at once) records two: which one to drop."""
    from stb.pvr.timers import Timer
    from stb.tv.recordings import Conflict
    from stb.ui.conflict import ConflictDialog

    hour = int(s.now) // 3600 * 3600
    final = Timer("0000000000000001", "sport", "Football: Cup Final", hour - 1800, hour + 5400, 120, 300,
                  state="recording")  # fmt: skip
    express = Timer("0000000000000002", "cinema", "The Last Express", hour + 3600, hour + 10800, 120, 300)
    wanted = Timer("0000000000000003", "news", "World Report: a Long Look at Everything That Happened Today",
                   hour + 1800, hour + 5400, 120, 300)  # fmt: skip
    screen = s.live()
    names = {c.id: c.name for c in s.box.lineup.channels}
    dialog = ConflictDialog(Conflict(wanted, (final, express), 2), s.theme_for("pin"), names.__getitem__,
                            lambda conflict, drop: None, now=s.now)  # fmt: skip
    dialog.handle("up", 0)  # on "Drop The Last Express"
    for layer in (screen, dialog):
        layer.draw(s.canvas, time.monotonic())


def standby(s: Scene) -> None:
    from stb.ui.standby import StandbyScreen

    StandbyScreen(s.theme_for("live")).draw(s.canvas, time.monotonic())


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


def other_screens_recordings(s: Scene) -> None:
    """Den chosen, Its recordings (Den already paired): its list, the second one focused."""
    from stb.ui.previewscene import den_recordings

    screen, panel = s.live(), _other_screens(s)
    panel.chosen, panel.state, panel.recordings = two_boxes()[0], "recordings", den_recordings()
    panel.recording_focus = 1
    screen.draw(s.canvas, time.monotonic())
    panel.draw(s.canvas, time.monotonic())


def live_mirroring(s: Scene) -> None:
    from stb.lan.peers import LiveTarget
    from stb.tv import mirror

    den = two_boxes()[0]
    state = mirror.start(den, LiveTarget("http://10.0.0.5:8600/stream/live", den.channel))
    screen = s.live()
    screen.mirror_label = lambda: mirror.banner_lines(state, two_boxes)  # type: ignore[method-assign]  # no 2nd box
    screen.show_banner(time.monotonic())
    screen.draw(s.canvas, time.monotonic())


SCREENS: dict[str, Callable[[Scene], object]] = {
    f.__name__: f
    for f in (live_banner, live_timeshift, live_info_volume_number, live_unavailable, live_locked, track_picker,
              channel_list, guide_grid, guide_grid_empty, guide_archive, details, details_now, details_archive,
              live_reminder, settings,
              settings_open_lan, settings_network_tuner, pin_dialog, pairing, devices, devices_remove, standby,
              other_screens, other_screens_code, other_screens_recordings, live_mirroring, recordings,
              recording_conflict)
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
