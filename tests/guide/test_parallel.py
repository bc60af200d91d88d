"""The guide parsed in worker processes gives exactly what the serial parser gives, or the serial parser runs.

Chunks are made small (a few KB) so that ordinary test documents are cut many times and go through real
worker processes; each import is compared, row for row, with the same import done serially.
"""

from __future__ import annotations

import sqlite3

import pytest

from stb.guide import parallel, store
from stb.guide.parallel import Fallback, header_of
from stb.guide.sources import GuideSourceError
from stb.guide.store import import_sources
from tests.guide.xmltv_docs import HOUR, document, programme

EXTRA = (
    '<sub-title lang="en">Part &amp; parcel</sub-title><desc>Line one\nline two &#233;t&#xE9; <![CDATA[<raw>]]></desc>'
    "<credits><director>Ann Lee</director><actor>Bo\tKay</actor></credits><date>2001</date>"
    "<category>Drama</category><category>  </category><category>Crime</category>"
    '<episode-num system="xmltv_ns">1.2.0/1</episode-num><episode-num>S02E03</episode-num>'
    '<icon src="http://i.test/a.png"/><rating system="VCHIP"><value>TV-PG</value></rating>'
    "<star-rating><value>3/5</value></star-rating><new/><previously-shown/><!-- a comment -->"
)


def rich_guide(now: int, channels: int = 6, hours: int = 60) -> list[str]:
    """Programmes with every field, duplicates, overlaps, a missing stop, clumps and bad rows."""
    out = []
    for c in range(channels):
        for h in range(hours):
            start = now + h * HOUR
            stop = None if h == hours - 1 else start + HOUR + (600 if h % 7 == 0 else 0)  # overlaps
            title = f"新闻联播 {c}.{h}" if h % 5 == 0 else f"Show {c}.{h} &lt;x&gt;"  # the pair index too
            out.append(programme(f" c{c} ", start, stop, title, EXTRA))
            if h % 11 == 0:
                out.append(programme(f"c{c}", start, start + HOUR, "Duplicate"))
            if h % 13 == 0:
                out.append(programme(f"c{c}", start, start + HOUR, "", ""))  # no title: skipped
                out.append(programme(f"c{c}", start, start + HOUR, "Bad", "").replace('start="', 'start="x'))
    out.append(
        f'<programme start="{_t(now + 500 * HOUR)}" stop="{_t(now + 501 * HOUR)}" channel="c0" clumpidx="0/2">'
        "<title>First</title></programme>"
        f'<programme start="{_t(now + 500 * HOUR)}" stop="{_t(now + 501 * HOUR)}" channel="c0" clumpidx="1/2">'
        "<title>Second</title></programme>"
    )
    return out


def _t(seconds: int) -> str:
    from tests.guide.xmltv_docs import xmltv_time

    return xmltv_time(seconds)


@pytest.fixture
def small_chunks(monkeypatch):
    """4 KB chunks, and a count of the chunks the workers were given."""
    monkeypatch.setattr(parallel, "CHUNK", 4096)
    monkeypatch.setattr(parallel, "SMALL", 8192)
    sent: list[int] = []
    submit = parallel.Workers.submit

    def counting(self, header, body, last, zone):
        sent.append(len(body))
        return submit(self, header, body, last, zone)

    monkeypatch.setattr(parallel.Workers, "submit", counting)
    return sent


