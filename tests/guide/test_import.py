"""Import into SQLite: compression, timeline repair, hostile files, atomic refresh."""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import sqlite3
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stb.guide.sources import GuideSourceError
from stb.guide.store import import_sources
from tests.guide.xmltv_docs import HOUR, document, programme


def count(db, sql="SELECT count(*) FROM programmes"):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def day_of(channel, now, n=24):
    return [programme(channel, now + i * HOUR, now + (i + 1) * HOUR, f"Show {i}") for i in range(n)]


@pytest.mark.parametrize(
    ("name", "pack"),
    [("g.xml", lambda b: b), ("g.xml.gz", gzip.compress), ("g.xz", lzma.compress), ("g.bz2", bz2.compress),
     ("misnamed.xml", gzip.compress), ("misnamed.gz", lambda b: b)],
)  # fmt: skip
def test_compression_is_detected_by_content(tmp_path, write, now, name, pack):
    path = write(name, pack(document({"a": ["A"]}, day_of("a", now)).encode()))
    report = import_sources(tmp_path / "g.db", [path], now=now)
    assert report.programmes == 24
    assert count(tmp_path / "g.db") == 24


def test_missing_stop_overlap_and_duplicate_are_repaired_and_counted(tmp_path, write, now):
    progs = [
        programme("a", now, None, "No stop"),  # stop = next start
        programme("a", now + HOUR, now + 3 * HOUR, "Too long"),  # overlaps the next: trimmed
        programme("a", now + 2 * HOUR, now + 3 * HOUR, "Next"),
        programme("a", now + 2 * HOUR, now + 3 * HOUR, "Duplicate start"),  # same start: dropped
        programme("a", now + 4 * HOUR, now + 5 * HOUR, "After a gap"),
        programme("a", now + 6 * HOUR, None, "Last without stop"),
    ]
    report = import_sources(tmp_path / "g.db", [write("g.xml", document({"a": ["A"]}, progs))], now=now)
    assert (report.stops_guessed, report.overlaps_fixed, report.duplicates_removed) == (2, 1, 1)
    assert report.gaps == 2
    with sqlite3.connect(tmp_path / "g.db") as conn:
        rows = conn.execute("SELECT title, start, stop FROM programmes ORDER BY start").fetchall()
    assert [r[0] for r in rows] == ["No stop", "Too long", "Next", "After a gap", "Last without stop"]
    assert rows[0][2] == now + HOUR and rows[1][2] == now + 2 * HOUR


def test_absurd_values_are_skipped_or_bounded_with_counts(tmp_path, write, now):
    progs = [
        programme("a", now, now + HOUR, "Good"),
        '<programme start="99991231000000 +0000" stop="99991231010000 +0000" channel="a"><title>Y</title></programme>',
        programme("a", now + 2 * HOUR, now + HOUR, "Stop before start"),
        programme("a", now + 3 * HOUR, now + 400 * HOUR, "Ten weeks"),
        f'<programme start="x" channel="a"><title>{"t" * 10}</title></programme>',
        programme("a", now + 5 * HOUR, now + 6 * HOUR, "", ""),
        programme("a", now + 6 * HOUR, now + 7 * HOUR, "Huge", f"<desc>{'d' * 5_000_000}</desc>"),
    ]
    report = import_sources(tmp_path / "g.db", [write("g.xml", document({"a": ["A"]}, progs))], now=now)
    source = report.sources[0]
    assert source.programmes == 2
    assert source.skipped == {"bad time": 2, "stop not after start, or longer than 2 days": 2, "no title": 1}
    assert source.truncated == 1
    assert count(tmp_path / "g.db", "SELECT max(length(description)) FROM programmes") == 16 * 1024


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE tv [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(10))
    + ']><tv><programme start="20260101000000 +0000" channel="a"><title>&lol9;</title></programme></tv>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE tv [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<tv><programme start="20260101000000 +0000" channel="a"><title>&xxe;</title></programme></tv>'
)


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_attacks_are_refused_fast_and_keep_the_old_guide(tmp_path, write, now, content):
    db = tmp_path / "g.db"
    good = write("good.xml", document({"a": ["A"]}, day_of("a", now)))
    import_sources(db, [good], now=now)
    started = time.monotonic()
    with pytest.raises(GuideSourceError, match="declares XML entities"):
        import_sources(db, [write("bad.xml", content)], now=now)
    assert time.monotonic() - started < 1.0
    assert count(db) == 24


