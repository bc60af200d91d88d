"""The guide as the network side reads it: on a thread of its own, with its own SQLite connection.

A search over a big guide takes tens to hundreds of milliseconds of SQLite; run on the event loop, it
would hold up every relay client and event stream for as long. The API awaits :class:`GuideThread`
instead, which runs each query on one worker thread: that thread alone opens and uses the network
side's connection (:class:`NetGuide`), so queries queue behind each other, never behind the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from stb.guide.query import Guide, Programme
from stb.lineup.model import Lineup
from stb.net.ports import GuideReader

T = TypeVar("T")


class NetGuide:
    def __init__(self, db: Path, lineup: Lineup) -> None:
        self.db, self.lineup = db, lineup
        self._guide: Guide | None = None
        self._stale = threading.Event()

    def get(self) -> Guide | None:
        """On the guide thread only (a SQLite connection belongs to its thread)."""
        if self._stale.is_set() and self._guide is not None:
            self._stale.clear()
            self._guide.close()
            self._guide = None
        if self._guide is None:
            if not self.db.exists():
                return None
            self._guide = Guide(self.db, self.lineup)
        return self._guide

    def invalidate(self) -> None:
        """From the UI thread, after a refresh: the next query opens the new guide."""
        self._stale.set()


class GuideThread:
    """Runs the API's guide queries on one worker thread; ``open_guide()`` is called there, each time."""

    def __init__(self, open_guide: Callable[[], GuideReader | None]) -> None:
        self.open_guide = open_guide
        self._pool: ThreadPoolExecutor | None = None  # made at the first query: nothing starts at import
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the guide thread; the event loop serves other requests meanwhile."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stb-guide")
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    async def ask(self, query: Callable[[GuideReader], T], default: T) -> T:
        """``query(guide)`` on the guide thread, or ``default`` when the box has no guide."""

        def ask() -> T:
            guide = self.open_guide()
            return default if guide is None else query(guide)

        return await self.run(ask)

    def current(self) -> CurrentGuide:
        """A reader that asks whichever guide is current at each call (for the XMLTV export's pieces)."""
        return CurrentGuide(self.open_guide)

    def close(self) -> None:
        """Queries not started yet are dropped; one running finishes on its own."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class CurrentGuide:
    """A :class:`GuideReader` that opens the current guide at every call, on the thread that calls it.

    The XMLTV export reads one channel per step, each step a task on the guide thread; a guide refresh
    between two steps then moves it to the new guide rather than to a connection closed under it.
    """

    def __init__(self, open_guide: Callable[[], GuideReader | None]) -> None:
        self.open_guide = open_guide

    def now_next(
        self, at: float | None = None, channel_ids: list[str] | None = None
    ) -> dict[str, tuple[Programme | None, Programme | None]]:
        guide = self.open_guide()
        return guide.now_next(at, channel_ids) if guide is not None else {}

    def window(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]:
        guide = self.open_guide()
        return guide.window(channel_ids, t0, t1) if guide is not None else {}

    def scheduled(self, channel_ids: list[str], t0: float, t1: float) -> set[str]:
        guide = self.open_guide()
        return guide.scheduled(channel_ids, t0, t1) if guide is not None else set()

    def search(self, text: str, limit: int = 50, after: float | None = None) -> list[Programme]:
        guide = self.open_guide()
        return guide.search(text, limit, after) if guide is not None else []
