"""The player's seams as typing.Protocols, so a type checker (``make lint``) catches drift.

- :class:`PlayerPort` and :class:`ZapperView`: what the screens use of a player and of the Zapper. The
  libVLC :class:`~stb.player.recovery.Player` and Zapper implement them, and so do the skin preview's
  stand-ins; the TV core's ``stb.tv.ports.ZapperPort`` adds the commands it gives the Zapper.
- :class:`PlayerAdapter`: what the recovery state machine drives (libVLC in the box, a fake in tests).
- :class:`PlayerSource`: where the Zapper gets its players and their messages from (the engine, or a fake).
"""

from __future__ import annotations

import queue
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from stb.lineup.model import Channel
from stb.player.framebuffer import FrameBuffer, FrameFormat
from stb.player.playback import DecodeCounts, PlaybackState, PlayerMessage, StreamStats

if TYPE_CHECKING:
    from stb.player.recovery import Player
    from stb.player.zapper import Zapper

Frame = tuple[memoryview, FrameFormat]


class FrameSource(Protocol):
    """The decoded pictures of one player, as the screens read them."""

    @property
    def frames(self) -> int:
        """Pictures shown since the last tune: > 0 means the channel tuned last is on."""

    def front(self) -> AbstractContextManager[Frame | None]:
        """Hold the newest complete picture for reading (None when there is none)."""


class PlayerPort(Protocol):
    """What a screen reads of, and asks of, the player on screen."""

    @property
    def state(self) -> PlaybackState: ...

    @property
    def channel(self) -> Channel | None: ...

    @property
    def error(self) -> str | None:
        """Why the channel is unavailable (shown with FAILED)."""

    @property
    def retry_at(self) -> float | None:
        """When a failed channel is tried again (the player's clock: monotonic seconds); None if no retry waits."""

    @property
    def first_frame_at(self) -> float | None:
        """time.monotonic() of the first picture since the last tune."""

    @property
    def aspect(self) -> float | None:
        """Display aspect (width / height) of the stream, when known."""

    @property
    def frames(self) -> FrameSource: ...

    @property
    def audio_only(self) -> bool:
        """Playing sound without a video track it can decode."""

    @property
    def paused(self) -> bool:
        """Timeshift: the picture stands still on purpose (no trouble to report)."""

    @property
    def audio_track(self) -> int: ...

    @property
    def subtitle_track(self) -> int: ...

    def stats(self) -> StreamStats: ...

    def audio_tracks(self) -> list[tuple[int, str]]: ...

    def subtitle_tracks(self) -> list[tuple[int, str]]: ...

    def select_audio_track(self, track: int) -> None: ...

    def select_subtitle_track(self, track: int) -> None: ...

    def position(self) -> float | None: ...

    def seek_by(self, seconds: float) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class ZapperView(Protocol):
    """What the live screen reads of the Zapper: the player on screen and the pre-tuned channels."""

    @property
    def active(self) -> PlayerPort: ...

    @property
    def pretuned(self) -> Mapping[str, PlaybackState]: ...


class PlayerAdapter(Protocol):
    """One media player the recovery state machine drives, from the UI thread only.

    Each :meth:`open` or :meth:`stop` starts a new *generation*; the adapter stamps what it posts
    (first picture, error, end) with the generation it belongs to, so the state machine can ignore
    the late messages of an input it has already replaced.
    """

    @property
    def name(self) -> str: ...

    @property
    def generation(self) -> int: ...

    @property
    def frames(self) -> FrameBuffer: ...

    def open(self, url: str, options: Sequence[str]) -> None:
        """Replace the input with ``url`` and play it: a new generation, the frame count reset."""

    def stop(self) -> None:
        """Stop the input (synchronously: its last messages are posted by now); a new generation."""

    def counts(self) -> DecodeCounts | None:
        """The decoder's counts for the current input; None while it has none."""

    def has_video_track(self) -> bool: ...

    def video_aspect(self) -> float | None: ...

    def stats(self) -> StreamStats: ...

    def set_volume(self, volume: int, muted: bool) -> None: ...

    def set_pause(self, paused: bool) -> None:
        """Pause the input where it is (the picture stands), or go on from there."""

    def time_s(self) -> float | None:
        """Where the input is, seconds from its start (a file's; None while it does not know)."""

    def set_time_s(self, seconds: float) -> None:
        """Jump to ``seconds`` from the input's start (a local file: libVLC's own seeking)."""

    def set_fraction(self, fraction: float) -> None:
        """Jump to this share of the input (0..1): libVLC 3 seeks an MPEG-TS over HTTP this way, not by time."""

    @property
    def audio_track(self) -> int:
        """The audio track playing, -1 for none."""

    def set_audio_track(self, track: int) -> None: ...

    def audio_tracks(self) -> list[tuple[int, str]]: ...

    @property
    def subtitle_track(self) -> int: ...

    def set_subtitle_track(self, track: int) -> None: ...

    def subtitle_tracks(self) -> list[tuple[int, str]]: ...

    def release(self) -> None: ...


class PlayerSource(Protocol):
    """Makes the Zapper's players; their adapters post to :attr:`messages`."""

    @property
    def messages(self) -> queue.SimpleQueue[PlayerMessage]: ...

    def create_player(self, name: str) -> Player: ...


if TYPE_CHECKING:

    def _conforms(player: Player, zapper: Zapper) -> tuple[PlayerPort, ZapperView]:
        """Never defined at run time: mypy (``make lint``) checks here that the real ones fit the ports."""
        return player, zapper
