"""A parse worker of `stb.guide.parallel`: reads pickled chunks on stdin, writes their rows on stdout.

Run as `python -m stb.guide.worker` by the importer only; it ends when its input does.
"""

from __future__ import annotations

import pickle
import sys

from stb.guide.xmltv import chunk_items


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            header, body, last, zone = pickle.load(source)
        except EOFError:
            return
        pickle.dump(chunk_items(header, body, last, zone), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    main()