def test_doctype_without_entities_is_fine(tmp_path, write, now):
    doc = document({"a": ["A"]}, day_of("a", now, 2), doctype='<!DOCTYPE tv SYSTEM "xmltv.dtd">')
    assert import_sources(tmp_path / "g.db", [write("g.xml", doc)], now=now).programmes == 2


def test_truncated_gzip_and_broken_xml_leave_the_previous_guide(tmp_path, write, now):
    db = tmp_path / "g.db"
    full = document({"a": ["A"]}, day_of("a", now)).encode()
    import_sources(db, [write("good.xml", full)], now=now)
    with pytest.raises(GuideSourceError, match="broken or truncated"):
        import_sources(db, [write("good.xml", gzip.compress(full)[:-200])], now=now)
    assert count(db) == 24
    broken = full.replace(b"</title>", b"</titel>", 1).replace(b"><programme", b">\n<programme")
    with pytest.raises(GuideSourceError, match=r"broken XML at line 2"):
        import_sources(db, [write("good.xml", broken)], now=now)
    assert count(db) == 24


def test_readers_see_the_old_or_the_new_guide_never_half(tmp_path, write, now):
    db = tmp_path / "g.db"
    old = write("old.xml", document({"a": ["A"]}, day_of("a", now, 10)))
    new = write("new.xml", document({"b": ["B"]}, day_of("b", now, 2000)))
    import_sources(db, [old], now=now)
    seen: set[int] = set()
    stop = threading.Event()

    def reader():
        conn = sqlite3.connect(db)
        while not stop.is_set():
            seen.add(conn.execute("SELECT count(*) FROM programmes WHERE source = ?", (old,)).fetchone()[0])
            seen.add(-conn.execute("SELECT count(*) FROM programmes WHERE source = ?", (new,)).fetchone()[0])
        conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        import_sources(db, [new], now=now)  # a second source: the first stays
        import_sources(db, [old], now=now)  # re-import replaces in place
    finally:
        stop.set()
        thread.join()
    assert seen <= {10, 0, -2000}


def test_old_programmes_are_pruned(tmp_path, write, now):
    progs = [programme("a", now - 10 * 86400, now - 10 * 86400 + HOUR, "Old"), *day_of("a", now, 2)]
    report = import_sources(tmp_path / "g.db", [write("g.xml", document({"a": ["A"]}, progs))], now=now)
    assert report.pruned == 1 and count(tmp_path / "g.db") == 2


def test_missing_file_and_bad_scheme_are_one_line_errors(tmp_path):
    with pytest.raises(GuideSourceError, match="cannot read"):
        import_sources(tmp_path / "g.db", [str(tmp_path / "nope.xml")])
    with pytest.raises(GuideSourceError, match="only files and http"):
        import_sources(tmp_path / "g.db", ["ftp://x/y.xml"])


slots = st.lists(st.tuples(st.integers(0, 48), st.integers(1, 8), st.sampled_from(["a", "b"])), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slots)
def test_programmes_of_a_channel_never_overlap_after_import(tmp_path_factory, slots):
    base = 1_800_000_000
    progs = [programme(ch, base + s * 900, base + (s + n) * 900, f"P{i}") for i, (s, n, ch) in enumerate(slots)]
    directory = tmp_path_factory.mktemp("prop")
    path = directory / "g.xml"
    path.write_text(document({"a": ["A"], "b": ["B"]}, progs))
    import_sources(directory / "g.db", [str(path)], now=base, force=True)  # forced: the list may be empty
    with sqlite3.connect(directory / "g.db") as conn:
        for channel in ("a", "b"):
            rows = conn.execute("SELECT start, stop FROM programmes WHERE channel = ? ORDER BY start", (channel,))
            rows = rows.fetchall()
            assert all(start < stop for start, stop in rows)
            assert all(a_stop <= b_start for (_, a_stop), (b_start, _) in itertools.pairwise(rows))


# --- ~10 MB text nodes and attributes: cut with a count, or refused in one line; never a hang --------

LIBXML2_CAP = 10_000_000  # libxml2's limit for one text node or attribute without XML_PARSE_HUGE
HUGE_SIZES = [pytest.param(LIBXML2_CAP - 1000, id="just-under-10MB"), pytest.param(10 * 1024**2, id="10MiB")]


