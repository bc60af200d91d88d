"""The guide in SQLite: schema, and an import that replaces a source's guide in one transaction.

WAL mode lets the UI keep reading the old guide while an import runs; the import commits at the
very end, so a reader sees the whole old guide or the whole new one, never half. Any failure (a
broken file, a full disk) rolls back and leaves the previous guide as it was.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stb.config import cache_dir
from stb.errors import StbError
from stb.guide.sources import GuideSourceError, open_guide
from stb.guide.xmltv import PROGRAMME_COLUMNS, GuideChannel, ParseCounts, parse_guide

SCHEMA_VERSION = 3  # a guide of another version is dropped and imported again: it is a cache
BATCH = 5000
DEFAULT_PRUNE_DAYS = 2
GUESSED_LENGTH_S = 3600  # last programme of a channel without a stop

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS channels (
    id TEXT NOT NULL, source TEXT NOT NULL, names TEXT NOT NULL, icon TEXT, PRIMARY KEY (id, source));
CREATE TABLE IF NOT EXISTS programmes (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, seq INTEGER, {", ".join(PROGRAMME_COLUMNS)});
CREATE INDEX IF NOT EXISTS programmes_channel_start ON programmes (channel, start);
-- seq numbers programmes in start order; search walks the full-text index in seq order from the
-- first hour that can still be on, so "upcoming matches first" stops after a page, not after
-- every match (a common word can match half the guide).
CREATE INDEX IF NOT EXISTS programmes_seq ON programmes (seq);
CREATE TABLE IF NOT EXISTS seq_hours (hour INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS programmes_fts USING fts5(
    title, sub_title, description, content='programmes', content_rowid='seq', tokenize='unicode61 remove_diacritics 2',
    detail=none);
"""


ORDERED = (  # each programme with the start of the next one on its channel
    "WITH ordered AS (SELECT id, start, stop, lead(start) OVER (PARTITION BY channel ORDER BY start, id) AS nxt "
    "FROM programmes) "
)


