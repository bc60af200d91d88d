"""What the TV core needs of the players: a Protocol that the libVLC Zapper and the skin preview's stand-in satisfy."""

from __future__ import annotations

from typing import Protocol

from stb.lineup.model import Channel
from stb.player.engine import PlaybackState
from stb.player.zapper import PlaybackChanged


class ActivePlayer(Protocol):
    """The on-screen player, as far as the TV core looks at it."""

    @property
    def channel(self) -> Channel | None: ...

    @property
    def state(self) -> PlaybackState: ...


class ZapperPort(Protocol):
    """Puts channels on screen and keeps the likely next ones ready (stb.player.zapper.Zapper)."""

    @property
    def active(self) -> ActivePlayer: ...

    def zap(self, channel: Channel) -> bool: ...

    def step(self, now: float) -> list[PlaybackChanged]: ...

    def set_audio(self, volume: int, muted: bool) -> None: ...

    def stop_all(self) -> None: ...
