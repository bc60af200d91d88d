"""XMLTV guides that attack the parser or are simply broken, each imported with `stb guide import`
over a good guide from the same source: the import is refused with a one-line message, and the
previous guide still answers queries (``lost`` counts its programmes that vanished).

A full disk during an import is here too (area "faults"): the guide lives on a tiny tmpfs.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from stb.reliability.harness import Case, Cli, Outcome, refused, run_cli, small_disk

AREA = "XMLTV"
GOOD_CHANNELS, GOOD_DAYS = 3, 2  # 150 programmes: enough to notice one missing, quick to import


def _good_guide(path: Path) -> int:
    from stb.bench.synthetic import write_guide

    return write_guide(path, GOOD_CHANNELS, GOOD_DAYS)


def _import(db: Path, source: Path | str) -> Cli:
    """`stb guide import SOURCE` into ``db``, as a user types it (no line-up next to it)."""
    return run_cli(["guide", "import", str(source), "--db", str(db), "--lineup", str(db.parent / "none.json")])


def _guide_left(db: Path) -> tuple[int, str]:
    """(programmes the store still answers with, integrity verdict): what a failed import may not touch."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            count = conn.execute("SELECT count(*) FROM programmes").fetchone()[0]
            found = conn.execute("SELECT count(*) FROM programmes_fts WHERE programmes_fts MATCH 'news'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return 0, f"unreadable: {exc}"
    return (count if found[0] else 0), verdict


def _over_a_good_guide(work: Path, db: Path, replace: Callable[[Path], None], judge: Callable) -> Outcome:
    """Import a good guide, overwrite the same source with ``replace``, import again and judge it."""
    source = work / "guide.xml"
    _good_guide(source)
    first = _import(db, source)
    if first.code != 0:
        return Outcome(False, f"the good guide did not import: {(first.err or first.out).strip()[-200:]}")
    before, _ = _guide_left(db)
    replace(source)
    outcome = judge(_import(db, source))
    after, verdict = _guide_left(db)
    lost = max(before - after, 0) + (verdict != "ok")
    saw = outcome.saw if not lost else f"{outcome.saw}; {before - after} programmes gone, integrity: {verdict}"
    return Outcome(outcome.ok, saw, lost)


def _refused_case(name: str, write_bad: Callable[[Path], None], *words: str) -> Case:
    def check(work: Path) -> Outcome:
        return _over_a_good_guide(work, work / "guide.sqlite3", write_bad, lambda cli: refused(cli, *words))

    expect = f"`stb guide import` exits 1 naming {', '.join(words)}; the previous guide answers as before"
    return Case(AREA, name, expect, check, seconds=60)


# -- hostile documents -----------------------------------------------------------------------------------
def _billion_laughs(path: Path) -> None:
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE tv [{entities}]><tv><programme><title>&l9;</title>'
                    "</programme></tv>")  # fmt: skip


