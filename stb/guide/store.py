"""The guide in SQLite: schema, and an import that replaces a source's guide in one transaction.

WAL mode lets the UI keep reading the old guide while an import runs; the import commits at the
very end, so a reader sees the whole old guide or the whole new one, never half. (Rows are first
staged in a file of their own, `guide.sqlite3-import-…`, thrown away afterwards; the guide itself
is only written inside the one transaction.) Any failure (a
broken file, a full disk) rolls back and leaves the previous guide as it was. So does a source that
leaves nothing, or far less than the previous guide still had (what a failed grabber writes: `<tv></tv>`),
unless the import is forced.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stb.config import cache_dir
from stb.errors import StbError
from stb.guide.parallel import Fallback, parse_chunked
from stb.guide.scripts import pairs
from stb.guide.sources import GuideSourceError, open_guide
from stb.guide.xmltv import PROGRAMME_COLUMNS, ParseCounts, batches, parse_guide

SCHEMA_VERSION = 6  # a guide of another version is dropped and imported again: it is a cache
BATCH = 5000
# The importer's page cache (readers keep 64 MiB): its writes go out in order, and its memory sits
# beside two parse workers', all under 200 MB for any size of guide.
IMPORT_CACHE_KIB = -16384
DEFAULT_PRUNE_DAYS = 2
DEFAULT_MIN_FRACTION = 0.1  # a source leaving less than this share of what its previous guide still had is refused
GUESSED_LENGTH_S = 3600  # last programme of a channel without a stop

COLUMNS = ", ".join(PROGRAMME_COLUMNS)
PREFIXED_COLUMNS = ", ".join(f"r.{c}" for c in PROGRAMME_COLUMNS)
# seq numbers programmes in start order (the import writes them in that order, id = seq); search walks
# the full-text index in seq order from the first hour that can still be on, so "upcoming matches
# first" stops after a page, not after every match (a common word can match half the guide).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS programmes_channel_start ON programmes (channel, start)",
    "CREATE INDEX IF NOT EXISTS programmes_seq ON programmes (seq)",
    "CREATE INDEX IF NOT EXISTS programmes_spaceless ON programmes (seq) WHERE spaceless",
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS channels (
    id TEXT NOT NULL, source TEXT NOT NULL, names TEXT NOT NULL, icon TEXT, PRIMARY KEY (id, source));
CREATE TABLE IF NOT EXISTS programmes (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, seq INTEGER, {COLUMNS});
{";".join(INDEXES)};
CREATE TABLE IF NOT EXISTS seq_hours (hour INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL);
-- no per-row column sizes (columnsize=0): nothing ranks by bm25, and they cost a quarter of the build
CREATE VIRTUAL TABLE IF NOT EXISTS programmes_fts USING fts5(
    title, sub_title, description, content='programmes', content_rowid='seq', tokenize='unicode61 remove_diacritics 2',
    detail=none, columnsize=0);
-- character pairs of text in scripts without spaces (stb.guide.scripts), rowid = seq
CREATE VIRTUAL TABLE IF NOT EXISTS programmes_pairs USING fts5(pairs, content='', tokenize='ascii', detail=none,
    columnsize=0);
"""


ORDERED = (  # each slot with the start of the next one on its channel; a clump's others follow its first
    "WITH ordered AS (SELECT id, start, stop, lead(start) OVER (PARTITION BY channel ORDER BY start, id) AS nxt "
    "FROM stage.rows WHERE clump = 0) "
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
        "BEGIN IMMEDIATE; DROP TABLE IF EXISTS programmes_fts; DROP TABLE IF EXISTS programmes_pairs; "
        "DROP TABLE IF EXISTS programmes; "
        "DROP TABLE IF EXISTS seq_hours; "
        "DROP TABLE IF EXISTS channels; DROP TABLE IF EXISTS meta; COMMIT;"
    )


@dataclass
class SourceReport:
    source: str
    channels: int = 0  # with a <channel> element or only named by programmes
    programmes: int = 0
    kept: int = 0  # of this source's programmes, those in the guide after pruning
    #: of this source's programmes, those not ended before the pruning cutoff, before programmes that
    #: another source already gave are removed: what the source offers (two sources with the same channels
    #: are common, and the second keeping nothing is no sign that it broke)
    offered: int = 0
    clumped: int = 0  # programmes sharing a slot with an earlier one (clumpidx), all kept
    skipped: dict[str, int] = field(default_factory=dict)
    truncated: int = 0
    bytes: int = 0
    compression: str | None = None
    worker_rss_mb: int = 0  # peak RSS of the processes that parsed it (summed; 0: parsed in the importer)


