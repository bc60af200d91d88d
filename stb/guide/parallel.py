"""Parse a large XMLTV guide in worker processes while the caller inserts what they return.

lxml parses in C, but reading each programme's fields is Python work, and Python runs one core. So
the byte stream is cut after `</programme>` into chunks of about CHUNK bytes; a worker parses each
chunk whole (the document's own prolog and `<tv …>` start tag before it, `</tv>` after it, with the
same parser options as the serial `parse_guide`), reads the fields with the same `_programme` code
and sends back its rows as a small SQLite database (`stb.guide.worker.row_table`). The caller gets
the chunks' channels and rows in document order, as from `parse_guide`.

Whatever the chunks cannot read exactly as the serial parser would (broken XML, a cut inside a
comment or CDATA, programmes not directly under `<tv>`, a root other than `<tv>`) raises `Fallback`:
the caller throws away what it got and parses the whole source serially, which yields the exact
result or the exact error (with its line). Encodings that are not ASCII-compatible (UTF-16/32) and
files under SMALL bytes go serial from the start.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import subprocess
import sys
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

import stb
from stb.guide.sources import PROLOG_LIMIT
from stb.guide.worker import receive, send
from stb.guide.xmltv import PARSER_OPTIONS, GuideChannel, ParseCounts, batches, parse_guide

CHUNK = 512 * 1024  # bytes per chunk: a worker (its tree of a chunk, the rows) stays near 50 MB
SMALL = 8 * 1024 * 1024  # a guide under this is parsed serially, in the importer (~0.2 s)
BATCH = 5000  # rows per batch of the serial parser
MAX_CHUNK = 16 * CHUNK  # no `</programme>` in this many bytes: not a guide this module can cut
END = b"</programme>"
XML_DECL = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?")
COUNTERS = ("channels", "programmes", "skipped_bad_time", "skipped_no_title", "skipped_bad_length", "truncated",
            "clumped")  # fmt: skip
#: a batch's programme rows: tuples (from the serial parser), or the bytes of a worker's `row_table`
Rows = list[tuple] | bytes
ChunkBatch = tuple[list[GuideChannel], Rows]
ASCII_LIKE = (b"utf-8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1", b"iso-8859-15",
              b"windows-1252", b"cp1252")  # fmt: skip


class Fallback(Exception):
    """The chunks cannot be read as the serial parser reads the whole; parse the source serially."""


def workers() -> int:
    """Worker processes: one per core the process may use, at most two (the caller needs a core too)."""
    return max(1, min(2, len(os.sched_getaffinity(0))))


def header_of(head: bytes) -> bytes | None:
    """The document up to and including the root's start tag, when it is `<tv …>` in an
    ASCII-compatible encoding; None when this module should not cut the document."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4096]:
        return None  # UTF-16/32: `</programme>` is not those bytes
    decl = XML_DECL.match(head)
    encoding = re.search(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", decl[2] or b"") if decl else None
    if encoding and encoding[1].lower().replace(b"_", b"-") not in ASCII_LIKE:
        return None
    root = re.search(rb"<tv(?=[\s>])[^<>]*>", head)
    if root is None or root[0].endswith(b"/>"):
        return None
    header = head[: root.end()]
    try:  # the `<tv` found must be the root's start tag, not text in a comment or the doctype
        alone = etree.fromstring(header + b"</tv>", etree.XMLParser(**PARSER_OPTIONS))
    except etree.XMLSyntaxError:
        return None
    return header if alone.tag == "tv" and len(alone) == 0 else None


def parse_chunked(stream: BinaryIO, name: str, counts: ParseCounts, zone: str) -> Generator[ChunkBatch, None, None]:
    """(channels, programme rows) of each chunk in document order, parsed by worker processes;
    raises Fallback (see above)."""
    head = stream.peek(PROLOG_LIMIT)[:PROLOG_LIMIT] if hasattr(stream, "peek") else b""
    header = header_of(head)
    if header is None:
        raise Fallback
    stream.read(len(header))
    first = stream.read(SMALL)
    if len(first) < SMALL:  # a small guide: starting workers costs more than they save
        yield from batches(parse_guide(io.BytesIO(header + first), name, zone, counts), BATCH)
        return
    try:
        pool = Workers(workers())
    except OSError:  # no worker could start: parse serially
        raise Fallback from None
    pending: deque[Future] = deque()
    try:
        for body, last in _chunks(stream, first):
            pending.append(pool.submit(header, body, last, zone))
            while len(pending) > pool.size:  # one chunk parsing in each worker, one more waiting
                yield _collect(pending.popleft(), counts)
        while pending:
            yield _collect(pending.popleft(), counts)
    finally:
        pool.close(abandon=bool(pending))
        counts.worker_rss_mb = sum(pool.peak_kb.values()) // 1024


class Workers:
    """Worker processes (`python -m stb.guide.worker`, not forked: the box has threads, and
    multiprocessing would run the caller's `__main__` again), each driven by a thread of ours that
    sends a chunk and waits for its rows; marshalled over pipes."""

    def __init__(self, size: int) -> None:
        paths = [str(Path(stb.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]  # this very stb
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}  # no "": it means the cwd
        self.size = size
        self.peak_kb: dict[int, int] = {}  # each worker's peak RSS, as it last said
        self._idle: queue.SimpleQueue[subprocess.Popen] = queue.SimpleQueue()
        self._processes: list[subprocess.Popen] = []
        try:
            for _ in range(size):
                process = subprocess.Popen([sys.executable, "-m", "stb.guide.worker"], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
                self._processes.append(process)
                self._idle.put(process)
        except OSError:
            self.close(abandon=True)
            raise
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="guide-parse")

    def submit(self, header: bytes, body: bytes, last: bool, zone: str) -> Future:
        return self._threads.submit(self._run, (header, body, last, zone))

    def _run(self, job: tuple) -> tuple[ChunkBatch, tuple] | None:
        process = self._idle.get()
        result: Any = None
        try:
            assert process.stdin is not None and process.stdout is not None
            send(process.stdin, job)
            result, self.peak_kb[process.pid] = receive(process.stdout)
        except (OSError, EOFError, ValueError, TypeError):  # the worker died (killed, out of memory)
            return None
        finally:
            self._idle.put(process)
        if result is None:
            return None
        (channels, rows), counts = result
        return ([GuideChannel(*c) for c in channels], rows), counts

    def close(self, abandon: bool = False) -> None:
        """Let the workers end (their input closed); ``abandon`` kills them first (the import failed)."""
        for process in self._processes:
            if abandon:
                process.kill()
            if process.stdin:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        if hasattr(self, "_threads"):
            self._threads.shutdown(wait=True, cancel_futures=True)
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()


def _collect(future: Future, counts: ParseCounts) -> ChunkBatch:
    return _merge(future.result(), counts)


def _merge(result: tuple[ChunkBatch, tuple] | None, counts: ParseCounts) -> ChunkBatch:
    if result is None:
        raise Fallback
    batch, got = result
    for name, value in zip(COUNTERS, got, strict=True):
        setattr(counts, name, getattr(counts, name) + value)
    return batch


def _chunks(stream: BinaryIO, carry: bytes) -> Iterator[tuple[bytes, bool]]:
    """(bytes ending with `</programme>`, at most about CHUNK of them, False) …, then (the rest, True)."""
    while True:
        cut = carry.rfind(END, 0, CHUNK + len(END))
        if cut < 0:
            cut = carry.find(END)  # a programme longer than a chunk
        if cut < 0 or len(carry) < CHUNK:
            data = stream.read(CHUNK)
            if not data:
                yield carry, True
                return
            carry += data
            if len(carry) > MAX_CHUNK and carry.find(END) < 0:
                raise Fallback
            continue
        cut += len(END)
        yield carry[:cut], False
        carry = carry[cut:]
