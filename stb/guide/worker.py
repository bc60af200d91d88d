"""A parse worker of `stb.guide.parallel`: reads pickled chunks on stdin, writes their rows (and its
peak RSS) on stdout.

Run as `python -m stb.guide.worker` by the importer only; it ends when its input does.
"""

from __future__ import annotations

import pickle
import resource
import sys

from stb.guide.xmltv import chunk_items


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            header, body, last, zone = pickle.load(source)
        except EOFError:
            return
        result = chunk_items(header, body, last, zone)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the importer reports its workers' memory
        pickle.dump((result, peak_kb), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    main()