@dataclass
class ImportReport:
    sources: list[SourceReport] = field(default_factory=list)
    overlaps_fixed: int = 0
    duplicates_removed: int = 0
    gaps: int = 0
    stops_guessed: int = 0
    pruned: int = 0
    seconds: float = 0.0
    #: where the seconds went: reading (parse + stage), timeline repair and pruning, writing the guide
    #: in start order with its indexes, the full-text indexes, and the commit
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def programmes(self) -> int:
        return sum(s.programmes for s in self.sources)

    @property
    def kept(self) -> int:
        return sum(s.kept for s in self.sources)

    def as_dict(self) -> dict:
        return {**asdict(self), "programmes": self.programmes, "kept": self.kept}


def import_sources(
    db: Path,
    sources: list[str],
    zone: str = "UTC",
    prune_days: int = DEFAULT_PRUNE_DAYS,
    now: float | None = None,
    force: bool = False,
    min_fraction: float = DEFAULT_MIN_FRACTION,
) -> ImportReport:
    """Replace the guide of each source with its current content, all in one transaction.

    ``zone`` reads times written without an offset (UTC per the DTD). A source that leaves no
    programme, or under ``min_fraction`` of what its previous guide still offered, is refused and
    the whole import rolled back, unless ``force``.
    """
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise StbError(f"unknown time zone {zone!r} (use an IANA name such as Europe/Berlin)") from None
    started = time.monotonic()
    try:
        report = _import_all(db, sources, zone, prune_days, now, None if force else min_fraction)
    except sqlite3.Error as exc:
        raise StbError(_store_error(db, exc)) from None
    report.seconds = time.monotonic() - started
    return report


def _store_error(db: Path, exc: sqlite3.Error) -> str:
    """One line for a failed write to the store; the transaction was rolled back, the old guide stands."""
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(exc):
        return f"the disk holding the guide {db} is full; the previous guide is kept"
    return f"guide store {db}: {exc}; the previous guide is kept"


