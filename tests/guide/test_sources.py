"""Guide sources: http(s) URLs from a real loopback server, compression by content, junk refused in one line."""

from __future__ import annotations

import gzip
import lzma
import random
import socket
import sqlite3
import time

import pytest

from stb.guide.sources import USER_AGENT, GuideSourceError, open_guide
from stb.guide.store import import_sources
from tests.guide.xmltv_docs import HOUR, document, programme


def count(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM programmes").fetchone()[0]


def titles(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT title FROM programmes ORDER BY start")]


def day_of(channel: str, now: int, n: int = 24, title: str = "Show") -> bytes:
    progs = [programme(channel, now + i * HOUR, now + (i + 1) * HOUR, f"{title} {i}") for i in range(n)]
    return document({channel: [channel.upper()]}, progs).encode()


def dead_url() -> str:
    """An http URL on a loopback port that nothing listens on: connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/guide.xml"


def assert_one_line(exc: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and message.strip() == message, f"not one line: {message!r}"
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# --- http(s) sources ----------------------------------------------------------------------------


def test_a_plain_guide_over_http_is_read_as_it_is_served(guide_server, now):
    body = day_of("a", now)
    guide_server.files["/guide.xml"] = body
    with open_guide(guide_server.url("/guide.xml")) as stream:
        assert stream.read() == body
        assert stream.raw.compression is None and stream.raw.bytes_read == len(body)
    request = guide_server.requests[-1]
    assert request["path"] == "/guide.xml"
    assert request["user-agent"] == USER_AGENT and request["accept-encoding"] == "identity"


@pytest.mark.parametrize(
    ("path", "pack", "compression"),
    [
        ("/guide.xml", lambda b: b, None),
        ("/guide.xml", gzip.compress, "gzip"),  # gzip behind an .xml name
        ("/epg?format=xmltv", lzma.compress, "xz"),  # no name at all
        ("/guide.xml.gz", lambda b: b, None),  # plain behind a .gz name
    ],
    ids=["plain", "gzip-named-xml", "xz-no-name", "plain-named-gz"],
)
def test_http_guides_are_imported_whatever_their_name_says(tmp_path, guide_server, now, path, pack, compression):
    guide_server.files[path] = pack(day_of("a", now))
    url = guide_server.url(path)
    report = import_sources(tmp_path / "g.db", [url], now=now)
    assert report.sources[0].source == url and report.sources[0].compression == compression
    assert report.programmes == 24 and report.sources[0].bytes == len(day_of("a", now))
    assert count(tmp_path / "g.db") == 24
    with sqlite3.connect(tmp_path / "g.db") as conn:
        assert conn.execute("SELECT DISTINCT source FROM programmes").fetchall() == [(url,)]


def test_a_new_guide_at_the_same_url_replaces_the_old_one(tmp_path, guide_server, now):
    url = guide_server.url("/guide.xml")
    guide_server.files["/guide.xml"] = day_of("a", now, 3, "Old")
    import_sources(tmp_path / "g.db", [url], now=now)
    guide_server.files["/guide.xml"] = gzip.compress(day_of("a", now, 2, "New"))
    import_sources(tmp_path / "g.db", [url], now=now)
    assert titles(tmp_path / "g.db") == ["New 0", "New 1"]


def test_http_404_is_one_line_and_keeps_the_previous_guide(tmp_path, guide_server, now):
    db, url = tmp_path / "g.db", guide_server.url("/guide.xml")
    guide_server.files["/guide.xml"] = day_of("a", now)
    import_sources(db, [url], now=now)
    del guide_server.files["/guide.xml"]  # the provider lost the file
    with pytest.raises(GuideSourceError) as exc:
        import_sources(db, [url], now=now)
    assert_one_line(exc, url, "HTTP 404")
    assert guide_server.requests[-1]["path"] == "/guide.xml"  # it did ask
    assert count(db) == 24


def test_connection_refused_is_one_line_and_rolls_back_every_source(tmp_path, guide_server, now):
    db, url = tmp_path / "g.db", guide_server.url("/guide.xml")
    guide_server.files["/guide.xml"] = day_of("a", now, 24, "Old")
    import_sources(db, [url], now=now)
    guide_server.files["/guide.xml"] = day_of("a", now, 5, "New")
    dead = dead_url()
    started = time.monotonic()
    with pytest.raises(GuideSourceError) as exc:
        import_sources(db, [url, dead], now=now)  # the first source reads fine, the second is down
    assert time.monotonic() - started < 10  # refused at once, not a time-out
    assert_one_line(exc, dead, "cannot fetch", "refused")
    assert titles(db) == [f"Old {i}" for i in range(24)]  # one transaction: the first source's new guide too


def test_an_html_page_served_as_the_guide_keeps_the_previous_guide(tmp_path, guide_server, now):
    """Captive portals and CDNs answer 200 with an HTML page; that must not wipe the guide."""
    db, url = tmp_path / "g.db", guide_server.url("/guide.xml")
    guide_server.files["/guide.xml"] = day_of("a", now)
    import_sources(db, [url], now=now)
    guide_server.files["/guide.xml"] = b"<html><head><title>Login</title></head><body>Sign in first</body></html>"
    with pytest.raises(GuideSourceError) as exc:
        import_sources(db, [url], now=now)
    assert_one_line(exc, url, "not an XMLTV guide")
    assert count(db) == 24


# --- files that are not XML at all --------------------------------------------------------------

junk = random.Random(20260401)
JUNK = {
    "empty": b"",
    "zeros": b"\x00" * 4096,
    "random": bytes(junk.getrandbits(8) for _ in range(64 * 1024)),
    "random-2MB": bytes(junk.getrandbits(8) for _ in range(2 * 1024 * 1024)),  # past the prolog look-ahead
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(junk.getrandbits(8) for _ in range(4096)),
    "gzip-of-random": gzip.compress(bytes(junk.getrandbits(8) for _ in range(64 * 1024))),
    "gzip-magic-then-junk": b"\x1f\x8b" + bytes(junk.getrandbits(8) for _ in range(4096)),
    "xz-magic-then-junk": b"\xfd7zXZ\x00" + bytes(junk.getrandbits(8) for _ in range(4096)),
    "text": b"This is not a guide.\n" * 100,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("content", JUNK.values(), ids=JUNK.keys())
def test_binary_junk_is_a_one_line_error_and_keeps_the_previous_guide(tmp_path, write, now, content):
    db = tmp_path / "g.db"
    path = write("g.xml", day_of("a", now))
    import_sources(db, [path], now=now)
    write("g.xml", content)  # the same source now holds junk
    started = time.monotonic()
    with pytest.raises(GuideSourceError) as exc:
        import_sources(db, [path], now=now)
    assert time.monotonic() - started < 10
    assert_one_line(exc, path)
    assert count(db) == 24


def test_an_empty_tv_element_is_an_xmltv_guide_that_imports_only_when_forced(tmp_path, write, now):
    """The root check refuses what is not XMLTV; an empty guide is XMLTV, refused (store) unless forced."""
    for encoding in ("utf-8", "utf-16"):
        text = f'<?xml version="1.0" encoding="{encoding}"?>\n<tv generator-info-name="x"/>'
        path = write(f"{encoding}.xml", text.encode(encoding))
        with pytest.raises(GuideSourceError, match="no programmes in it"):
            import_sources(tmp_path / "g.db", [path], now=now)
        report = import_sources(tmp_path / "g.db", [path], now=now, force=True)
        assert report.programmes == 0 and report.sources[0].channels == 0
