"""What the TV core needs of the players: a Protocol that the libVLC Zapper and the skin preview's stand-in satisfy."""

from __future__ import annotations

from typing import Protocol

from stb.lineup.model import Channel
from stb.player.ports import ZapperView
from stb.player.zapper import PlaybackChanged


class ZapperPort(ZapperView, Protocol):
    """Puts channels on screen and keeps the likely next ones ready (stb.player.zapper.Zapper); what the
    screens read of it (the on-screen player as a PlayerPort, the pre-tuned channels) is its ZapperView."""

    def zap(self, channel: Channel) -> bool: ...

    def step(self, now: float) -> list[PlaybackChanged]: ...

    def set_audio(self, volume: int, muted: bool) -> None: ...

    def stop_all(self) -> None: ...

    def set_pretuning(self, on: bool) -> None: ...
