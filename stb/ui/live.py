"""The live TV screen: video full screen with the banner, number entry and notices on top."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from stb.box import ChannelChanged, Notice, StandbyChanged, VolumeChanged
from stb.guide.times import format_local
from stb.player.engine import PlaybackState
from stb.player.ports import PlayerPort
from stb.player.zapper import PlaybackChanged
from stb.skin.theme import Theme
from stb.tv.core import TvCore
from stb.tv.events import LockChanged, MirrorChanged, ReminderDue, TvEvent
from stb.tv.timeshift import ShiftView
from stb.ui import layouts
from stb.ui.banner import banner_data, draw_banner
from stb.ui.cards import CARDS, draw_lock_card, draw_trouble_card, next_step
from stb.ui.fonts import Fonts
from stb.ui.logos import Logos
from stb.ui.numberentry import NumberEntry
from stb.ui.pin import PinPad
from stb.ui.shiftbar import draw_shift_bar
from stb.ui.streaminfo import describe
from stb.ui.text import fit
from stb.ui.toasts import Toasts
from stb.ui.trouble import FAILED, TroubleWatch
from stb.ui.video import draw_latest_frame
from stb.ui.widgets import (
    FittedImages,
    centred_text,
    keys_hint,
    panel,
    safe_area,
    text,
    top_free_y,
)

if TYPE_CHECKING:
    import pygame

REMINDER_SECONDS = 15.0  # a reminder's toast stays this long; OK watches meanwhile

STATE_TEXT = {  # what the banner says beside the clock (trouble has a card of its own)
    PlaybackState.IDLE: "",
    PlaybackState.CONNECTING: "Tuning…",
    PlaybackState.PLAYING: "",
    PlaybackState.STALLED: "",
    PlaybackState.FAILED: "",
}


STARTS_EVERY_S = 30.0  # the timeshift bar's programme starts are asked again this often
TRANSPORT = ("play_pause", "rewind", "fast_forward", "skip_back", "skip_forward", "skip_back_long",
             "skip_forward_long", "live", "start_over")  # fmt: skip


class LiveScreen:
    """Owns nothing but presentation state: actions go to the Box, the lock and mirroring are the TV core's,
    pixels come from the Player."""

    context = "live"

    def __init__(self, tv: TvCore, theme: Theme) -> None:
        self.tv = tv
        self.box = tv.box
        self.zapper = tv.zapper
        self._video: pygame.Surface | None = None  # the last picture drawn, on screen while a zap waits for the next
        self._video_shown = False
        self.info_visible = False
        self.volume: tuple[int, bool] = (tv.box.state.volume, tv.box.state.muted)
        self.volume_until = 0.0
        self._info_lines: list[str] = []
        self._info_lines_until = 0.0
        self.theme = theme
        self.entry = NumberEntry()
        self.logos = Logos()
        self.brand = FittedImages()
        self.pin = PinPad()
        self.pin_message = ""
        self.pin_open = False  # on a locked channel, OK opens the PIN pad; until then digits zap
        self.trouble = TroubleWatch()
        self.relay_summary: Callable[[], tuple[int, ...] | None] = lambda: None  # set when the box relays
        self.cache_summary: Callable[[], list[str]] = list  # lines, when the box has a keyframe cache
        self.fonts = Fonts(theme.fonts)
        self.banner_until = 0.0
        self.notice: str | None = None
        self.notice_until = 0.0
        self.reminder: ReminderDue | None = None
        self.reminder_until = 0.0
        self._banner_layout: tuple[tuple, dict] | None = None
        self._starts: tuple[tuple[str, int], list[float]] | None = None  # programme starts on the timeshift bar
        self._shift_layout: tuple[tuple, dict] | None = None  # the bar's widgets, per look and banner place
        self._toasts: Toasts | None = None
        tv.subscribe(self.on_event)

    @property
    def guide(self):
        return self.tv.guide

    @property
    def locked(self) -> bool:
        """The parental lock hides this channel's picture and sound until the PIN (the TV core decides)."""
        return self.tv.locked

    def mirror_label(self) -> tuple[str, str] | None:
        """While another box is mirrored: the banner's two lines ("Mirroring Den", "Showing: News")."""
        return self.tv.mirror_label()

    def now_next(self, channel_id: str):
        return self.tv.now_next(channel_id)

    def set_guide(self, guide) -> None:
        self.tv.set_guide(guide)

    # -- input ---------------------------------------------------------------------------------------
    def handle(self, action: str, now: float) -> bool:
        if self.locked and self.pin_open and (action.startswith("digit_") or action == "back"):
            self._pin_key(action)
            return True
        if action.startswith("digit_"):
            number = self.entry.press(int(action[6:]), now, [c.number for c in self.box.lineup.channels])
            if number is not None:
                self.box.zap_number(number)
            elif self.tv.cache is not None:  # while the viewer types, read ahead what the digits may become
                self.tv.cache.typing(self.entry.digits)
            return True
        if action == "ok" and self.entry.active:
            number = self.entry.commit()
            if number is not None:
                self.box.zap_number(number)
            return True
        if action == "ok" and self.locked:
            self.pin_open = True  # as the anchors do: digits stay for zapping until the viewer asks for the PIN
            return True
        handlers = {
            "channel_up": self.box.zap_up,
            "channel_down": self.box.zap_down,
            "last_channel": self.box.zap_last,
            "mute": self.box.toggle_mute,
            "volume_up": lambda: self.box.set_volume(self.box.state.volume + 5),
            "volume_down": lambda: self.box.set_volume(self.box.state.volume - 5),
            "info": lambda: self._info(now),
            "back": self._back,
            "ok": lambda: self.show_banner(now),
        }
        handler = handlers.get(action)
        if handler is not None:
            handler()
            return True
        if action in TRANSPORT:
            notice = self.tv.transport(action)
            if notice:
                self.say(notice)
            self.show_banner(now)  # the timeshift bar shows where the picture is now
            return True
        return False

    def on_event(self, event: TvEvent) -> None:
        now = time.monotonic()
        if isinstance(event, ChannelChanged | MirrorChanged):
            self.show_banner(now)
        elif isinstance(event, LockChanged):
            self.pin.digits, self.pin_message, self.pin_open = "", "", False
            self._video_shown = False  # leaving a locked channel: no picture from before it
        elif isinstance(event, Notice):
            self.notice, self.notice_until = event.text, now + self.theme.notice_seconds
        elif isinstance(event, ReminderDue):
            self.reminder, self.reminder_until = event, now + REMINDER_SECONDS
        elif isinstance(event, PlaybackChanged) and event.state is not PlaybackState.PLAYING:
            self.show_banner(now)  # the viewer sees which channel is unavailable or interrupted
        elif isinstance(event, StandbyChanged):
            self.entry.digits, self.info_visible, self.volume_until = "", False, 0.0  # nothing half-typed survives
            self.reminder = None
            self._video_shown = False  # on waking, no picture from before standby
            self.banner_until = 0.0 if event.standby else now + self.theme.banner_seconds  # on: which channel
        elif isinstance(event, VolumeChanged) and not event.restored:
            self.volume = (event.volume, event.muted)
            self.volume_until = now + self.theme.notice_seconds

    def show_banner(self, now: float) -> None:
        self.banner_until = now + self.theme.banner_seconds

    def _info(self, now: float) -> None:
        """Info shows the banner; Info again while it shows opens (or closes) the stream details."""
        if now < self.banner_until:
            self.info_visible = not self.info_visible
        self.show_banner(now)

    def _back(self) -> None:
        """Back closes the banner and details; on a recording, it goes back to live TV."""
        if self.tv.recordings.playing is not None:
            self.tv.recordings.back_to_live()
        self._close_details()

    def _close_details(self) -> None:
        self.info_visible = False
        self.banner_until = 0.0

    def take_reminder(self, now: float) -> bool:
        """OK while a reminder's toast shows, over any screen: watch that channel. False when none shows."""
        reminder = self.reminder
        if reminder is None or now >= self.reminder_until:
            return False
        self.reminder = None
        self.box.zap(reminder.channel.id)
        return True

    def say(self, text: str) -> None:
        self.notice, self.notice_until = text, time.monotonic() + self.theme.notice_seconds

    def _pin_key(self, action: str) -> None:
        if action == "back":
            if not self.pin.back():
                self.pin_open, self.pin_message = False, ""
            return
        pin = self.pin.press(int(action[6:]))
        if pin is not None:
            result = self.tv.try_pin(pin)
            self.pin_message = "" if result.ok else result.message

    def update(self, now: float) -> None:
        number = self.entry.due(now)
        if number is not None:
            self.box.zap_number(number)
        player = self.player
        if player.paused:  # a picture standing still on purpose is no frozen picture
            self.trouble.reset()
            return
        shown = getattr(player.frames, "frames", 0)
        self.trouble.feed(player.channel or self.box.current, player.state, shown, now)

    # -- drawing -------------------------------------------------------------------------------------
    def draw(self, canvas, now: float) -> None:
        """Live TV and its own overlays; toasts come later, over whatever screens are open."""
        canvas.fill(self.theme.background)
        self.draw_video(canvas, canvas.get_rect())
        if self.locked:
            self._draw_locked(canvas)
        kind = self.card_kind()
        if kind:
            self._draw_card(canvas, kind)
        if now < self.banner_until or self.player.state is not PlaybackState.PLAYING or kind:
            self._draw_banner(canvas)
        self._draw_shift_bar(canvas, now)
        if self.info_visible:
            self._draw_stream_info(canvas, now)
        if self.entry.active:
            self._draw_number_entry(canvas)

    def centre_message(self) -> str | None:
        """The title of the card over the picture: the playback trouble, or that a TV channel gives sound only.

        Without the second, a channel whose video is missing or in a codec the box cannot decode played its
        sound over a black screen and said nothing (radio channels of the line-up are meant to do that).
        """
        kind = self.card_kind()
        return CARDS[kind][0] if kind else None

    def card_kind(self) -> str | None:
        player = self.player
        if self.locked:
            return None
        if player.state is PlaybackState.FAILED:
            return FAILED  # at once, also before the first frame's watch ran
        if self.trouble.kind is not None:
            return self.trouble.kind
        radio = player.channel is not None and player.channel.radio
        if player.state is PlaybackState.PLAYING and player.audio_only and not radio:
            return "sound"
        return None

    def draw_toasts(self, canvas, now: float) -> None:
        """Volume and short notices: on top of every screen, so "No channel 55" shows in the guide too."""
        if self._toasts is None or self._toasts.theme is not self.theme:
            self._toasts = Toasts(self.theme, self.fonts)  # laid out once per look
        if now < self.volume_until:
            self._toasts.volume(canvas, *self.volume)
        elif self.volume[1]:
            self._toasts.muted(canvas)  # after the bar hides, a muted box still says so
        if self.reminder is not None and now < self.reminder_until:
            self._toasts.notice(canvas, self.reminder.text)
        if self.notice and now < self.notice_until:
            self._toasts.notice(canvas, self.notice)

    @property
    def player(self) -> PlayerPort:
        return self.zapper.active

    def draw_video(self, canvas, rect) -> None:
        """The on-screen player's newest picture in ``rect``; until the new channel has one, the last picture."""
        import pygame

        player = self.player
        if self.locked:
            canvas.fill(self.theme.background, rect)
            return
        if player.state is PlaybackState.FAILED:
            self._video_shown = False  # the next zap must not bring back a picture from two zaps ago
            canvas.fill(self.theme.background, rect)
            return
        if self._video is None or self._video.get_size() != rect.size:
            self._video = pygame.Surface(rect.size)
            self._video_shown = False
        if draw_latest_frame(player, self._video, self.theme.background):
            self._video_shown = True
        if self._video_shown:
            canvas.blit(self._video, rect.topleft)
        else:
            canvas.fill(self.theme.background, rect)

    def _panel(self, canvas, rect) -> None:
        panel(canvas, rect, self.theme)

    def banner_rect(self, canvas):
        import pygame

        t = self.theme
        safe = safe_area(canvas, t)
        y = safe.y if t.banner_position == "top" else safe.bottom - t.banner_height
        return pygame.Rect(safe.x, y, safe.width, t.banner_height)

    def banner_widgets(self, rect) -> dict:
        """The banner's widgets for this look, channel-number width and brand logo: laid out once, then kept."""
        t, channel = self.theme, self.box.current
        number = "▶" if channel is not None and self.box.is_flung(channel) else str(channel.number if channel else "")
        brand = self.brand.get(t.brand_logo, (160, 44))
        key = (t, number if len(number) > 3 else "", rect.size, brand.get_size() if brand else None)
        if self._banner_layout is None or self._banner_layout[0] != key:
            widgets = layouts.banner(t, self.fonts, rect.size, number, brand.get_size() if brand else None)
            self._banner_layout = (key, widgets)
        return self._banner_layout[1]

    def _draw_banner(self, canvas) -> None:
        """Number, logo (or its place), name, favourite mark, clock, tuning state, now/next with a progress bar,
        where the skin's banner layout puts them."""
        t = self.theme
        channel = self.box.current
        if channel is None:
            return
        rect = self.banner_rect(canvas)
        panel(canvas, rect, t)
        mirrored = self.mirror_label()
        if mirrored is not None:
            self._draw_mirror_banner(canvas, rect, *mirrored)
            return
        widgets = self.banner_widgets(rect)
        data = banner_data(channel, self.box.is_flung(channel), channel.id in self.box.state.favourites,
                           self.now_next(channel.id), STATE_TEXT[self.player.state], time.time())  # fmt: skip
        if self.tv.recordings.recording_on(channel.id) is not None:
            data = dataclasses.replace(data, recording=True)
        logo = self.logos.get(channel.logo, widgets["logo"].rect[2:]) if widgets["logo"].visible else None
        brand = self.brand.get(t.brand_logo, (160, 44))
        if brand is not None and brand.get_size() != widgets["brand"].rect[2:]:  # the skin sized it
            brand = self.brand.get(t.brand_logo, widgets["brand"].rect[2:])
        draw_banner(canvas, rect, t, self.fonts, widgets, data, logo, brand)

    def _draw_shift_bar(self, canvas, now: float) -> None:
        """With the banner, or on its own while paused or winding: where the picture is in the buffer."""
        shift = self.tv.timeshift
        view = shift.view() if shift is not None and not self.locked else None
        if view is None or not (now < self.banner_until or view.paused or view.speed):
            return
        banner = tuple(self.banner_rect(canvas))
        if self._shift_layout is None or self._shift_layout[0] != (self.theme, banner):
            self._shift_layout = ((self.theme, banner), layouts.timeshift(self.theme, self.fonts, banner))
        widgets = self._shift_layout[1]
        draw_shift_bar(canvas, self.theme, self.fonts, widgets, view, self._programme_starts(view), time.monotonic())

    def _programme_starts(self, view: ShiftView) -> list[float]:
        """Where programmes begin within the buffer (the buffer's clock), asked of the guide every few seconds."""
        channel, guide = self.box.current, self.guide
        if channel is None or guide is None:
            return []
        key = (channel.id, int(view.live_at // STARTS_EVERY_S))
        if self._starts is None or self._starts[0] != key:
            offset = time.time() - time.monotonic()
            programmes = guide.window([channel.id], view.start_at + offset, view.live_at + offset).get(channel.id, [])
            self._starts = (key, [p.start - offset for p in programmes])
        return self._starts[1]

    def _draw_mirror_banner(self, canvas, rect, title: str, showing: str) -> None:
        """Another box's picture: whose, what it shows, the clock, and the stream's state."""
        import pygame

        t = self.theme
        large, medium, small = self.fonts.get(t.font_large), self.fonts.get(t.font_medium), self.fonts.get(t.font_small)
        hhmm = format_local(int(time.time()))
        clock = pygame.Rect((0, 0), medium.size(hhmm))
        clock.topright = (rect.right - 24, rect.y + 18)
        text(canvas, medium, hhmm, t.text, clock.topleft)
        status = STATE_TEXT[self.player.state] or (CARDS[FAILED][0] if self.card_kind() else "")
        if status:
            shown = fit(small, status, rect.width // 3)
            text(canvas, small, shown, t.warning, (rect.right - 24 - small.size(shown)[0], clock.bottom + 8))
        x = rect.x + 24
        if 16 + large.get_height() + 8 + small.get_height() > rect.height - 8:  # a one-line banner: side by side
            name = text(canvas, large, title, t.accent, (x, rect.centery - large.get_height() // 2), rect.width // 3)
            text(canvas, small, showing, t.text, (name.right + 24, rect.centery - small.get_height() // 2),
                 clock.x - 24 - name.right - 24)  # fmt: skip
            return
        name = text(canvas, large, title, t.accent, (x, rect.y + 16), clock.x - x - 40)
        text(canvas, small, showing, t.text, (x, name.bottom + 8), rect.width - 48 - rect.width // 3)
        if name.bottom + 12 + 2 * small.get_height() <= rect.bottom - 8:  # a skin's short banner leaves it out
            hint = keys_hint(("Back, P+/P− or a number", "this box's own channels"))
            text(canvas, small, hint, t.text_dim, (x, name.bottom + 12 + small.get_height()), rect.width - 48)

    def _draw_stream_info(self, canvas, now: float) -> None:
        import pygame

        if now >= self._info_lines_until:  # libVLC's figures move twice a second: no need to ask more
            ready = sum(state is PlaybackState.PLAYING for state in self.zapper.pretuned.values())
            self._info_lines = describe(self.player.stats(), self.player.state, ready, self.relay_summary())
            self._info_lines += self.cache_summary()
            self._info_lines_until = now + 0.5
        t = self.theme
        font = self.fonts.get(t.font_small)
        safe = safe_area(canvas, t)
        width = min(max(font.size(line)[0] for line in self._info_lines) + 48, safe.width * 3 // 5)
        height = len(self._info_lines) * (font.get_height() + 8) + 32
        rect = pygame.Rect(safe.x, top_free_y(t), width, height)
        panel(canvas, rect, t)
        y = rect.y + 20
        for line in self._info_lines:
            y = text(canvas, font, line, t.text, (rect.x + 24, y), rect.width - 48).bottom + 8

    def _draw_number_entry(self, canvas) -> None:
        import pygame

        t = self.theme
        font = self.fonts.get(t.font_large, bold=True)
        label = self.entry.digits + "_"
        rect = pygame.Rect(0, top_free_y(t), font.size(label)[0] + 48, font.get_height() + 24)
        rect.right = safe_area(canvas, t).right
        panel(canvas, rect, t)
        centred_text(canvas, font, label, t.text, rect.centerx, rect.y + 12)

    def _draw_locked(self, canvas) -> None:
        channel = self.box.current
        current, _ = self.now_next(channel.id) if channel else (None, None)
        pin = (len(self.pin.digits), self.pin_message) if self.pin_open else None
        draw_lock_card(canvas, self.theme, self.fonts, channel, current, pin)

    def _draw_card(self, canvas, kind: str) -> None:
        retry_at = self.player.retry_at if kind == FAILED else None  # the player's own back-off
        draw_trouble_card(canvas, self.theme, self.fonts, kind, next_step(kind, retry_at), self.banner_rect(canvas))