def import_hostile(tmp_path, write, now, hostile_doc: str):
    """Import a good guide, then ``hostile_doc`` at the same path: (report or None, error or None, seconds)."""
    db = tmp_path / "g.db"
    path = write("g.xml", document({"a": ["A"]}, day_of("a", now)))
    import_sources(db, [path], now=now)
    write("g.xml", hostile_doc)
    started = time.monotonic()
    try:
        return import_sources(db, [path], now=now), None, time.monotonic() - started
    except GuideSourceError as exc:
        return None, str(exc), time.monotonic() - started


def assert_refused_cleanly(tmp_path, error: str) -> None:
    assert "\n" not in error, f"not one line: {error!r}"
    assert "g.xml" in error
    assert count(tmp_path / "g.db") == 24  # the previous guide is intact
    assert count(tmp_path / "g.db", "SELECT min(title) FROM programmes") == "Show 0"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", HUGE_SIZES)
def test_a_10mb_description_is_cut_with_a_count_or_refused(tmp_path, write, now, size):
    progs = [programme("a", now, now + HOUR, "Huge", f"<desc>{'d' * size}</desc>"), *day_of("a", now + HOUR, 3)]
    report, error, seconds = import_hostile(tmp_path, write, now, document({"a": ["A"]}, progs))
    assert seconds < 10
    if error is not None:
        assert_refused_cleanly(tmp_path, error)
        return
    assert report.programmes == 4 and report.sources[0].truncated == 1
    assert count(tmp_path / "g.db", "SELECT max(length(description)) FROM programmes") == 16 * 1024


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("size", "where"),
    [
        pytest.param(LIBXML2_CAP - 1000, "programme", id="icon-just-under-10MB"),
        pytest.param(LIBXML2_CAP - 1000, "channel", id="channel-icon-just-under-10MB"),
        pytest.param(10 * 1024**2, "programme", id="icon-10MiB"),
    ],
)  # fmt: skip
def test_a_10mb_attribute_is_cut_with_a_count_or_refused(tmp_path, write, now, size, where):
    huge_icon = f'<icon src="http://logo.test/{"i" * size}.png"/>'
    progs = day_of("a", now + HOUR, 3)
    doc = document({"a": ["A"]}, progs)
    if where == "programme":
        doc = document({"a": ["A"]}, [programme("a", now, now + HOUR, "Huge", huge_icon), *progs])
    else:
        doc = doc.replace("</display-name></channel>", f"</display-name>{huge_icon}</channel>")
    report, error, seconds = import_hostile(tmp_path, write, now, doc)
    assert seconds < 10
    if error is not None:
        assert_refused_cleanly(tmp_path, error)
        return
    assert report.sources[0].truncated >= 1  # said, not silent
    table = "programmes" if where == "programme" else "channels"
    assert count(tmp_path / "g.db", f"SELECT max(length(icon)) FROM {table}") <= 16 * 1024


@pytest.mark.timeout(120)
def test_a_10mb_display_name_is_cut_with_a_count_or_refused(tmp_path, write, now):
    doc = document({"a": ["x" * (LIBXML2_CAP - 1000)]}, day_of("a", now, 3))
    report, error, seconds = import_hostile(tmp_path, write, now, doc)
    assert seconds < 10
    if error is not None:
        assert_refused_cleanly(tmp_path, error)
        return
    assert report.sources[0].truncated >= 1
    assert count(tmp_path / "g.db", "SELECT max(length(names)) FROM channels") <= 16 * 1024


def test_a_stopless_duplicate_keeps_a_real_length(tmp_path, write, now):
    progs = [programme("a", now, None, "First copy"), programme("a", now, now + HOUR, "Second copy"),
             programme("a", now + 2 * HOUR, now + 3 * HOUR, "Later")]  # fmt: skip
    report = import_sources(tmp_path / "g.db", [write("g.xml", document({"a": ["A"]}, progs))], now=now)
    assert report.duplicates_removed == 1 and report.stops_guessed == 1
    kept = "SELECT stop - start FROM programmes WHERE title = 'First copy'"
    assert count(tmp_path / "g.db", kept) == 2 * HOUR  # up to the next programme, not zero
