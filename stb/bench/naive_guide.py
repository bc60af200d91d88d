"""The naive guide importer the benchmark compares against: what a first attempt looks like.

The whole document is parsed with xml.etree into memory, then programmes are inserted one
statement at a time. Run as `python -m stb.bench.naive_guide XMLTV DB`.

`python -m stb.bench.naive_guide --bare XMLTV` is the other baseline: lxml's `iterparse` over the file,
each programme cleared as it ends, nothing read from it and nothing stored: what one core can do
before an importer does any work of its own.
"""

from __future__ import annotations

import sqlite3
import sys
import time
import xml.etree.ElementTree as ET

from lxml import etree

from stb.guide.times import parse_time
from stb.guide.xmltv import release


def naive_import(xml_path: str, db_path: str) -> int:
    root = ET.parse(xml_path).getroot()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE IF NOT EXISTS programmes (channel, start, stop, title, description)")
    count = 0
    for p in root.iter("programme"):
        conn.execute(
            "INSERT INTO programmes VALUES (?, ?, ?, ?, ?)",
            (p.get("channel"), parse_time(p.get("start")), parse_time(p.get("stop")), p.findtext("title"),
             p.findtext("desc")),
        )  # fmt: skip
        count += 1
    conn.commit()
    conn.close()
    return count


def bare_parse(xml_path: str) -> int:
    count = 0
    for _, element in etree.iterparse(xml_path, events=("end",), tag="programme"):
        release(element)  # as the importer frees what it read
        count += 1
    return count


if __name__ == "__main__":
    started = time.perf_counter()
    count = bare_parse(sys.argv[2]) if sys.argv[1] == "--bare" else naive_import(sys.argv[1], sys.argv[2])
    print(count, time.perf_counter() - started)