def _truncated_gzip(path: Path) -> None:
    packed = gzip.compress(path.read_bytes())
    path.write_bytes(packed[: len(packed) // 2])


def _invalid_dates(path: Path) -> None:
    """Every programme's start broken in its own way (month 13, words, a year 99999)."""
    text, n = path.read_text(), 0
    bad = ("2026134525610 +0000", "yesterday", "99999999999999 +9999", "")
    while 'start="2' in text:
        text = text.replace('start="2', f'start="{bad[n % len(bad)]}X', 1)
        n += 1
    path.write_text(text)


def _giant_title(path: Path, megabytes: int = 50) -> None:
    with path.open("w") as out:
        out.write('<?xml version="1.0"?><tv><programme start="20260101000000 +0000" stop="20260101010000 +0000" '
                  'channel="ch0.bench"><title>')  # fmt: skip
        chunk = "x" * (1024 * 1024)
        for _ in range(megabytes):
            out.write(chunk)
        out.write("</title></programme></tv>\n")


def _empty(path: Path) -> None:
    path.write_text("<tv></tv>\n")  # what a failed grabber writes


def _a_twentieth(path: Path) -> None:
    """The same guide with only every twentieth programme left: a grabber that half failed."""
    lines = path.read_text().splitlines()
    programmes = [line for line in lines if line.startswith("<programme")]
    rest = [line for line in lines if not line.startswith("<programme") and line.strip() != "</tv>"]
    path.write_text("\n".join([*rest, *programmes[::20], "</tv>"]) + "\n")


def _not_xml(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def _wrong_root(path: Path) -> None:
    path.write_text("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n")


# -- the network must stay untouched --------------------------------------------------------------------
@contextlib.contextmanager
def _listening() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request: the parser must never call it."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'<!ENTITY stolen "gotcha">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="xmltv-trap", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def _external_entity_case() -> Case:
    def check(work: Path) -> Outcome:
        with _listening() as (url, asked):
            doc = (f'<?xml version="1.0"?><!DOCTYPE tv [<!ENTITY ext SYSTEM "{url}/secret">]>'
                   "<tv><programme><title>&ext;</title></programme></tv>")  # fmt: skip
            outcome = _over_a_good_guide(work, work / "guide.sqlite3", lambda p: p.write_text(doc),
                                         lambda cli: refused(cli, "entities"))  # fmt: skip
        if asked:
            return Outcome(False, f"the parser fetched {asked} from the network; {outcome.saw}", outcome.lost)
        return Outcome(outcome.ok, f"{outcome.saw}; the trap server got no request", outcome.lost)

    return Case(AREA, "external entity", "refused naming the entities; nothing fetched; old guide kept", check)


def _dtd_fetch_case() -> Case:
    """A DOCTYPE naming a DTD by URL is normal XMLTV: the guide imports, and the DTD is never fetched."""

    def check(work: Path) -> Outcome:
        def with_remote_dtd(path: Path) -> None:
            text = path.read_text().replace('SYSTEM "xmltv.dtd"', f'SYSTEM "{url}/xmltv.dtd"')
            path.write_text(text.replace("Episode", "Remote episode"))

        def judge(cli: Cli) -> Outcome:
            ok = cli.code == 0 and "Traceback" not in cli.err
            return Outcome(ok, f"exit {cli.code}: {(cli.out or cli.err).strip().splitlines()[-1:]}")

        with _listening() as (url, asked):
            outcome = _over_a_good_guide(work, work / "guide.sqlite3", with_remote_dtd, judge)
        if asked:
            return Outcome(False, f"the parser fetched {asked}; {outcome.saw}", outcome.lost)
        return Outcome(outcome.ok, f"{outcome.saw}; the DTD server got no request", outcome.lost)

    return Case(AREA, "DTD by URL", "imports; the DTD server gets no request", check)


# -- a full disk ----------------------------------------------------------------------------------------
def _disk_full_case() -> Case:
    def check(work: Path) -> Outcome:
        from stb.bench.synthetic import write_guide

        with small_disk(work / "small-disk", "3m") as disk:
            return _over_a_good_guide(work, disk / "guide.sqlite3", lambda p: write_guide(p, 200, 3),
                                      lambda cli: refused(cli, "disk"))  # fmt: skip

    expect = "`stb guide import` exits 1 saying the disk is full; the previous guide answers as before"
    return Case("faults", "disk full during guide import", expect, check, needs_root=True, seconds=90)


CASES = [
    _refused_case("billion laughs", _billion_laughs, "entities"),
    _external_entity_case(),
    _dtd_fetch_case(),
    _refused_case("truncated gzip", _truncated_gzip, "gzip", "truncated"),
    _refused_case("invalid dates", _invalid_dates, "bad time"),
    _refused_case("50 MB title", _giant_title, "line"),
    _refused_case("empty guide", _empty, "no programmes in it", "previous guide is kept"),
    _refused_case("a twentieth of the guide", _a_twentieth, "under 10%", "previous guide is kept"),
    _refused_case("not XML", _not_xml, "not an XMLTV guide"),
    _refused_case("wrong root", _wrong_root, "no <tv> element"),
    _disk_full_case(),
]