def serially(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise Fallback
        yield  # a generator, as parse_chunked is

    monkeypatch.setattr(store, "parse_chunked", refuse)


def spy_on_reads(monkeypatch) -> list[bool]:
    """Whether each read of a source was by chunks (True) or serial (False), in order."""
    reads: list[bool] = []
    read_source = store._read_source

    def spy(conn, source, zone, chunked):
        reads.append(chunked)
        return read_source(conn, source, zone, chunked)

    monkeypatch.setattr(store, "_read_source", spy)
    return reads


def contents(db) -> tuple[list, list, list]:
    with sqlite3.connect(db) as conn:
        programmes = conn.execute("SELECT * FROM programmes ORDER BY id").fetchall()
        channels = conn.execute("SELECT * FROM channels ORDER BY id, source").fetchall()
        found = conn.execute("SELECT rowid FROM programmes_fts WHERE programmes_fts MATCH 'parcel'").fetchall()
        found += conn.execute("SELECT rowid FROM programmes_pairs WHERE programmes_pairs MATCH '闻联'").fetchall()
    return programmes, channels, found


def both_ways(tmp_path, monkeypatch, sources: list[str], now: int, **kwargs) -> tuple:
    parallel_db, serial_db = tmp_path / "parallel.db", tmp_path / "serial.db"
    got = import_sources(parallel_db, sources, now=now, **kwargs).as_dict()
    with monkeypatch.context() as m:
        serially(m)
        want = import_sources(serial_db, sources, now=now, **kwargs).as_dict()
    for report in (got, want):  # how long, and how much memory the workers took, may differ
        report["seconds"], report["phases"] = 0, {}
        for source in report["sources"]:
            source["worker_rss_mb"] = 0
    return got, want, contents(parallel_db), contents(serial_db)


def test_chunks_in_workers_give_the_serial_guide_row_for_row(tmp_path, monkeypatch, write, now, small_chunks):
    channels = {f"c{c}": [f"Channel {c}", f"{c}"] for c in range(6)}
    path = write("g.xml", document(channels, rich_guide(now), doctype='<!DOCTYPE tv SYSTEM "xmltv.dtd">'))
    got, want, got_rows, want_rows = both_ways(tmp_path, monkeypatch, [path], now)
    assert len(small_chunks) > 20  # the workers really parsed it, in many pieces
    assert import_sources(tmp_path / "again.db", [path], now=now).sources[0].worker_rss_mb > 0
    assert got == want
    assert got_rows == want_rows
    report = got["sources"][0]
    assert report["clumped"] == 1 and report["skipped"] == {"bad time": 30, "no title": 30}
    assert got["duplicates_removed"] > 0 and got["overlaps_fixed"] > 0 and got["stops_guessed"] > 0
    assert got_rows[2]  # the full-text index answers too
    assert sum(row[6].startswith("新闻联播") for row in got_rows[0]) == 6 * 12  # every fifth hour of each channel
    with sqlite3.connect(tmp_path / "parallel.db") as conn:
        assert conn.execute("SELECT count(*) FROM programmes_pairs WHERE programmes_pairs MATCH '闻联'").fetchone() == (
            6 * 12,
        )


def test_pairs_of_a_source_not_read_again_are_made_from_the_previous_guide(tmp_path, write, now, small_chunks):
    """The workers make the pair-index text of what they parse; another source's programmes, kept
    from the previous guide, get theirs in the importer."""
    a = write("a.xml", document({"a": ["A"]}, [programme("a", now + h * HOUR, None, f"新闻 {h}") for h in range(300)]))
    b = write("b.xml", document({"b": ["B"]}, [programme("b", now + h * HOUR, None, f"联播 {h}") for h in range(300)]))
    db = tmp_path / "g.db"
    import_sources(db, [a, b], now=now)
    import_sources(db, [b], now=now)  # a's programmes come from the previous guide
    with sqlite3.connect(db) as conn:
        for text in ("新闻", "联播"):
            found = conn.execute("SELECT count(*) FROM programmes_pairs WHERE programmes_pairs MATCH ?", (text,))
            assert found.fetchone() == (300,), text


def test_two_sources_keep_their_order_and_the_first_read_wins(tmp_path, monkeypatch, write, now, small_chunks):
    a = write("a.xml", document({"c0": ["A"]}, [programme("c0", now + h * HOUR, None, f"A{h}") for h in range(400)]))
    b = write("b.xml", document({"c0": ["B"]}, [programme("c0", now + h * HOUR, None, f"B{h}") for h in range(400)]))
    got, want, got_rows, want_rows = both_ways(tmp_path, monkeypatch, [a, b], now)
    assert got == want and got_rows == want_rows
    assert {r[6] for r in got_rows[0]} == {f"A{h}" for h in range(400)}  # every B a duplicate of an A
    assert [s["kept"] for s in got["sources"]] == [400, 0]


FILLER = "x" * 20000  # longer than a few chunks: the last `</programme>` of some chunk is the trap's


@pytest.mark.parametrize(
    "trap",
    [
        f"<!-- a comment holding </programme> across a cut {FILLER} -->",
        f"<![CDATA[ </programme> {FILLER} ]]>",
        '<channel id="late"><programme start="20240101000000" channel="x"><title>In</title></programme></channel>',
    ],
)
def test_what_chunks_cannot_read_is_read_serially(tmp_path, monkeypatch, write, now, small_chunks, trap):
    body = [programme("c0", now + h * HOUR, now + (h + 1) * HOUR, f"S{h}") for h in range(100)]
    body.insert(50, f"<desc>{trap}</desc>" if "CDATA" in trap else trap)
    path = write("g.xml", document({"c0": ["A"]}, body))
    reads = spy_on_reads(monkeypatch)
    got, want, got_rows, want_rows = both_ways(tmp_path, monkeypatch, [path], now)
    assert reads[:2] == [True, False], reads  # the chunks gave up, the serial parser read it
    assert got == want and got_rows == want_rows


def test_broken_xml_late_in_a_large_guide_is_the_serial_parsers_error(tmp_path, write, now, small_chunks):
    body = [programme("c0", now + h * HOUR, now + (h + 1) * HOUR, f"S{h}") + "\n" for h in range(300)]
    body[250] = body[250].replace("</title>", "</titel>")
    path = write("g.xml", document({"c0": ["A"]}, body))
    with pytest.raises(GuideSourceError, match=r"broken XML at line 251: .*titel"):
        import_sources(tmp_path / "g.db", [path], now=now)
    assert small_chunks  # the workers were asked first


def test_only_an_ascii_compatible_tv_root_is_cut():
    assert header_of(b'<?xml version="1.0"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv generator="x">') is not None
    assert header_of('<?xml version="1.0" encoding="UTF-16"?><tv>'.encode("utf-16")) is None
    assert header_of(b'<?xml version="1.0" encoding="Shift_JIS"?><tv>') is None
    assert header_of(b"<!-- <tv> --><tv>") is None  # the first <tv is in a comment: not cut
    assert header_of(b"<guide><tv>") is None
    assert header_of(b'<tv xmlns="urn:x">') is None  # its programmes are {urn:x}programme: serial, as ever


def test_a_worker_that_dies_leaves_the_import_to_the_serial_parser(tmp_path, monkeypatch, write, now, small_chunks):
    body = [programme("c0", now + h * HOUR, now + (h + 1) * HOUR, f"S{h}") for h in range(200)]
    path = write("g.xml", document({"c0": ["A"]}, body))
    submit = parallel.Workers.submit  # already counting (small_chunks)

    def kill_at_the_third(self, header, body, last, zone):
        if len(small_chunks) == 2:
            self._processes[0].kill()  # what the OOM killer does
        return submit(self, header, body, last, zone)

    monkeypatch.setattr(parallel.Workers, "submit", kill_at_the_third)
    reads = spy_on_reads(monkeypatch)
    got, want, got_rows, want_rows = both_ways(tmp_path, monkeypatch, [path], now)
    assert len(small_chunks) >= 3 and reads[:2] == [True, False]  # the workers' part given up, read serially
    assert got == want and got_rows == want_rows
    assert len(got_rows[0]) == 200


def test_a_stage_left_by_a_dead_importer_is_removed(tmp_path, write, now):
    db = tmp_path / "g.db"
    dead = tmp_path / "g.db-import-999999999-1"  # no such process
    dead.write_bytes(b"left by kill -9")
    import_sources(db, [write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR)]))], now=now)
    assert not dead.exists()
    assert not any(p.name.startswith("g.db-import") for p in tmp_path.iterdir())  # nor this import's own
