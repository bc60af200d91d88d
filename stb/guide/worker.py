"""A parse worker of `stb.guide.parallel`: reads chunks on stdin, writes their rows (and its peak RSS)
on stdout, each message a length and a marshal of plain tuples (marshal is several times as fast as
pickle for them, and both ends are the same interpreter).

The rows go as a serialized in-memory SQLite database (`row_table`): the worker pays for binding
each row's twenty values, on its own core, and the importer copies a whole chunk into its stage in
one statement, in C. (Sent as tuples, the importer spent ~5 µs a programme unmarshalling and
inserting them, more than the rest of its reading, while both workers waited for it.) The worker
also makes the character pairs of text without spaces for the search index (`stb.guide.scripts`),
Python work of ~70 µs for a programme with a Chinese description, which the importer did alone.

Run as `python -m stb.guide.worker` by the importer only; it ends when its input does.
"""

from __future__ import annotations

import marshal
import resource
import sqlite3
import sys
from typing import IO, Any

from stb.guide.scripts import pairs
from stb.guide.xmltv import PROGRAMME_COLUMNS, chunk_items

SPACELESS = PROGRAMME_COLUMNS.index("spaceless")
TEXTS = tuple(PROGRAMME_COLUMNS.index(c) for c in ("title", "sub_title", "description"))

LENGTH = 8  # bytes of a message's length, big-endian


def send(sink: IO[bytes], message: Any) -> None:
    data = marshal.dumps(message)
    sink.write(len(data).to_bytes(LENGTH, "big"))
    sink.write(data)
    sink.flush()


def receive(source: IO[bytes]) -> Any:
    """The next message; EOFError when the other end has closed (or died mid-message)."""
    head = source.read(LENGTH)
    if len(head) < LENGTH:
        raise EOFError
    data = source.read(int.from_bytes(head, "big"))
    if len(data) < int.from_bytes(head, "big"):
        raise EOFError
    return marshal.loads(data)


def row_table(rows: list[tuple]) -> bytes:
    """The rows (in PROGRAMME_COLUMNS order) as the bytes of a SQLite database, for
    `sqlite3.Connection.deserialize`: table `rows` in their order (rowid 1, 2, …), and table `pairs`
    with the pair-index text of those with text in scripts without spaces (n: the row's rowid)."""
    columns = ", ".join(PROGRAMME_COLUMNS)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE rows ({columns})")
        conn.execute("CREATE TABLE pairs (n INTEGER PRIMARY KEY, pairs TEXT NOT NULL)")
        conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' for _ in PROGRAMME_COLUMNS)})", rows)
        conn.executemany(
            "INSERT INTO pairs VALUES (?, ?)",
            ((n, pairs(*(row[i] for i in TEXTS))) for n, row in enumerate(rows, 1) if row[SPACELESS]),
        )
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            header, body, last, zone = receive(source)
        except EOFError:
            return
        result = chunk_items(header, body, last, zone)
        plain: Any = None
        if result is not None:  # GuideChannel as a tuple: marshal takes only plain types
            (channels, rows), counts = result
            plain = ([(c.id, c.names, c.icon) for c in channels], row_table(rows)), counts
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the importer reports its workers' memory
        send(sink, (plain, peak_kb))


if __name__ == "__main__":
    main()
