"""The guide's questions, as the UI and the network API ask them: now/next, grid window, details, search.

Every answer is in line-up terms (line-up channel ids, times already shifted by the channel's
tvg-shift), so callers never see guide ids. One `Guide` per thread: it owns a SQLite connection.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from stb.guide.matching import MatchReport, match_lineup
from stb.guide.nownext import Answer, NowNextCache, answer_for
from stb.guide.scripts import contains_all, pair_query, split_query
from stb.guide.store import connect
from stb.lineup.model import Lineup

FIELDS = (
    "id, channel, start, stop, title, sub_title, description, categories, episode_ns, episode_onscreen, icon, "
    "rating_system, rating, star_rating, is_new, previously_shown, language, credits, date"
)
PREFIXED = ", ".join("p." + f.strip() for f in FIELDS.split(","))


class Programme(NamedTuple):
    """One programme in line-up terms. A named tuple: now/next builds 2000 of them per call."""

    id: int
    channel: str  # line-up channel id
    start: int  # UTC seconds, tvg-shift applied
    stop: int
    title: str
    sub_title: str | None
    description: str | None
    categories: tuple[str, ...]
    episode_ns: str | None
    episode_onscreen: str | None
    icon: str | None
    rating_system: str | None
    rating: str | None
    star_rating: str | None
    is_new: bool
    previously_shown: bool
    language: str | None
    credits: tuple[tuple[str, str], ...] = ()  # (role, name): ("director", "Ada Lee"), in the guide's order
    date: str | None = None  # when it was made, as the guide says it (XMLTV <date>: "1994", "20230512")

    def progress(self, now: float) -> float:
        return min(1.0, max(0.0, (now - self.start) / max(1, self.stop - self.start)))

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self._asdict().items()}


class Guide:
    def __init__(self, db: Path, lineup: Lineup) -> None:
        self.conn = connect(db)
        self.lineup = lineup
        self.matching: MatchReport = match_lineup(lineup, self.conn)
        self.now_next_cache: NowNextCache[Programme] = NowNextCache(self._data_version)
        self._by_guide: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for lineup_id, match in self.matching.matches.items():
            self._by_guide[match.guide_channel].append((lineup_id, match.shift_s))

    def close(self) -> None:
        self.conn.close()

    def _data_version(self) -> int:
        """Changes whenever another connection commits to the guide (an import into this file)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _programme(self, row: tuple, lineup_id: str, shift: int) -> Programme:
        (pid, _, start, stop, title, sub, desc, cats, ns, onscreen, icon, rsys, rating, star, new, prev, lang,
         credits, made) = row  # fmt: skip
        people = tuple((role, name) for role, _, name in (line.partition("\t") for line in credits.split("\n"))
                       ) if credits else ()  # fmt: skip
        return Programme(
            pid, lineup_id, start + shift, stop + shift, title, sub, desc, tuple(cats.split("\n")) if cats else (),
            ns, onscreen, icon, rsys, rating, star, bool(new), bool(prev), lang, people, made,
        )  # fmt: skip

    def now_next(
        self, at: float | None = None, channel_ids: list[str] | None = None
    ) -> dict[str, tuple[Programme | None, Programme | None]]:
        """For every matched channel (or those of ``channel_ids``): what is on at ``at`` and what comes next.

        Answers are remembered until they can change (see `stb.guide.nownext`): only channels whose
        programme started or ended since the last question go back to SQLite.
        """
        at = int(at if at is not None else time.time())
        matches = self.matching.matches
        wanted = list(matches) if channel_ids is None else [cid for cid in channel_ids if cid in matches]
        known, missing = self.now_next_cache.split(at, wanted)
        if missing:
            asked = self._ask_now_next(at, missing)
            for lid, answer in asked.items():
                self.now_next_cache.keep(lid, answer)
                known[lid] = answer.pair
        return {lid: known[lid] for lid in wanted}

    def _ask_now_next(self, at: int, channel_ids: list[str]) -> dict[str, Answer[Programme]]:
        """One statement, two index probes per channel: the last start at or before ``at``, the first after it."""
        matches = self.matching.matches
        values = ",".join("(?,?,?)" for _ in channel_ids)
        params = [v for lid in channel_ids for v in (lid, matches[lid].guide_channel, at - matches[lid].shift_s)]
        rows = self.conn.execute(
            f"WITH m(lid, ch, t) AS (VALUES {values}) "
            f"SELECT m.lid, 0, {PREFIXED} FROM m JOIN programmes p ON p.id = "
            "(SELECT id FROM programmes WHERE channel = m.ch AND start <= m.t AND clump = 0 "
            "ORDER BY start DESC LIMIT 1) "
            f"UNION ALL SELECT m.lid, 1, {PREFIXED} FROM m JOIN programmes p ON p.id = "
            "(SELECT id FROM programmes WHERE channel = m.ch AND start > m.t AND clump = 0 ORDER BY start LIMIT 1)",
            params,
        ).fetchall()
        latest: dict[str, Programme] = {}
        upcoming: dict[str, Programme] = {}
        for lid, is_next, *row in rows:
            (upcoming if is_next else latest)[lid] = self._programme(row, lid, matches[lid].shift_s)
        answers = {}
        for lid in channel_ids:
            last, after = latest.get(lid), upcoming.get(lid)
            current = last if last is not None and last.stop > at else None  # else a gap: it already ended
            span = (last.start, last.stop) if last is not None else None
            answers[lid] = answer_for(at, span, current, after, after.start if after is not None else None)
        return answers

    def window(self, channel_ids: list[str], t0: float, t1: float) -> dict[str, list[Programme]]:
        """Programmes of ``channel_ids`` overlapping [t0, t1), in time order: one row of the grid each.

        A slot shared by several programmes (XMLTV clumpidx) shows its first; search finds the others.
        """
        result: dict[str, list[Programme]] = {cid: [] for cid in channel_ids}
        longest = self._longest()
        for cid in channel_ids:
            match = self.matching.matches.get(cid)
            if match is None:
                continue
            a, b = int(t0) - match.shift_s, int(t1) - match.shift_s
            rows = self.conn.execute(
                f"SELECT {FIELDS} FROM programmes WHERE channel = ? AND start < ? AND start > ? AND stop > ? "
                "AND clump = 0 ORDER BY start",
                (match.guide_channel, b, a - longest, a),
            ).fetchall()
            result[cid] = [self._programme(r, cid, match.shift_s) for r in rows]
        return result

    def scheduled(self, channel_ids: list[str], t0: float, t1: float) -> set[str]:
        """Those of ``channel_ids`` with a programme overlapping [t0, t1): one index probe each, nothing read."""
        longest = self._longest()
        found = set()
        for cid in channel_ids:
            match = self.matching.matches.get(cid)
            if match is None:
                continue
            a, b = int(t0) - match.shift_s, int(t1) - match.shift_s
            if self.conn.execute(
                "SELECT 1 FROM programmes WHERE channel = ? AND start < ? AND start > ? AND stop > ? AND clump = 0 "
                "LIMIT 1",
                (match.guide_channel, b, a - longest, a),
            ).fetchone():
                found.add(cid)
        return found

    def _longest(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'longest'").fetchone()
        return int(row[0] if row else 0) + 1

    def programme(self, programme_id: int) -> Programme | None:
        row = self.conn.execute(f"SELECT {FIELDS} FROM programmes WHERE id = ?", (programme_id,)).fetchone()
        if row is None:
            return None
        for lid, shift in self._by_guide.get(row[1], [("", 0)])[:1]:
            return self._programme(row, lid, shift)
        return None

    def search(self, text: str, limit: int = 50, after: float | None = None) -> list[Programme]:
        """Full-text search over titles, sub-titles and descriptions; upcoming first, matched channels only.

        Words are looked up in the word index; text in scripts without spaces (新闻, ニュース, ข่าว)
        anywhere inside words, through the character-pair index (stb.guide.scripts).
        """
        terms, runs = split_query(text)
        if not terms and not runs:
            return []
        # Whole words, and the last one as a prefix (what someone typing a search means). FTS5 walks
        # an exact word's list lazily but merges a prefix's lists first: one prefix keeps it cheap.
        words = " ".join([*(f'"{t}"' for t in terms[:-1]), f'"{terms[-1]}"*']) if terms else ""
        # With spaceless text the pair index drives and the words, if any, filter.
        source = ("programmes_pairs", pair_query(runs), words) if runs else ("programmes_fts", words, "")
        after = int(after if after is not None else time.time())
        shifts = [0, *(m.shift_s for m in self.matching.matches.values())]
        self.conn.execute("BEGIN")  # one snapshot: an import committing meanwhile renumbers seq
        try:
            return self._search(source, runs, limit, after, min(shifts), max(shifts))
        finally:
            self.conn.execute("COMMIT")

    def _search(
        self, source: tuple[str, str, str], runs: list[str], limit: int, after: int, min_shift: int, max_shift: int
    ) -> list[Programme]:
        table, query, words = source
        # In guide time (before tvg-shift) a programme still on at `after` ends after `after - shift`;
        # the largest shift bounds them all, and each channel's own shift is checked below.
        guide_after = after - max_shift
        # Programmes still on then started after `guide_after - longest`: begin at that hour's seq.
        row = self.conn.execute(
            "SELECT min(first_seq) FROM seq_hours WHERE hour >= ?", ((guide_after - self._longest()) // 3600,)
        ).fetchone()
        if row[0] is None:
            return []  # nothing in the guide starts late enough to be on
        also = " AND p.seq IN (SELECT rowid FROM programmes_fts WHERE programmes_fts MATCH ?)" if words else ""
        cursor = self.conn.execute(
            f"SELECT {PREFIXED} FROM {table} f JOIN programmes p ON p.seq = f.rowid "
            f"WHERE {table} MATCH ? AND f.rowid >= ? AND p.stop > ?{also} ORDER BY f.rowid",
            (query, row[0], guide_after, *([words] if words else [])),
        )
        found: list[Programme] = []
        # Rows come in guide start order; shifted, a later row can still start earlier for the
        # viewer, so reading goes on until no row can beat the limit-th start found so far.
        while rows := cursor.fetchmany(limit):
            for row_ in rows:
                if len(found) >= limit and row_[2] + min_shift > sorted(p.start for p in found)[limit - 1]:
                    cursor.close()
                    return sorted(found, key=lambda p: p.start)[:limit]
                if runs and not contains_all(runs, row_[4], row_[5], row_[6]):
                    continue  # its pairs are there, but not side by side
                for lid, shift in self._by_guide.get(row_[1], []):
                    programme = self._programme(row_, lid, shift)
                    if programme.stop > after:
                        found.append(programme)
        cursor.close()
        found.sort(key=lambda p: p.start)
        return found[:limit]
