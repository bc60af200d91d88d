"""The audio and subtitle track picker: the remote's Audio (or Subtitles) key, as on the peers' boxes.

The first press switches to the next track and shows the list with it marked; further presses or
Up/Down move along the list and switch at once (you hear or see the choice as you go); OK or Back
closes, and so does a few seconds without a key.
"""

from __future__ import annotations

from stb.player.ports import PlayerPort
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.screen import Dismissable
from stb.ui.streaminfo import OFF, next_track
from stb.ui.widgets import panel, safe_area, text

HIDE_AFTER_S = 6.0
WIDTH = 420
ROW_HEIGHT = 44


class TrackPicker(Dismissable):
    context = "tracks"
    opaque = False

    def __init__(self, kind: str, player: PlayerPort, theme: Theme, now: float) -> None:
        self.kind, self.player, self.theme = kind, player, theme  # kind: "audio_track" or "subtitles"
        self.fonts = Fonts(theme.fonts)
        self.hide_at = now + HIDE_AFTER_S
        self.step(+1, now)

    @property
    def choices(self) -> list[tuple[int, str]]:
        if self.kind == "subtitles":
            return [(OFF, "Off"), *self.player.subtitle_tracks()]
        return self.player.audio_tracks()

    @property
    def current(self) -> int:
        return self.player.subtitle_track if self.kind == "subtitles" else self.player.audio_track

    def step(self, direction: int, now: float) -> None:
        """Switch to the next (or previous) track, wrapping."""
        choices = self.choices
        if direction > 0:
            choice = next_track(choices[1:] if self.kind == "subtitles" else choices, self.current,
                                with_off=self.kind == "subtitles")  # fmt: skip
        else:
            ids = [track for track, _ in choices]
            at = ids.index(self.current) if self.current in ids else 0
            choice = choices[(at - 1) % len(choices)] if choices else None
        if choice is not None:
            (self.player.select_subtitle_track if self.kind == "subtitles" else self.player.select_audio_track)(
                choice[0]
            )
        self.hide_at = now + HIDE_AFTER_S

    def handle(self, action: str, now: float) -> bool:
        if action in (self.kind, "down"):
            self.step(+1, now)
        elif action == "up":
            self.step(-1, now)
        elif action in ("ok", "back"):
            self.dismiss()
        else:
            return False  # volume, zapping…: live TV below takes them (a zap closes the picker)
        return True

    def update(self, now: float) -> None:
        if now >= self.hide_at:
            self.dismiss()

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        choices = self.choices
        bold, small = self.fonts.get(t.font_medium, bold=True), self.fonts.get(t.font_small)
        safe = safe_area(canvas, t)
        rect = pygame.Rect(0, safe.y, WIDTH, 80 + ROW_HEIGHT * max(1, len(choices)))
        rect.right = safe.right
        panel(canvas, rect, t)
        text(canvas, bold, "Subtitles" if self.kind == "subtitles" else "Audio", t.text, (rect.x + 24, rect.y + 18))
        current = self.current
        for i, (track, name) in enumerate(choices):
            row = pygame.Rect(rect.x + 12, rect.y + 70 + i * ROW_HEIGHT, rect.width - 24, ROW_HEIGHT - 6)
            chosen = track == current
            if chosen:
                pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
            colour = t.focus_text if chosen else t.text
            text(canvas, small, name, colour, (row.x + 16, row.centery - small.get_height() // 2), row.width - 32)
