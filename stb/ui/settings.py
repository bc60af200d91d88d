"""The Settings screen (Home): a list of settings, Left/Right change a value, OK runs an action.

Every change goes to ``box.settings`` and is saved with the box's next flush (atomic write). The
parental items are protected: with a PIN set and the box locked, they ask for the PIN first and then
do what was asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stb.box import Box
from stb.parental import PinResult
from stb.skin.theme import Theme
from stb.skin.widgets import Placed
from stb.ui import layouts
from stb.ui.confirm import ConfirmDialog
from stb.ui.fonts import Fonts
from stb.ui.layouts import SETTINGS_GAP, SETTINGS_ROW
from stb.ui.pin import PinDialog
from stb.ui.screen import Dismissable, Screen
from stb.ui.settingsrow import draw_section, draw_setting
from stb.ui.text import fit
from stb.ui.widgets import paragraph, sheet

ROW_HEIGHT = SETTINGS_ROW
BOX_NAMES = ("Living Room", "Bedroom", "Kitchen", "Kids Room", "Office", "Guest Room", "Den")
REFRESH_HOURS = (6, 12, 24, 48)
AGE_LIMITS = (None, 6, 12, 16, 18)
UNLOCK_MINUTES = (15, 30, 60, 120, 240)


@dataclass
class Item:
    label: str
    value: Callable[[], str]
    change: Callable[[int], None] | None = None  # Left/Right: -1/+1
    activate: Callable[[], None] | None = None  # OK
    protected: bool = False  # parental: asks for the PIN while the box is locked
    hint: str = ""
    section: str = ""  # set on the first item of a section: its heading


def _step(options: tuple, current, step: int):
    at = options.index(current) if current in options else 0
    return options[(at + step) % len(options)]


@dataclass
class Hooks:
    """What the screen may ask of the app beyond the Box: the zapper, the guide refresher, the stack."""

    push: Callable[[Screen], None]
    set_pretuning: Callable[[bool], None]
    set_refresh_hours: Callable[[int], None]
    refresh_guide_now: Callable[[], None]
    skins: Callable[[], list[str]]
    use_skin: Callable[[str], bool] = lambda name: False
    devices: Callable[[], int] = lambda: 0  # how many are paired
    open_devices: Callable[[], None] = lambda: None
    open_recordings: Callable[[], None] = lambda: None
    current_skin: Callable[[], str | None] = lambda: None  # the skin in use (`--skin` may differ from the setting)


class SettingsScreen(Dismissable):
    context = "settings"
    opaque = False

    def __init__(self, box: Box, theme: Theme, hooks: Hooks) -> None:
        self.box, self.theme, self.hooks = box, theme, hooks
        self.fonts = Fonts(theme.fonts)
        self.focus = 0
        self.top = 0  # first row shown: the list scrolls when it is longer than the panel
        self.items = self._items()
        self._laid_out: tuple[tuple, dict[str, Placed]] | None = None

    # -- the settings ----------------------------------------------------------------------------------
    def _items(self) -> list[Item]:
        s, lock = self.box.settings, self.box.parental

        def on_off(value: bool) -> str:
            return "On" if value else "Off"

        def set_(attr: str, value, then: Callable[[], None] | None = None) -> None:
            setattr(s, attr, value)
            self.box.settings_changed()
            if then is not None:
                then()

        def lock_current() -> None:
            channel = self.box.current
            if channel is not None and not self.box.is_flung(channel):  # a flung stream is no line-up channel
                locked = lock.toggle_channel_lock(channel.id)
                self.box.notify(f"{channel.name} {'locked' if locked else 'unlocked'}")

        return [
            Item("Box name", lambda: s.box_name,
                 change=lambda d: set_("box_name", _step(BOX_NAMES, s.box_name, d)),
                 hint="How phones and other screens on the network see this box", section="This box"),
            Item("Skin", self._skin, change=self._change_skin, hint="The look of the TV screens"),
            Item("Fast zapping", lambda: on_off(s.pretune),
                 change=lambda d: set_("pretune", not s.pretune, lambda: self.hooks.set_pretuning(s.pretune)),
                 hint="Keeps the next channels playing in the background: zaps in a frame, more CPU"),
            Item("Pause live TV", lambda: on_off(s.timeshift), change=lambda d: set_("timeshift", not s.timeshift),
                 hint=f"Keeps the last {s.timeshift_minutes} min of the channel on disk: pause, rewind, start over"),
            Item("Recordings", lambda: "", activate=self.hooks.open_recordings,
                 hint="What the box recorded: OK to play or delete (the V key too)"),
            Item("Read channels ahead", lambda: on_off(s.keyframe_cache),
                 change=lambda d: set_("keyframe_cache", not s.keyframe_cache),
                 hint="Favourites and nearby channels start at once; costs bandwidth on your line"),
            Item("Guide refresh", lambda: f"every {s.guide_refresh_hours} h",
                 change=lambda d: set_("guide_refresh_hours", _step(REFRESH_HOURS, s.guide_refresh_hours, d),
                                       lambda: self.hooks.set_refresh_hours(s.guide_refresh_hours)),
                 hint="How often the programme guide is downloaded again"),
            Item("Refresh the guide now", lambda: "", activate=self._refresh_now),
            Item("Show channel on the network", lambda: on_off(s.show_channel_on_lan),
                 change=lambda d: set_("show_channel_on_lan", not s.show_channel_on_lan),
                 hint="Off: other devices see the box, not what it is showing", section="Network and phones"),
            Item("Standby when taken", lambda: on_off(s.standby_when_taken),
                 change=lambda d: set_("standby_when_taken", not s.standby_when_taken),
                 hint="The TV goes dark once a phone or laptop takes the programme"),
            Item("Paired devices", lambda: str(self.hooks.devices()), activate=self.hooks.open_devices,
                 hint="Phones and laptops that may control this box; OK to see or remove them"),
            Item("Open on this LAN", lambda: on_off(s.open_on_lan), protected=True,
                 change=lambda d: self._open_on_lan(not s.open_on_lan),
                 hint="On: anyone on your network controls the TV without pairing. Leave it off"),
            Item("Offer this box as a network tuner", lambda: on_off(s.network_tuner), protected=True,
                 change=lambda d: self._network_tuner(not s.network_tuner),
                 hint="On: Plex, Jellyfin, Channels and Kodi find it as a tuner and play its channels unpaired"),
            Item("Parental PIN", lambda: "Set" if lock.enabled else "Not set", activate=self._pin_flow,
                 hint="OK: choose a PIN (the lock is off without one), or change it", section="Parental lock"),
            Item("Age limit", lambda: "Off" if s.parental.age_limit is None else f"{s.parental.age_limit}+",
                 change=self._set_age, protected=True,
                 hint="Programmes rated at this age or above ask for the PIN"),
            Item("Lock this channel", self._current_lock_text, activate=lock_current, protected=True,
                 hint="This channel always asks for the PIN"),
            Item("Unlock lasts", lambda: f"{s.parental.unlock_minutes} min", protected=True,
                 change=lambda d: self._set_unlock(d), hint="How long a right PIN keeps everything unlocked"),
            Item("Lock now", lambda: "unlocked" if lock.enabled and lock.is_unlocked(time.time()) else "",
                 activate=self._lock_now),
            Item("Remove the PIN", lambda: "", activate=self._remove_pin, protected=True,
                 hint="Turns the parental lock off"),
        ]  # fmt: skip

    def _skin(self) -> str:
        return self.hooks.current_skin() or self.box.settings.skin

    def _open_on_lan(self, on: bool) -> None:
        """Off at once; on only after a dialog whose focused button is Cancel."""

        def apply() -> None:
            self.box.settings.open_on_lan = on
            self.box.settings_changed()

        if not on:
            apply()
            return
        self.hooks.push(ConfirmDialog(
            "Open this box to the whole network?",
            "Anyone on this network could then control the TV and watch its channels, without pairing.",
            "Open it", self.theme, apply,
        ))  # fmt: skip

    def _network_tuner(self, on: bool) -> None:
        """Off at once; on only after a dialog whose focused button is Cancel (its streams need no token)."""

        def apply() -> None:
            self.box.settings.network_tuner = on
            self.box.settings_changed()

        if not on:
            apply()
            return
        self.hooks.push(ConfirmDialog(
            "Offer this box as a network tuner?",
            "TV apps on this network (Plex, Jellyfin, Channels, Kodi) then find it as an HDHomeRun tuner and play "
            "its channels without pairing.",
            "Offer it", self.theme, apply,
        ))  # fmt: skip

    def _change_skin(self, step: int) -> None:
        """The next installed skin, applied at once; kept only if it could be used."""
        name = _step(tuple(self.hooks.skins()), self._skin(), step)
        if self.hooks.use_skin(name):
            self.box.settings.skin = name
            self.box.settings_changed()

    def _set_age(self, step: int) -> None:
        self.box.settings.parental.age_limit = _step(AGE_LIMITS, self.box.settings.parental.age_limit, step)
        self.box.settings_changed()

    def _set_unlock(self, step: int) -> None:
        p = self.box.settings.parental
        p.unlock_minutes = _step(UNLOCK_MINUTES, p.unlock_minutes, step)
        self.box.settings_changed()

    def _current_lock_text(self) -> str:
        channel, s = self.box.current, self.box.settings.parental
        if channel is None:
            return ""
        state = "locked" if channel.id in s.locked_channels or channel.locked else "not locked"
        return f"{fit(self.fonts.get(self.theme.font_small), channel.name, 200)}: {state}"

    def _refresh_now(self) -> None:
        self.hooks.refresh_guide_now()
        self.box.notify("Refreshing the guide…")

    def _lock_now(self) -> None:
        self.box.parental.lock()
        self.box.notify("Locked")

    # -- PIN flows -------------------------------------------------------------------------------------
    def _pin_flow(self) -> None:
        lock = self.box.parental
        if not lock.enabled:

            def set_first_pin(new: str) -> PinResult:
                lock.set_pin(new)
                return PinResult(True, 3, 0.0, "PIN set")

            self._choose_new_pin(set_first_pin)
            return

        def with_old(old: str) -> PinResult:
            result = lock.try_pin(old, time.time())
            if result.ok:
                self._choose_new_pin(lambda new: lock.change_pin(old, new, time.time()))
            return result

        self.hooks.push(PinDialog("Current PIN", self.theme, with_old))

    def _choose_new_pin(self, save: Callable[[str], PinResult]) -> None:
        def first(pin: str) -> None:
            def again(repeat: str) -> None:
                if repeat != pin:
                    self.box.notify("The two PINs differ: nothing changed")
                    return
                result = save(pin)
                self.box.notify("PIN saved: the parental lock is on" if result.ok else result.message)

            self.hooks.push(PinDialog("Type the new PIN again", self.theme, again))

        self.hooks.push(PinDialog("Choose a 4-digit PIN", self.theme, first, hint="Write it down somewhere safe"))

    def _remove_pin(self) -> None:
        lock = self.box.parental

        def clear(pin: str) -> PinResult:
            result = lock.clear_pin(pin, time.time())
            if result.ok:
                self.box.notify(result.message)
            return result

        self.hooks.push(PinDialog("PIN to remove the lock", self.theme, clear))

    def _guarded(self, action: Callable[[], None], item: Item) -> None:
        """Run ``action``, first asking for the PIN when the item is protected and the box is locked."""
        lock = self.box.parental
        if not item.protected or not lock.enabled or lock.is_unlocked(time.time()):
            action()
            return

        def unlock_then(pin: str) -> PinResult:
            result = lock.try_pin(pin, time.time())
            if result.ok:
                action()
            return result

        self.hooks.push(PinDialog("PIN to change parental settings", self.theme, unlock_then))

    # -- input -----------------------------------------------------------------------------------------
    def handle(self, action: str, now: float) -> bool:
        item = self.items[self.focus]
        if action in ("up", "down"):
            self.focus = (self.focus + (1 if action == "down" else -1)) % len(self.items)
        elif action in ("left", "right") and (change := item.change) is not None:
            step = 1 if action == "right" else -1
            self._guarded(lambda: change(step), item)
        elif action == "ok" and item.activate is not None:
            self._guarded(item.activate, item)
        elif action == "ok" and (change_up := item.change) is not None:
            self._guarded(lambda: change_up(1), item)
        elif action in ("back", "menu"):
            self.dismiss()
        elif action.startswith("digit_") or action in ("left", "right", "ok", "channel_up", "channel_down"):
            pass  # nothing to do here, and nothing for live TV below either
        else:
            return False
        return True

    def update(self, now: float) -> None:
        pass

    # -- drawing ---------------------------------------------------------------------------------------
    def _rows(self) -> list[tuple[str, int]]:
        """What the panel lists: ("section", i) before the item that opens a section, ("item", i) for each."""
        rows: list[tuple[str, int]] = []
        for index, item in enumerate(self.items):
            if item.section:
                rows.append(("section", index))
            rows.append(("item", index))
        return rows

    def _row_widgets(self, width: int) -> dict[str, Placed]:
        """The rows' widgets for this look and panel width: laid out once, then kept."""
        if self._laid_out is None or self._laid_out[0] != (self.theme, width):
            self._laid_out = ((self.theme, width), layouts.settings_row(self.theme, self.fonts, width))
        return self._laid_out[1]

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        rect = sheet(canvas, t, self.fonts, "Settings")
        small = self.fonts.get(t.font_small)
        hint_lines = 2
        hint_top = rect.bottom - 20 - hint_lines * small.get_linesize()
        y = rect.y + 72
        rows = self._rows()
        fits = max(1, (hint_top - 12 - y) // ROW_HEIGHT)
        at = rows.index(("item", self.focus))
        top = min(max(self.top, at - fits + 1), at)
        if top > 0 and rows[top - 1][0] == "section" and at - (top - 1) < fits:
            top -= 1  # the focused item's heading stays with it
        self.top = top
        widgets = self._row_widgets(rect.width - 24)
        for kind, index in rows[top : top + fits]:
            row = pygame.Rect(rect.x + 12, y, rect.width - 24, ROW_HEIGHT - SETTINGS_GAP)
            if kind == "section":
                draw_section(canvas, row, t, self.fonts, widgets, self.items[index].section.upper())
            else:
                item = self.items[index]
                value = item.value()
                if value and item.change is not None:
                    value = f"‹  {value}  ›"
                draw_setting(canvas, row, t, self.fonts, widgets, item.label, value, index == self.focus)
            y += ROW_HEIGHT
        hint = self.items[self.focus].hint
        if self.items[self.focus].protected and self.box.parental.enabled:
            hint = (hint + " · " if hint else "") + "asks for the PIN"
        paragraph(canvas, small, hint, t.text_dim, (rect.x + 28, hint_top), rect.width - 56, hint_lines)
