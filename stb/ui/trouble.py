"""What the viewer is told when the picture is in trouble, and when: steady, not flickering.

The player's state alone flickers: a stalling stream reconnects, plays a second, stalls again, and
the screen blinked between picture and message every few seconds. And under load a picture can
freeze while the player still says PLAYING (the decoder counts pictures that never reach the screen).
So the card shows once trouble has lasted :data:`SHOW_AFTER_S` (a frozen picture: :data:`FROZEN_S`),
and goes only once pictures have flowed again for :data:`CLEAR_AFTER_S`. Pure logic, tested without a
window; the live screen feeds it once a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from stb.player.engine import PlaybackState

SHOW_AFTER_S = 1.0  # a reconnect that recovers quicker is not worth a card
FROZEN_S = 4.0  # no new picture for this long while "playing": the picture froze
CLEAR_AFTER_S = 3.0  # pictures flowing this long again: the trouble is over

FAILED, STALLED, FROZEN = "failed", "stalled", "frozen"


@dataclass
class TroubleWatch:
    kind: str | None = None  # what the screen shows now: FAILED, STALLED, FROZEN or None
    _channel: object = None
    _since: float | None = None  # when the current raw trouble began
    _raw: str | None = None
    _frames: int = -1
    _frame_at: float = 0.0
    _fine_since: float | None = None

    def reset(self) -> None:
        """A zap: the new channel starts with a clean slate (a failing one shows its card at once)."""
        self.kind, self._since, self._raw, self._frames, self._fine_since = None, None, None, -1, None

    def feed(self, channel: object, state: PlaybackState, frames: int, now: float) -> str | None:
        """One frame's look at the player (``frames``: pictures shown since the tune); returns ``kind``."""
        if channel is not self._channel:
            self._channel = channel
            self.reset()
        if frames != self._frames:
            self._frames, self._frame_at = frames, now
        raw = None
        if state is PlaybackState.FAILED:
            raw = FAILED
        elif state is PlaybackState.STALLED:
            raw = STALLED
        elif state is PlaybackState.PLAYING and frames > 0 and now - self._frame_at >= FROZEN_S:
            raw = FROZEN
        if raw != self._raw:
            self._raw, self._since = raw, now
        if raw is not None:
            self._fine_since = None
            wait = 0.0 if raw in (FAILED, FROZEN) else SHOW_AFTER_S
            if self.kind is not None or (self._since is not None and now - self._since >= wait):
                self.kind = raw  # once shown, a change of trouble (stalled → failed) shows at once
        elif self.kind is not None:
            if state is not PlaybackState.PLAYING:
                self._fine_since = None  # tuning again: keep saying what the trouble is
            elif self._fine_since is None:
                self._fine_since = now
            elif now - self._fine_since >= CLEAR_AFTER_S:
                self.kind, self._fine_since = None, None
        return self.kind