def default_db_path() -> Path:
    return cache_dir() / "guide.sqlite3"


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas the guide wants; one per thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    if not readonly:
        _drop_if_outdated(conn)
        conn.executescript(SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return conn


def _drop_if_outdated(conn: sqlite3.Connection) -> None:
    """A guide written by another schema version is thrown away; the next refresh imports it again."""
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
    version = has_meta and conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if not has_meta or (version and version[0] == str(SCHEMA_VERSION)):
        return
    conn.executescript(
        "BEGIN IMMEDIATE; DROP TABLE IF EXISTS programmes_fts; DROP TABLE IF EXISTS programmes; "
        "DROP TABLE IF EXISTS seq_hours; "
        "DROP TABLE IF EXISTS channels; DROP TABLE IF EXISTS meta; COMMIT;"
    )


@dataclass
class SourceReport:
    source: str
    channels: int = 0
    programmes: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    truncated: int = 0
    bytes: int = 0
    compression: str | None = None


@dataclass
class ImportReport:
    sources: list[SourceReport] = field(default_factory=list)
    overlaps_fixed: int = 0
    duplicates_removed: int = 0
    gaps: int = 0
    stops_guessed: int = 0
    pruned: int = 0
    seconds: float = 0.0

    @property
    def programmes(self) -> int:
        return sum(s.programmes for s in self.sources)

    def as_dict(self) -> dict:
        return {**asdict(self), "programmes": self.programmes}


def import_sources(
    db: Path, sources: list[str], zone: str = "UTC", prune_days: int = DEFAULT_PRUNE_DAYS, now: float | None = None
) -> ImportReport:
    """Replace the guide of each source with its current content, all in one transaction."""
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise StbError(f"unknown time zone {zone!r} (use an IANA name such as Europe/Berlin)") from None
    started = time.monotonic()
    try:
        report = _import_all(db, sources, zone, prune_days, now)
    except sqlite3.Error as exc:
        raise StbError(_store_error(db, exc)) from None
    report.seconds = time.monotonic() - started
    return report


def _store_error(db: Path, exc: sqlite3.Error) -> str:
    """One line for a failed write to the store; the transaction was rolled back, the old guide stands."""
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(exc):
        return f"the disk holding the guide {db} is full; the previous guide is kept"
    return f"guide store {db}: {exc}; the previous guide is kept"


def _import_all(db: Path, sources: list[str], zone: str, prune_days: int, now: float | None) -> ImportReport:
    report = ImportReport()
    conn = connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for source in sources:
            report.sources.append(_import_one(conn, source, zone))
        _repair_timeline(conn, report)
        cutoff = int((now or time.time()) - prune_days * 86400)
        report.pruned = conn.execute("DELETE FROM programmes WHERE stop < ?", (cutoff,)).rowcount
        _number_in_start_order(conn)
        conn.execute("INSERT INTO programmes_fts(programmes_fts) VALUES ('rebuild')")
        conn.execute(  # the window query's look-back: how long the longest programme is
            "INSERT OR REPLACE INTO meta SELECT 'longest', coalesce(max(stop - start), 0) FROM programmes"
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('imported_at', ?)", (str(int(now or time.time())),))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return report


def _import_one(conn: sqlite3.Connection, source: str, zone: str) -> SourceReport:
    conn.execute("DELETE FROM programmes WHERE source = ?", (source,))
    conn.execute("DELETE FROM channels WHERE source = ?", (source,))
    insert = (
        f"INSERT INTO programmes (source, {', '.join(PROGRAMME_COLUMNS)}) "
        f"VALUES (?, {', '.join('?' for _ in PROGRAMME_COLUMNS)})"
    )
    counts = ParseCounts()
    with open_guide(source) as stream:
        raw = stream.raw
        batch: list[tuple] = []
        for item in parse_guide(stream, source, zone, counts):
            if isinstance(item, GuideChannel):
                conn.execute(
                    "INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?)",
                    (item.id, source, "\n".join(item.names), item.icon),
                )
                continue
            batch.append((source, *item))
            if len(batch) >= BATCH:
                conn.executemany(insert, batch)
                batch.clear()
        conn.executemany(insert, batch)
        report = SourceReport(source, counts.channels, counts.programmes, truncated=counts.truncated)
        report.bytes = raw.bytes_read
        report.compression = raw.compression
    report.skipped = {
        k: v
        for k, v in {
            "bad time": counts.skipped_bad_time,
            "no title": counts.skipped_no_title,
            "stop not after start, or longer than 2 days": counts.skipped_bad_length,
        }.items()
        if v
    }
    if not counts.programmes and report.skipped:  # a guide broken throughout must not replace a good one
        why = ", ".join(f"{n} {reason}" for reason, n in report.skipped.items())
        raise GuideSourceError(f"{source}: no programme could be read (skipped {why}); the previous guide is kept")
    return report


def _repair_timeline(conn: sqlite3.Connection, report: ImportReport) -> None:
    """Make each channel's programmes a non-overlapping sequence, counting what had to change.

    One pass surveys the timeline; the fixing statements (each a full pass) run only for the
    problems that pass found, so a clean guide, the usual case, costs one scan.
    """
    survey = conn.execute(
        ORDERED + "SELECT coalesce(sum(stop IS NULL), 0), coalesce(sum(nxt = start), 0), "
        "coalesce(sum(nxt < stop), 0), coalesce(sum(nxt > stop), 0) FROM ordered"
    ).fetchone()
    missing_stops, duplicates, overlaps, report.gaps = survey
    if duplicates:  # two programmes at the same start: keep the first read (before stops are guessed,
        report.duplicates_removed = conn.execute(  # or a stopless first copy would get zero length)
            "DELETE FROM programmes WHERE id NOT IN (SELECT min(id) FROM programmes GROUP BY channel, start)"
        ).rowcount
    if missing_stops:  # a missing stop is the next programme's start; the last of a channel gets a guessed length
        report.stops_guessed = _changes(
            conn,
            ORDERED + "UPDATE programmes SET stop = coalesce(ordered.nxt, ordered.start + ?) FROM ordered "
            "WHERE programmes.id = ordered.id AND programmes.stop IS NULL",
            (GUESSED_LENGTH_S,),
        )
    if missing_stops or duplicates or overlaps:
        report.overlaps_fixed = _changes(
            conn,
            ORDERED + "UPDATE programmes SET stop = ordered.nxt FROM ordered "
            "WHERE programmes.id = ordered.id AND ordered.nxt IS NOT NULL AND programmes.stop > ordered.nxt",
        )
        report.gaps = conn.execute(ORDERED + "SELECT count(*) FROM ordered WHERE stop < nxt").fetchone()[0]


def _number_in_start_order(conn: sqlite3.Connection) -> None:
    """seq = rank by (start, id), and the first seq of every hour (the search's starting points)."""
    conn.execute("DROP INDEX IF EXISTS programmes_seq")  # one sort afterwards beats 350k index updates
    conn.execute(
        "UPDATE programmes SET seq = r.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY start, id) AS n FROM programmes) AS r WHERE programmes.id = r.id"
    )
    conn.execute("CREATE INDEX programmes_seq ON programmes (seq)")
    conn.execute("DELETE FROM seq_hours")
    conn.execute("INSERT INTO seq_hours SELECT start / 3600, min(seq) FROM programmes GROUP BY start / 3600")


def _changes(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> int:
    """Rows changed by ``sql`` (cursor.rowcount is -1 for statements that start with WITH)."""
    before = conn.total_changes
    conn.execute(sql, params)
    return conn.total_changes - before
