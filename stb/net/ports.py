"""What the HTTP API needs of the TV and of the guide, as typed ports.

The API never reaches into the TV's objects: it calls a :class:`BoxPort` (through the command queue,
on the thread that owns the TV) and reads the guide through a :class:`GuideReader` on its guide
thread. Anything with these methods fits, checked structurally by mypy: today's ``stb.ui.app.App``,
the TV core, and the fakes of the fast API tests. Answers are plain dicts of the shapes below (the
API's response models check them once more on the way out).
"""

from __future__ import annotations

from typing import Protocol

from stb.guide.query import Programme
from stb.pvr.library import Meta
from stb.tv.answers import BoxInfoDict, Direction, HandedOffDict, LineupChannelDict, StateDict


class BoxPort(Protocol):
    """The TV as the API drives it. Every method but ``api_box_info`` runs on the TV's own thread (the API
    calls it through the command queue); each raises :class:`NotFound` for an unknown channel or key."""

    def api_box_info(self) -> BoxInfoDict:
        """Plain values, safe to read from any thread."""
        ...

    def api_lineup(self) -> list[LineupChannelDict]: ...

    def api_state(self) -> StateDict: ...

    def api_zap(self, channel_id: str | None, number: int | None, direction: Direction | None) -> StateDict:
        """By id, else by number, else by direction (None: up)."""
        ...

    def api_play(self, url: str, title: str | None = None) -> StateDict:
        """A line-up channel's URL zaps to it; any other stream plays until the next zap."""
        ...

    def api_play_recording(self, meta: Meta) -> StateDict:
        """One of this box's recordings on the TV, from ``meta.position`` (the parental lock applies)."""
        ...

    def api_handoff(self, channel_id: str | None, taker: str | None, recording_id: str | None = None) -> HandedOffDict:
        """Another screen took ``channel_id`` (or the recording ``recording_id``) over; ``taker`` is its paired
        name (None: an open LAN)."""
        ...

    def api_key(self, action: str) -> StateDict: ...

    def api_play_archive(self, channel_id: str, start: int) -> StateDict:
        """The programme of ``channel_id`` that started at ``start`` from its catch-up archive, on the TV."""
        ...

    def api_standby(self, on: bool | None) -> StateDict:
        """None: the other way round, as the power key."""
        ...

    def api_volume(self, volume: int | None, delta: int | None, muted: bool | None) -> StateDict: ...


class GuideReader(Protocol):
    """The guide's questions the API asks (``stb.guide.query.Guide`` answers them). One reader per thread:
    it owns a SQLite connection."""

    def now_next(
        self, at: float | None = None, channel_ids: list[str] | None = None
    ) -> dict[str, tuple[Programme | None, Programme | None]]: ...

    def window(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]: ...

    def scheduled(self, channel_ids: list[str], t0: float, t1: float) -> set[str]: ...

    def search(self, text: str, limit: int = 50, after: float | None = None) -> list[Programme]: ...
