"""Keep the guide fresh in the background: at start when stale, then on a schedule.

The import runs in its own thread with its own SQLite connection; the UI keeps reading the old
guide (WAL) until the import commits, then reopens its `Guide` when it sees the result. Nothing
here ever blocks the UI thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stb.errors import StbError
from stb.guide.store import ImportReport, connect, import_sources

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 12 * 3600


@dataclass(frozen=True)
class RefreshResult:
    report: ImportReport | None
    error: str | None


def imported_at(db: Path) -> float | None:
    if not db.exists():
        return None
    conn = connect(db)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'imported_at'").fetchone()
        return float(row[0]) if row else None
    finally:
        conn.close()


class GuideRefresher:
    """A daemon thread that imports ``sources`` whenever the guide is older than ``interval_s``."""

    def __init__(self, db: Path, sources: list[str], interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.db = db
        self.sources = sources
        self.interval_s = interval_s
        self.results: queue.SimpleQueue[RefreshResult] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="guide-refresh", daemon=True)

    def start(self) -> None:
        if self.sources:
            self._thread.start()

    def refresh_now(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=0.5)  # an import in progress finishes (or is abandoned) on its own

    def _due_in(self) -> float:
        last = imported_at(self.db)
        return 0.0 if last is None else max(0.0, last + self.interval_s - time.time())

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self._due_in()
            if wait > 0 and self._wake.wait(timeout=wait):
                self._wake.clear()
            if self._stop.is_set():
                return
            try:
                report = import_sources(self.db, self.sources)  # times without a zone are UTC (the DTD)
                log.info("guide refreshed: %d programmes in %.1f s", report.programmes, report.seconds)
                self.results.put(RefreshResult(report, None))
            except StbError as exc:
                log.warning("guide refresh failed: %s", exc)
                self.results.put(RefreshResult(None, str(exc)))
                self._wake.wait(timeout=min(self.interval_s, 600))  # retry sooner than the schedule
                self._wake.clear()
            except Exception as exc:  # a bug must not kill the refresher silently
                log.exception("guide refresh crashed")
                self.results.put(RefreshResult(None, f"guide refresh failed ({type(exc).__name__})"))
                self._wake.wait(timeout=600)
                self._wake.clear()
