"""The box's core: which channel is on, volume, favourites, and the actions that change them.

The pygame UI, the network API and the tests all drive this one object. It knows nothing of
pygame or libVLC: it emits typed events, and the views (the player wiring, the banner, later the
API's event stream) subscribe to them. Every method runs on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from stb import reminders
from stb.config import BoxState, StateStore
from stb.lineup.model import Channel, Lineup
from stb.parental import ParentalLock
from stb.reminders import Reminder
from stb.settings import Settings, SettingsStore

log = logging.getLogger(__name__)

RECENT_KEPT = 12


@dataclass(frozen=True)
class ChannelChanged:
    channel: Channel
    previous: Channel | None
    flung: bool = False  # a stream flung from another screen, not a line-up channel


@dataclass(frozen=True)
class VolumeChanged:
    volume: int
    muted: bool
    restored: bool = False  # replayed from the saved state at start, not changed by anyone


@dataclass(frozen=True)
class StandbyChanged:
    """Standby on (dark screen, no stream, no sound) or off. ``retune``: the app should tune the current
    channel again; False when a zap wakes the box, since the zap tunes its own channel."""

    standby: bool
    retune: bool = True


@dataclass(frozen=True)
class SettingsChanged:
    """A screen changed ``settings`` (the box's name, "open on this LAN"…): the announcement follows."""

    box_name: str = ""
    open_on_lan: bool = False
    show_channel_on_lan: bool = True
    network_tuner: bool = False


@dataclass(frozen=True)
class Notice:
    """A short message for the viewer (unknown channel number, recovered state file…)."""

    text: str


Event = ChannelChanged | VolumeChanged | StandbyChanged | SettingsChanged | Notice
Listener = Callable[[Event], None]


class Box:
    def __init__(self, lineup: Lineup, store: StateStore, settings_store: SettingsStore | None = None) -> None:
        if not lineup.channels:
            raise ValueError("the line-up has no channels")
        self.lineup = lineup
        self._order = lineup.sorted_channels()
        self.store = store
        self.state: BoxState = store.load()
        self.settings_store = settings_store or SettingsStore(store.path.parent)
        self.settings: Settings = self.settings_store.load()
        self.parental = ParentalLock(self.settings.parental)
        self._settings_dirty = False
        self._listeners: list[Listener] = []
        self._dirty = False
        self.current: Channel | None = None
        self.flung: Channel | None = None  # a stream flung from another screen, on instead of a line-up channel
        # Not saved: a box that loses power comes back on, showing the channel watched last.
        self.standby = False

    # -- events ------------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- start-up ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Tune the channel watched last (or the first one) and replay the saved volume."""
        for notice in (self.store.notice, self.settings_store.notice):
            if notice:
                self._emit(Notice(notice))
        last = self.lineup.by_id(self.state.last_channel or "") or self._order[0]
        self._emit(VolumeChanged(self.state.volume, self.state.muted, restored=True))
        self._tune(last, remember_previous=False)

    # -- actions -------------------------------------------------------------------------------------
    def zap(self, channel_id: str) -> bool:
        channel = self.lineup.by_id(channel_id)
        if channel is None:
            self.notify(f"No channel {channel_id}")
            return False
        self._tune(channel)
        return True

    def zap_number(self, number: int) -> bool:
        channel = self.lineup.by_number(number)
        if channel is None:
            self.notify(f"No channel {number}")
            return False
        self._tune(channel)
        return True

    def zap_up(self) -> None:
        self._tune(self._neighbour(+1))

    def zap_down(self) -> None:
        self._tune(self._neighbour(-1))

    def zap_last(self) -> None:
        """The channel before; from a flung stream, the line-up channel watched before it."""
        previous = self.lineup.by_id((self.state.last_channel if self.flung else self.state.previous_channel) or "")
        if previous is not None:
            self._tune(previous)

    def play_stream(self, stream: Channel) -> None:
        """Put a stream that is not in the line-up on screen (flung from a laptop) until the next zap.

        Nothing is remembered: the state keeps the line-up channel watched before, which "last" goes
        back to, channel up/down go on from, and the next start tunes.
        """
        self._tune(stream, stream=True)

    def set_standby(self, on: bool) -> None:
        """Standby on or off (the power key, the API); the app stops or restarts playback."""
        if on != self.standby:
            self.standby = on
            self._emit(StandbyChanged(on))

    def notify(self, text: str) -> None:
        """Tell the viewer something short (a screen's "No channel 55"), through the usual Notice event."""
        self._emit(Notice(text))

    def toggle_favourite(self, channel_id: str) -> bool:
        """Add or remove a favourite; returns whether it is one now."""
        favourites = self.state.favourites
        if channel_id in favourites:
            favourites.remove(channel_id)
        elif self.lineup.by_id(channel_id) is not None:
            favourites.append(channel_id)
        self._dirty = True
        return channel_id in favourites

    # -- reminders -----------------------------------------------------------------------------------
    def has_reminder(self, channel_id: str, start: int) -> bool:
        return reminders.has(self.state.reminders, channel_id, start)

    def toggle_reminder(self, reminder: Reminder) -> bool:
        """Set a reminder for a later programme, or cancel the one set; returns whether one is set now.
        Saved at once (atomically), not at the next flush: a box switched off at the wall keeps it."""
        self.state.reminders = reminders.toggled(self.state.reminders, reminder)
        self._dirty = True
        self.flush()
        return self.has_reminder(reminder.channel_id, reminder.start)

    def take_due_reminders(self, now: float) -> list[tuple[Reminder, Channel]]:
        """The reminders whose programme has started, with their channel; they are removed (and saved).
        A reminder whose programme ended while the box was off, or whose channel left the line-up, goes quietly."""
        if not self.state.reminders or self.state.reminders[0].start > now:
            return []  # the list is kept by start time: nothing due is the cheap, usual case
        due, kept = reminders.split_due(self.state.reminders, now)
        self.state.reminders = kept
        self._dirty = True
        self.flush()
        found = [(r, self.lineup.by_id(r.channel_id)) for r in due]
        return [(r, channel) for r, channel in found if channel is not None]

    def set_volume(self, volume: int) -> None:
        self.state.volume = max(0, min(100, volume))
        self.state.muted = False
        self._volume_changed()

    def toggle_mute(self) -> None:
        self.state.muted = not self.state.muted
        self._volume_changed()

    # -- persistence ---------------------------------------------------------------------------------
    def settings_changed(self) -> None:
        """A screen changed ``settings``: saved with the next flush, and said to whoever shows them."""
        self._settings_dirty = True
        s = self.settings
        self._emit(SettingsChanged(s.box_name, s.open_on_lan, s.show_channel_on_lan, s.network_tuner))

    def flush(self) -> None:
        """Save state and settings if they changed; called by the UI loop off the key-press path, and at exit."""
        if self._dirty:
            self._dirty = False
            self._save(self.store, self.state)
        if self._settings_dirty or self.parental.dirty:  # the lock's failure counters are saved at once
            self._settings_dirty = self.parental.dirty = False
            self._save(self.settings_store, self.settings)

    @staticmethod
    def _save(store, value) -> None:
        try:
            store.save(value)
        except OSError as exc:
            log.warning("could not save %s: %s", store.path, exc)

    def likely_next(self, channel: Channel) -> list[Channel]:
        """Where a viewer watching ``channel`` goes next, most likely first: up, down, last channel.

        The player keeps these pre-tuned. "Last" is the channel watched before ``channel``.
        """
        candidates = [self._neighbour(+1, channel), self._neighbour(-1, channel)]
        previous = self.lineup.by_id((self.state.last_channel if self.is_flung(channel) else
                                      self.state.previous_channel) or "")  # fmt: skip
        if previous is not None:
            candidates.append(previous)
        unique = {channel.id: channel}  # the current channel first, so it is left out below
        for candidate in candidates:
            unique.setdefault(candidate.id, candidate)
        return list(unique.values())[1:]

    def is_flung(self, channel: Channel | None) -> bool:
        """Whether ``channel`` is the flung stream on screen, not a line-up channel."""
        return channel is not None and self.flung is not None and channel.id == self.flung.id

    # -- internals -----------------------------------------------------------------------------------
    def _neighbour(self, step: int, origin: Channel | None = None) -> Channel:
        origin = origin or self.current
        if origin is not None and self.is_flung(origin):  # up/down from a flung stream: from the channel before it
            origin = self.lineup.by_id(self.state.last_channel or "")
        if origin is None:
            return self._order[0]
        index = next((i for i, c in enumerate(self._order) if c.id == origin.id), None)
        if index is None:
            return self._order[0]
        return self._order[(index + step) % len(self._order)]

    def _tune(self, channel: Channel, remember_previous: bool = True, stream: bool = False) -> None:
        """Every zap goes through here; a zap in standby wakes the box first (a phone asked for a channel).

        ``stream``: a flung stream, not a line-up channel; it is not saved as last, previous or recent.
        """
        previous = self.current
        same = previous is not None and previous.id == channel.id
        if self.standby:
            self.standby = False
            self._emit(StandbyChanged(False, retune=same))  # another channel: the ChannelChanged below tunes it
        if same:
            return
        came_from = self.state.last_channel if previous is not None and self.is_flung(previous) else (
            previous.id if previous is not None else None)  # fmt: skip
        self.flung = channel if stream else None
        self.current = channel
        if not stream:
            if remember_previous and came_from is not None and came_from != channel.id:
                self.state.previous_channel = came_from
            self.state.last_channel = channel.id
            self.state.recent = [channel.id, *(c for c in self.state.recent if c != channel.id)][:RECENT_KEPT]
            self._dirty = True
        self._emit(ChannelChanged(channel, previous, flung=stream))

    def _volume_changed(self) -> None:
        self._dirty = True
        self._emit(VolumeChanged(self.state.volume, self.state.muted))
