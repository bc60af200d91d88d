"""The guide as the network thread reads it: its own SQLite connection, reopened after a refresh."""

from __future__ import annotations

import threading
from pathlib import Path

from stb.guide.query import Guide
from stb.lineup.model import Lineup


class NetGuide:
    def __init__(self, db: Path, lineup: Lineup) -> None:
        self.db, self.lineup = db, lineup
        self._guide: Guide | None = None
        self._stale = threading.Event()

    def get(self) -> Guide | None:
        """On the network thread only (a SQLite connection belongs to its thread)."""
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
        """From the UI thread, after a refresh: the next request opens the new guide."""
        self._stale.set()
