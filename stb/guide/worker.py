"""A parse worker of `stb.guide.parallel`: reads chunks on stdin, writes their rows (and its peak RSS)
on stdout, each message a length and a marshal of plain tuples (marshal is several times as fast as
pickle for them, and both ends are the same interpreter).

The rows go as a serialized in-memory SQLite database (`row_table`): the worker pays for binding
each row's twenty values, on its own core, and the importer copies a whole chunk into its stage in
one statement, in C. (Sent as tuples, the importer spent ~5 µs a programme unmarshalling and
inserting them, more than the rest of its reading, while both workers waited for it.)

Run as `python -m stb.guide.worker` by the importer only; it ends when its input does.
"""

from __future__ import annotations

import marshal
import resource
import sqlite3
import sys
from typing import IO, Any

from stb.guide.xmltv import PROGRAMME_COLUMNS, chunk_items

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
    """The rows (in PROGRAMME_COLUMNS order) as the bytes of a SQLite database with one table, `rows`,
    in their order (rowid); `sqlite3.Connection.deserialize` opens it again."""
    columns = ", ".join(PROGRAMME_COLUMNS)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE rows ({columns})")
        conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' for _ in PROGRAMME_COLUMNS)})", rows)
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
