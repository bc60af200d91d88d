"""What the recorder needs of the world, as typed ports: the clock, the guide, a channel's stream, and the
TV's timeshift buffer (for "record now"). The real things and the tests' stand-ins both fit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from stb.guide.query import Programme


class Clock(Protocol):
    """Wall time as UTC epoch seconds (timers are kept in it: DST never moves them) and a way to wait."""

    def time(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ProgrammeGuide(Protocol):
    """The guide's questions the recorder asks (``stb.guide.query.Guide`` answers them), on the guide's thread."""

    def now_next(
        self, at: float | None = None, channel_ids: list[str] | None = None
    ) -> dict[str, tuple[Programme | None, Programme | None]]: ...

    def window(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]: ...


#: ``ask(query, default)``: ``query(guide)`` run where the guide may be read (the API's guide thread), or
#: ``default`` when there is no guide. ``stb.net.guide.GuideThread.ask`` is one.
GuideAsk = Callable[[Callable[[ProgrammeGuide], Any], Any], Awaitable[Any]]


class ChannelReader(Protocol):
    """A channel's MPEG-TS as the box's relay serves it (``stb.relay.relay.Relay``): one upstream read shared
    with every other screen. Raises LookupError, ChannelLocked, RelayBusy or UpstreamDown before the first byte."""

    async def open_channel(
        self, channel_id: str, internal: bool = False, recording: bool = False
    ) -> AsyncIterator[bytes]: ...


class TimeshiftHold(Protocol):
    """The TV's timeshift buffer, for "record now": what it already holds of a channel is kept in the recording.

    ``copy_since`` runs on a worker thread; it writes the buffer's TS of ``channel_id`` from ``since`` (UTC
    epoch; from the buffer's start when it holds less) up to its live edge into ``into`` and returns the epoch
    the copy starts at, or None when the buffer does not hold that channel. The lead wires the TV's buffer here.
    """

    def copy_since(self, channel_id: str, since: float, into: Path) -> float | None: ...


EventSink = Callable[[str, dict[str, Any]], None]  # (kind, data): the API's event hub publishes it
