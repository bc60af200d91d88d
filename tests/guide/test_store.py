"""The store's schema life cycle: a guide written by another schema version is dropped, not misread."""

from __future__ import annotations

import sqlite3

from stb.guide import store
from stb.guide.store import import_sources
from tests.guide.xmltv_docs import HOUR, document, programme


def test_a_guide_of_another_schema_version_is_dropped_and_imported_again(tmp_path, write, now):
    db = tmp_path / "g.db"
    with sqlite3.connect(db) as old:  # what an older box left behind: other columns, another version
        old.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
            "INSERT INTO meta VALUES ('schema_version', '1'), ('imported_at', '123');"
            "CREATE TABLE programmes (id INTEGER PRIMARY KEY, channel TEXT, start INT);"
        )
    store.connect(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(store.SCHEMA_VERSION),
        )
        assert conn.execute("SELECT value FROM meta WHERE key = 'imported_at'").fetchone() is None  # so: stale
    path = write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR, "News")]))
    assert import_sources(db, [path], now=now).programmes == 1


def test_a_current_guide_survives_reconnecting(tmp_path, write, now):
    db = tmp_path / "g.db"
    path = write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR, "News")]))
    import_sources(db, [path], now=now)
    store.connect(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title FROM programmes").fetchall() == [("News",)]
