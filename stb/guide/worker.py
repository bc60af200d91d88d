"""A parse worker of `stb.guide.parallel`: reads chunks on stdin, writes their rows (and its peak RSS)
on stdout, each message a length and a marshal of plain tuples (marshal is several times as fast as
pickle for them, and both ends are the same interpreter).

Run as `python -m stb.guide.worker` by the importer only; it ends when its input does.
"""

from __future__ import annotations

import marshal
import resource
import sys
from typing import IO, Any

from stb.guide.xmltv import chunk_items

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
            plain = ([(c.id, c.names, c.icon) for c in channels], rows), counts
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the importer reports its workers' memory
        send(sink, (plain, peak_kb))


if __name__ == "__main__":
    main()
