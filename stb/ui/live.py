"""The live TV screen: video full screen with the banner, number entry and notices on top."""

from __future__ import annotations

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
from stb.tv.events import LockChanged, MirrorChanged, TvEvent
from stb.ui.fonts import Fonts
from stb.ui.logos import Logos
from stb.ui.numberentry import NumberEntry
from stb.ui.pin import PinPad, draw_pad
from stb.ui.streaminfo import describe
from stb.ui.text import fit
from stb.ui.video import draw_latest_frame
from stb.ui.widgets import FittedImages, centred_text, panel, progress, star, text, top_free_y

if TYPE_CHECKING:
    import pygame

STATE_TEXT = {
    PlaybackState.IDLE: "",
    PlaybackState.CONNECTING: "Tuning…",
    PlaybackState.PLAYING: "",
    PlaybackState.STALLED: "Signal interrupted",
    PlaybackState.FAILED: "Channel unavailable",  # retried in the background with back-off
}
SOUND_ONLY = "Sound only: no picture the box can show"  # a TV channel that sends audio only, or undecodable video


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
        self.relay_summary: Callable[[], tuple[int, ...] | None] = lambda: None  # set when the box relays
        self.fonts = Fonts(theme.fonts)
        self.banner_until = 0.0
        self.notice: str | None = None
        self.notice_until = 0.0
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
        if self.locked and (action.startswith("digit_") or action == "back"):
            self._pin_key(action)
            return True
        if action.startswith("digit_"):
            number = self.entry.press(int(action[6:]), now)
            if number is not None:
                self.box.zap_number(number)
            return True
        if action == "ok" and self.entry.active:
            number = self.entry.commit()
            if number is not None:
                self.box.zap_number(number)
            return True
        handlers = {
            "channel_up": self.box.zap_up,
            "channel_down": self.box.zap_down,
            "last_channel": self.box.zap_last,
            "mute": self.box.toggle_mute,
            "volume_up": lambda: self.box.set_volume(self.box.state.volume + 5),
            "volume_down": lambda: self.box.set_volume(self.box.state.volume - 5),
            "info": lambda: self._info(now),
            "back": self._close_details,
            "ok": lambda: self.show_banner(now),
        }
        handler = handlers.get(action)
        if handler is None:
            return False
        handler()
        return True

    def on_event(self, event: TvEvent) -> None:
        now = time.monotonic()
        if isinstance(event, ChannelChanged | MirrorChanged):
            self.show_banner(now)
        elif isinstance(event, LockChanged):
            self.pin.digits, self.pin_message = "", ""
        elif isinstance(event, Notice):
            self.notice, self.notice_until = event.text, now + self.theme.notice_seconds
        elif isinstance(event, PlaybackChanged) and event.state is not PlaybackState.PLAYING:
            self.show_banner(now)  # the viewer sees which channel is unavailable or interrupted
        elif isinstance(event, StandbyChanged):
            self.entry.digits, self.info_visible, self.volume_until = "", False, 0.0  # nothing half-typed survives
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

    def _close_details(self) -> None:
        self.info_visible = False
        self.banner_until = 0.0

    def say(self, text: str) -> None:
        self.notice, self.notice_until = text, time.monotonic() + self.theme.notice_seconds

    def _pin_key(self, action: str) -> None:
        if action == "back":
            self.pin.back()
            return
        pin = self.pin.press(int(action[6:]))
        if pin is not None:
            result = self.tv.try_pin(pin)
            self.pin_message = "" if result.ok else result.message

    def update(self, now: float) -> None:
        number = self.entry.due(now)
        if number is not None:
            self.box.zap_number(number)

    # -- drawing -------------------------------------------------------------------------------------
    def draw(self, canvas, now: float) -> None:
        """Live TV and its own overlays; toasts come later, over whatever screens are open."""
        canvas.fill(self.theme.background)
        self.draw_video(canvas, canvas.get_rect())
        if self.locked:
            self._draw_locked(canvas)
        message = self.centre_message()
        if message:
            self._draw_centre_message(canvas, message)
        if now < self.banner_until or self.player.state is not PlaybackState.PLAYING:
            self._draw_banner(canvas)
        if self.info_visible:
            self._draw_stream_info(canvas, now)
        if self.entry.active:
            self._draw_number_entry(canvas)

    def centre_message(self) -> str | None:
        """What the screen says over the picture: the playback trouble, or that a TV channel gives sound only.

        Without the second, a channel whose video is missing or in a codec the box cannot decode played its
        sound over a black screen and said nothing (radio channels of the line-up are meant to do that).
        """
        player = self.player
        if self.locked:
            return None
        if player.state in (PlaybackState.FAILED, PlaybackState.STALLED):
            return STATE_TEXT[player.state]
        radio = player.channel is not None and player.channel.radio
        if player.state is PlaybackState.PLAYING and player.audio_only and not radio:
            return SOUND_ONLY
        return None

    def draw_toasts(self, canvas, now: float) -> None:
        """Volume and short notices: on top of every screen, so "No channel 55" shows in the guide too."""
        if now < self.volume_until:
            self._draw_volume(canvas)
        if self.notice and now < self.notice_until:
            self._draw_notice(canvas, self.notice)

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

    def _draw_banner(self, canvas) -> None:
        """Number, name, favourite mark, clock, stream state, and now/next with a progress bar."""
        import pygame

        t = self.theme
        channel = self.box.current
        if channel is None:
            return
        width, height = canvas.get_size()
        y = t.margin if t.banner_position == "top" else height - t.margin - t.banner_height
        rect = pygame.Rect(t.margin, y, width - 2 * t.margin, t.banner_height)
        self._panel(canvas, rect)
        mirrored = self.mirror_label()
        if mirrored is not None:
            self._draw_mirror_banner(canvas, rect, *mirrored)
            return
        number_font = self.fonts.get(t.font_number, bold=True)
        flung = self.box.is_flung(channel)  # a stream flung from a laptop: no number, a play mark
        number = number_font.render("▶" if flung else str(channel.number), True, t.accent)
        canvas.blit(number, (rect.x + 28, rect.centery - number.get_height() // 2))
        name_x = rect.x + 56 + max(number.get_width(), 72)
        logo = self.logos.get(channel.logo, t.logo_size)
        if logo is not None:
            canvas.blit(logo, logo.get_rect(center=(name_x + t.logo_size[0] // 2, rect.centery)))
            name_x += t.logo_size[0] + 28
        small, medium = self.fonts.get(t.font_small), self.fonts.get(t.font_medium)
        hhmm = format_local(int(time.time()))
        clock = pygame.Rect((0, 0), medium.size(hhmm))
        clock.topright = (rect.right - 28, rect.y + 20)
        text(canvas, medium, hhmm, t.text, clock.topleft)
        status = STATE_TEXT[self.player.state]
        if self.player.state is PlaybackState.FAILED and self.player.error:
            status = f"{status} ({self.player.error})"
        right_edge = clock.x - 24
        brand = self.brand.get(t.brand_logo, (160, 44))
        if brand is not None:  # the operator's logo, left of the clock
            right_edge -= brand.get_width() + 24
            canvas.blit(brand, (right_edge + 24, clock.centery - brand.get_height() // 2))
        if status:
            shown = fit(small, status, rect.width // 3)
            status_x = rect.right - 28 - small.size(shown)[0]
            text(canvas, small, shown, t.warning, (status_x, clock.bottom + 8))
        large = self.fonts.get(t.font_large)
        name = text(canvas, large, channel.name, t.text, (name_x, rect.y + 18), right_edge - name_x - 40)
        if channel.id in self.box.state.favourites:
            star(canvas, (name.right + 22, name.centery), large.get_height() // 3, t.warning)
        line_y = name.bottom + 10
        current, upcoming = self.now_next(channel.id)
        if current is None and upcoming is None:
            text(canvas, small, " · ".join(channel.groups), t.text_dim, (name_x, line_y), rect.right - name_x - 28)
            return
        column = (rect.right - 28 - name_x - 32) // 2
        if current is not None:
            span = f"{format_local(current.start)}–{format_local(current.stop)}  {current.title}"
            now_line = text(canvas, small, span, t.text, (name_x, line_y), column)
            bar = pygame.Rect(name_x, now_line.bottom + 8, min(t.progress_width, column), t.progress_height)
            progress(canvas, bar, current.progress(time.time()), t)
        if upcoming is not None:
            nxt = f"Next {format_local(upcoming.start)}  {upcoming.title}"
            text(canvas, small, nxt, t.text_dim, (name_x + column + 32, line_y), column)

    def _draw_mirror_banner(self, canvas, rect, title: str, showing: str) -> None:
        """Another box's picture: whose, what it shows, the clock, and the stream's state."""
        import pygame

        t = self.theme
        large, medium, small = self.fonts.get(t.font_large), self.fonts.get(t.font_medium), self.fonts.get(t.font_small)
        hhmm = format_local(int(time.time()))
        clock = pygame.Rect((0, 0), medium.size(hhmm))
        clock.topright = (rect.right - 28, rect.y + 20)
        text(canvas, medium, hhmm, t.text, clock.topleft)
        status = STATE_TEXT[self.player.state]
        if status:
            shown = fit(small, status, rect.width // 3)
            text(canvas, small, shown, t.warning, (rect.right - 28 - small.size(shown)[0], clock.bottom + 8))
        x = rect.x + 28
        name = text(canvas, large, title, t.accent, (x, rect.y + 18), clock.x - x - 40)
        text(canvas, small, showing, t.text, (x, name.bottom + 10), rect.width // 2)
        if name.bottom + 14 + 2 * small.get_height() <= rect.bottom - 8:  # a skin's short banner leaves it out
            hint = "Back, P+/P− or a number: this box's own channels"
            text(canvas, small, hint, t.text_dim, (x, name.bottom + 14 + small.get_height()), rect.width - 56)

    def _draw_stream_info(self, canvas, now: float) -> None:
        import pygame

        if now >= self._info_lines_until:  # libVLC's figures move twice a second: no need to ask more
            ready = sum(state is PlaybackState.PLAYING for state in self.zapper.pretuned.values())
            self._info_lines = describe(self.player.stats(), self.player.state, ready, self.relay_summary())
            self._info_lines_until = now + 0.5
        t = self.theme
        font = self.fonts.get(t.font_small)
        rendered = [font.render(line, True, t.text) for line in self._info_lines]
        width = max(r.get_width() for r in rendered) + 48
        height = sum(r.get_height() + 8 for r in rendered) + 32
        rect = pygame.Rect(t.margin, top_free_y(t), width, height)
        self._panel(canvas, rect)
        y = rect.y + 20
        for r in rendered:
            canvas.blit(r, (rect.x + 24, y))
            y += r.get_height() + 8

    def _draw_volume(self, canvas) -> None:
        """A level bar at the right edge; a muted box says so instead of showing a level."""
        import pygame

        t = self.theme
        level, muted = self.volume
        font = self.fonts.get(t.font_small, bold=True)
        label = font.render("MUTE" if muted else str(level), True, t.warning if muted else t.text)
        rect = pygame.Rect(0, 0, 72, 320)
        free_top = top_free_y(t)
        free_bottom = canvas.get_height() - t.margin - (t.banner_height + 16 if t.banner_position == "bottom" else 0)
        rect.midright = (canvas.get_width() - t.margin, (free_top + free_bottom) // 2)  # clear of the banner
        self._panel(canvas, rect)
        track = pygame.Rect(0, 0, 12, rect.height - 40 - label.get_height() - 16)
        track.midtop = (rect.centerx, rect.y + 20)
        pygame.draw.rect(canvas, t.surface_raised, track, border_radius=6)
        if not muted:
            filled = track.copy()
            filled.height = round(track.height * level / 100)
            filled.bottom = track.bottom
            pygame.draw.rect(canvas, t.accent, filled, border_radius=6)
        canvas.blit(label, label.get_rect(midtop=(rect.centerx, track.bottom + 16)))

    def _draw_number_entry(self, canvas) -> None:
        import pygame

        t = self.theme
        label = self.fonts.get(t.font_large, bold=True).render(self.entry.digits + "_", True, t.text)
        rect = pygame.Rect(0, top_free_y(t), label.get_width() + 48, label.get_height() + 24)
        rect.right = canvas.get_width() - t.margin
        self._panel(canvas, rect)
        canvas.blit(label, label.get_rect(center=rect.center))

    def _draw_notice(self, canvas, message: str) -> None:
        import pygame

        t = self.theme
        font = self.fonts.get(t.font_medium)
        label = font.render(fit(font, message, canvas.get_width() - 2 * t.margin - 48), True, t.text)
        rect = pygame.Rect(0, t.margin, label.get_width() + 48, label.get_height() + 24)
        if t.banner_position == "top":  # toasts go where the banner is not
            rect.bottom = canvas.get_height() - t.margin
        rect.centerx = canvas.get_width() // 2
        self._panel(canvas, rect)
        canvas.blit(label, label.get_rect(center=rect.center))

    def _draw_locked(self, canvas) -> None:
        """Instead of the picture: what is locked, the PIN boxes, and what the last try said."""
        t = self.theme
        channel = self.box.current
        current, _ = self.now_next(channel.id) if channel else (None, None)
        large, small = self.fonts.get(t.font_large, bold=True), self.fonts.get(t.font_small)
        cx, y = canvas.get_width() // 2, canvas.get_height() // 2 - 170
        lines = [(large, "Parental lock", t.text)]
        if current is not None:
            rated = f" (rated {current.rating})" if current.rating else ""
            lines.append((small, f"{current.title}{rated}", t.text_dim))
        width = canvas.get_width() - 2 * t.margin
        for font, value, colour in lines:
            y = centred_text(canvas, font, value, colour, cx, y, width).bottom + 10
        draw_pad(canvas, self.fonts, t, (cx, y + 50), len(self.pin.digits))
        hint, colour = (self.pin_message, t.warning) if self.pin_message else ("Enter the PIN to watch", t.text_dim)
        centred_text(canvas, small, hint, colour, cx, y + 100, width)

    def _draw_centre_message(self, canvas, message: str) -> None:
        t = self.theme
        label = self.fonts.get(t.font_large, bold=True).render(message, True, t.warning)
        canvas.blit(label, label.get_rect(center=(canvas.get_width() // 2, canvas.get_height() // 2 - 60)))