def _import_all(
    db: Path, sources: list[str], zone: str, prune_days: int, now: float | None, min_fraction: float | None
) -> ImportReport:
    """Rows go first to a stage (a file beside the guide, no journal: it is thrown away whatever
    happens), where the timeline is repaired and pruned; then the guide's programmes are written once,
    in start order (id = seq, so no renumbering pass), and indexed. The guide itself changes in one
    transaction: readers see the old guide until COMMIT."""
    report = ImportReport()
    started = time.monotonic()
    conn = connect(db)
    conn.execute(f"PRAGMA cache_size={IMPORT_CACHE_KIB}")
    conn.execute("PRAGMA temp_store=FILE")  # sorts of a million rows spill to a file, not to memory
    cutoff = int((now or time.time()) - prune_days * 86400)
    stage = _stage_path(db)
    try:
        _attach_stage(conn, stage)
        conn.execute("BEGIN IMMEDIATE")
        before = dict(
            conn.execute("SELECT source, count(*) FROM programmes WHERE stop >= ? GROUP BY source", (cutoff,))
        )
        marks = ", ".join("?" for _ in sources)
        conn.execute(  # the other sources' programmes, first (read before, as their lower ids said)
            f"INSERT INTO stage.rows (source, {COLUMNS}) SELECT source, {COLUMNS} FROM programmes "
            f"WHERE source NOT IN ({marks}) ORDER BY id",
            sources,
        )
        for source in sources:
            report.sources.append(_import_one(conn, source, zone))
        lap = _laps(report, started)
        offered = dict(
            conn.execute(
                "SELECT source, count(*) FROM stage.rows WHERE coalesce(stop, start) >= ? GROUP BY source", (cutoff,)
            )
        )
        _repair_timeline(conn, report)
        report.pruned = conn.execute("DELETE FROM stage.rows WHERE stop < ?", (cutoff,)).rowcount
        kept = dict(conn.execute("SELECT source, count(*) FROM stage.rows GROUP BY source"))
        for source_report in report.sources:
            source_report.kept = kept.get(source_report.source, 0)
            source_report.offered = offered.get(source_report.source, 0)
            if min_fraction is not None:
                _refuse_if_shrunk(source_report, before.get(source_report.source, 0), min_fraction, prune_days)
        lap("repair")
        _write_in_start_order(conn)
        lap("write")
        conn.execute("INSERT INTO programmes_fts(programmes_fts) VALUES ('rebuild')")
        _index_pairs(conn)
        lap("search_index")
        conn.execute(  # the window query's look-back: how long the longest programme is
            "INSERT OR REPLACE INTO meta SELECT 'longest', coalesce(max(stop - start), 0) FROM programmes"
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('imported_at', ?)", (str(int(now or time.time())),))
        conn.execute("COMMIT")
        lap("commit")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        for schema in ("stage", CHUNK_SCHEMA):
            with suppress(sqlite3.Error):
                conn.execute(f"DETACH {schema}")
        conn.close()
        stage.unlink(missing_ok=True)
    return report


def _laps(report: ImportReport, started: float) -> Callable[[str], None]:
    """A function that records the seconds since its last call as a phase of ``report``; the
    reading phase (since ``started``) is what came before this call."""
    last = [time.monotonic()]
    report.phases["read"] = round(last[0] - started, 3)

    def lap(name: str) -> None:
        now = time.monotonic()
        report.phases[name] = round(now - last[0], 3)
        last[0] = now

    return lap


STAGE_SUFFIX = "-import-"
CHUNK_SCHEMA = "chunk"


def _stage_path(db: Path) -> Path:
    """This import's stage file (named by process and thread: two imports never share one), after
    removing the stages of importers that died (kill -9, power cut)."""
    for old in db.parent.glob(f"{db.name}{STAGE_SUFFIX}*"):
        pid = old.name.rsplit(STAGE_SUFFIX, 1)[1].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            old.unlink(missing_ok=True)
    path = db.with_name(f"{db.name}{STAGE_SUFFIX}{os.getpid()}-{threading.get_ident()}")
    path.unlink(missing_ok=True)
    return path


def _attach_stage(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("ATTACH ? AS stage", (str(path),))
    conn.execute("PRAGMA stage.journal_mode=OFF")  # thrown away on failure: nothing to roll back
    conn.execute("PRAGMA stage.synchronous=OFF")
    conn.execute(f"CREATE TABLE stage.rows (id INTEGER PRIMARY KEY, source TEXT NOT NULL, {COLUMNS})")
    # the pair-index text of stage rows whose parse worker made it (the others get it in _index_pairs)
    conn.execute("CREATE TABLE stage.pairs (id INTEGER PRIMARY KEY, pairs TEXT NOT NULL)")
    conn.execute(f"ATTACH ':memory:' AS {CHUNK_SCHEMA}")  # each worker's rows in turn (stb.guide.worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_in_start_order(conn: sqlite3.Connection) -> None:
    """The guide's programmes replaced by the stage's, written in (start, read order): id = seq =
    rank, so search walks them in start order; indexes built once afterwards, not row by row.

    Only (start, id) pairs are sorted; the rows are then looked up in that order (sorting whole rows
    instead costs 1.7 times the CPU for 350,000 programmes)."""
    conn.execute("CREATE TABLE stage.ordered (n INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    conn.execute("INSERT INTO stage.ordered (id) SELECT id FROM stage.rows ORDER BY start, id")
    for index in ("programmes_channel_start", "programmes_seq", "programmes_spaceless"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    conn.execute("DELETE FROM programmes")
    conn.execute(
        f"INSERT INTO programmes (id, seq, source, {COLUMNS}) SELECT o.n, o.n, r.source, {PREFIXED_COLUMNS} "
        "FROM stage.ordered o JOIN stage.rows r ON r.id = o.id ORDER BY o.n"
    )
    for statement in INDEXES:  # not executescript: it would COMMIT first
        conn.execute(statement)
    conn.execute("DELETE FROM seq_hours")
    conn.execute("INSERT INTO seq_hours SELECT start / 3600, min(seq) FROM programmes GROUP BY start / 3600")


def _refuse_if_shrunk(report: SourceReport, before: int, min_fraction: float, prune_days: int) -> None:
    """Raise (the caller rolls back) when the source leaves nothing, or far less than it did before."""
    if report.offered and report.offered >= min_fraction * before:
        return
    if report.offered:
        why = (f"only {report.offered} programmes left, under {min_fraction:.0%} of the {before} its previous guide "
               "still had")  # fmt: skip
    elif report.skipped and not report.programmes:
        why = "no programme could be read (skipped " + ", ".join(f"{n} {r}" for r, n in report.skipped.items()) + ")"
    elif report.programmes:
        why = f"all {report.programmes} programmes ended more than {prune_days} days ago"
    else:
        why = "no programmes in it"
    previous = "the previous guide is kept" if before else "nothing was imported"
    raise GuideSourceError(f"{report.source}: {why}; {previous} (--force imports it anyway)")


def _import_one(conn: sqlite3.Connection, source: str, zone: str) -> SourceReport:
    """Read a large source in worker processes (`stb.guide.parallel`); when they cannot read it
    exactly as the serial parser would, undo what they gave and read it serially."""
    try:
        return _read_source(conn, source, zone, chunked=True)
    except Fallback:
        return _read_source(conn, source, zone, chunked=False)  # which first drops what the workers gave


def _read_source(conn: sqlite3.Connection, source: str, zone: str, chunked: bool) -> SourceReport:
    conn.execute("DELETE FROM stage.pairs WHERE id IN (SELECT id FROM stage.rows WHERE source = ?)", (source,))
    conn.execute("DELETE FROM stage.rows WHERE source = ?", (source,))
    conn.execute("DELETE FROM channels WHERE source = ?", (source,))
    quoted = "'" + source.replace("'", "''") + "'"  # a literal: rows come from the parser as they are
    columns, marks = ", ".join(PROGRAMME_COLUMNS), ", ".join("?" for _ in PROGRAMME_COLUMNS)
    insert = f"INSERT INTO stage.rows (source, {columns}) VALUES ({quoted}, {marks})"
    copy = (
        f"INSERT INTO stage.rows (source, {columns}) SELECT {quoted}, {columns} FROM {CHUNK_SCHEMA}.rows ORDER BY rowid"
    )
    counts = ParseCounts()
    with open_guide(source) as stream:
        raw = stream.raw
        parsed = (
            parse_chunked(stream, source, counts, zone)
            if chunked
            else batches(parse_guide(stream, source, zone, counts), BATCH)
        )
        with closing(parsed):
            for channels, rows in parsed:
                conn.executemany(
                    "INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?)",
                    ((c.id, source, "\n".join(c.names), c.icon) for c in channels),
                )
                if isinstance(rows, bytes):  # a worker's table of them: one statement
                    conn.deserialize(rows, name=CHUNK_SCHEMA)
                    base = conn.execute("SELECT coalesce(max(id), 0) FROM stage.rows").fetchone()[0]
                    conn.execute(copy)  # their ids: base + their rowid in the chunk
                    conn.execute(f"INSERT INTO stage.pairs SELECT ? + n, pairs FROM {CHUNK_SCHEMA}.pairs", (base,))
                else:
                    conn.executemany(insert, rows)
        report = SourceReport(source, 0, counts.programmes, truncated=counts.truncated, clumped=counts.clumped,
                              worker_rss_mb=counts.worker_rss_mb)  # fmt: skip
        report.bytes = raw.bytes_read
        report.compression = raw.compression
    # channels only named by programmes: real per-channel files have no <channel> at all
    conn.execute(
        "INSERT OR IGNORE INTO channels SELECT DISTINCT channel, source, '', NULL FROM stage.rows WHERE source = ?",
        (source,),
    )
    report.channels = conn.execute("SELECT count(*) FROM channels WHERE source = ?", (source,)).fetchone()[0]
    report.skipped = {
        k: v
        for k, v in {
            "bad time": counts.skipped_bad_time,
            "no title": counts.skipped_no_title,
            "stop not after start, or longer than 2 days": counts.skipped_bad_length,
        }.items()
        if v
    }
    return report


def _repair_timeline(conn: sqlite3.Connection, report: ImportReport) -> None:
    """Make each channel's programmes a non-overlapping sequence, counting what had to change.

    One pass surveys the timeline; the fixing statements (each a full pass) run only for the
    problems that pass found, so a clean guide, the usual case, costs one scan. A clump (programmes
    sharing a slot) is one slot: its first programme is on the timeline, the others take its times.
    """
    clumps = any(s.clumped for s in report.sources)
    if clumps:  # the clump statements look rows up by channel and start
        conn.execute("CREATE INDEX stage.rows_channel_start ON rows (channel, start)")
        _settle_clumps(conn, report)
    survey = conn.execute(
        ORDERED + "SELECT coalesce(sum(stop IS NULL), 0), coalesce(sum(nxt = start), 0), "
        "coalesce(sum(nxt < stop), 0), coalesce(sum(nxt > stop), 0) FROM ordered"
    ).fetchone()
    missing_stops, duplicates, overlaps, report.gaps = survey
    if duplicates:  # two programmes at the same start: keep the first read (before stops are guessed,
        report.duplicates_removed += conn.execute(  # or a stopless first copy would get zero length)
            "DELETE FROM stage.rows WHERE id NOT IN (SELECT min(id) FROM stage.rows GROUP BY channel, start, clump)"
        ).rowcount
    if missing_stops:  # a missing stop is the next programme's start; the last of a channel gets a guessed length
        report.stops_guessed = _changes(
            conn,
            ORDERED + "UPDATE stage.rows SET stop = coalesce(ordered.nxt, ordered.start + ?) FROM ordered "
            "WHERE rows.id = ordered.id AND rows.stop IS NULL",
            (GUESSED_LENGTH_S,),
        )
    if missing_stops or duplicates or overlaps:
        report.overlaps_fixed = _changes(
            conn,
            ORDERED + "UPDATE stage.rows SET stop = ordered.nxt FROM ordered "
            "WHERE rows.id = ordered.id AND ordered.nxt IS NOT NULL AND rows.stop > ordered.nxt",
        )
        report.gaps = conn.execute(ORDERED + "SELECT count(*) FROM ordered WHERE stop < nxt").fetchone()[0]
    if clumps:
        conn.execute(
            "UPDATE stage.rows SET stop = (SELECT f.stop FROM stage.rows f WHERE f.channel = rows.channel "
            "AND f.start = rows.start AND f.clump = 0) WHERE clump > 0"
        )


def _settle_clumps(conn: sqlite3.Connection, report: ImportReport) -> None:
    """The same clump index twice is a duplicate; a clump whose first programme is missing gets one."""
    report.duplicates_removed += conn.execute(
        "DELETE FROM stage.rows WHERE clump > 0 AND id NOT IN "
        "(SELECT min(id) FROM stage.rows WHERE clump > 0 GROUP BY channel, start, clump)"
    ).rowcount
    conn.execute(
        "UPDATE stage.rows SET clump = 0 WHERE clump > 0 AND clump = (SELECT min(o.clump) FROM stage.rows o "
        "WHERE o.channel = rows.channel AND o.start = rows.start)"
    )


def _index_pairs(conn: sqlite3.Connection) -> None:
    """Rebuild the character-pair index of text in scripts without spaces (rowid = seq): with the
    text the parse workers made, and for the rows that came without it (the serial parser's, other
    sources' from the previous guide), made here. Inserted in rowid order: FTS5 writes a segment each
    time a rowid goes down."""
    conn.execute("INSERT INTO programmes_pairs(programmes_pairs) VALUES ('delete-all')")
    if conn.execute("SELECT 1 FROM stage.pairs LIMIT 1").fetchone():
        conn.execute("CREATE INDEX stage.ordered_id ON ordered (id)")
        conn.execute(
            "INSERT INTO programmes_pairs(rowid, pairs) SELECT o.n, s.pairs FROM stage.pairs s "
            "JOIN stage.ordered o ON o.id = s.id ORDER BY o.n"
        )
    rows = conn.execute(
        "SELECT seq, title, sub_title, description FROM programmes p WHERE spaceless AND NOT EXISTS "
        "(SELECT 1 FROM stage.ordered o JOIN stage.pairs s ON s.id = o.id WHERE o.n = p.seq)"
    )
    conn.executemany("INSERT INTO programmes_pairs(rowid, pairs) VALUES (?, ?)", ((r[0], pairs(*r[1:])) for r in rows))


def _changes(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> int:
    """Rows changed by ``sql`` (cursor.rowcount is -1 for statements that start with WITH)."""
    before = conn.total_changes
    conn.execute(sql, params)
    return conn.total_changes - before
